import { Router } from 'express';
import { collectGarbage, DEFAULT_GC_OPTIONS, type GcOptions } from '../features/gc/collect.js';
import type { Clock } from '../lib/clock.js';
import type { Store } from '../store/store.js';

/** One collection at a time: the periodic one and POST /_berth/gc share it. */
export function createCollector(deps: { store: Store; clock: Clock }) {
  let running: Promise<unknown> = Promise.resolve();
  return (options: GcOptions = DEFAULT_GC_OPTIONS) => {
    const run = running.then(() => collectGarbage(deps, options));
    running = run.catch(() => undefined);
    return run;
  };
}

const secondsParam = (value: unknown, fallbackMs: number): number | undefined => {
  if (value === undefined) return fallbackMs;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
};

/** /_berth/*: Berth's own endpoints, outside the ECR API. */
export function createAdminRouter(deps: { store: Store; version: string; collect: ReturnType<typeof createCollector> }): Router {
  const router = Router();
  router.get('/_berth/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version });
  });
  router.post('/_berth/reset', async (_req, res) => {
    await deps.store.clear();
    res.json({ status: 'reset' });
  });
  // ?graceSeconds= and ?uploadMaxAgeSeconds= shorten the waits (0 collects everything now).
  router.post('/_berth/gc', async (req, res) => {
    const graceMs = secondsParam(req.query.graceSeconds, DEFAULT_GC_OPTIONS.graceMs);
    const uploadMaxAgeMs = secondsParam(req.query.uploadMaxAgeSeconds, DEFAULT_GC_OPTIONS.uploadMaxAgeMs);
    if (graceMs === undefined || uploadMaxAgeMs === undefined) {
      res.status(400).json({ message: 'graceSeconds and uploadMaxAgeSeconds must be non-negative numbers' });
      return;
    }
    res.json(await deps.collect({ graceMs, uploadMaxAgeMs }));
  });
  return router;
}
