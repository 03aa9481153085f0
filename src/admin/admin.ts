import express, { Router } from 'express';
import { collectGarbage, DEFAULT_GC_OPTIONS, type GcOptions } from '../features/gc/collect.js';
import { runLifecycle, type LifecycleRunReport } from '../features/lifecycle/run.js';
import { MAX_CLOCK_OFFSET_SECONDS, type Clock } from '../lib/clock.js';
import type { Store } from '../store/store.js';
import { createAdminGuard, type AdminGuardOptions } from './guard.js';

/** One collection at a time: the periodic one and POST /_berth/gc share it. */
export function createCollector(deps: { store: Store; clock: Clock }) {
  let running: Promise<unknown> = Promise.resolve();
  return (options: GcOptions = DEFAULT_GC_OPTIONS) => {
    const run = running.then(() => collectGarbage(deps, options));
    running = run.catch(() => undefined);
    return run;
  };
}

/** One lifecycle run at a time: the scheduled one and POST /_berth/lifecycle/run share it. */
export function createLifecycleRunner(deps: { store: Store; clock: Clock }) {
  let running: Promise<unknown> = Promise.resolve();
  return (): Promise<LifecycleRunReport> => {
    const run = running.then(() => runLifecycle(deps));
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
export function createAdminRouter(deps: {
  store: Store;
  clock: Clock;
  version: string;
  collect: ReturnType<typeof createCollector>;
  lifecycle: ReturnType<typeof createLifecycleRunner>;
  access: AdminGuardOptions;
}): Router {
  const router = Router();
  // Open to all: container health checks and readiness probes call it without credentials.
  router.get('/_berth/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version });
  });
  // Every other /_berth endpoint: Host, no web page, and credentials when configured (guard.ts).
  router.use('/_berth', createAdminGuard(deps.access));
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
  // Berth's clock, for testing time-based behaviour: {"offsetSeconds": N} shifts "now" by N
  // seconds from the real time (not from the current offset). Recorded times never change.
  const clockState = () => ({ offsetSeconds: deps.clock.offsetSeconds(), now: deps.clock.now().toISOString() });
  router.get('/_berth/clock', (_req, res) => {
    res.json(clockState());
  });
  router.post('/_berth/clock', express.json({ limit: '4kb' }), (req, res) => {
    const offset: unknown = (req.body as { offsetSeconds?: unknown } | undefined)?.offsetSeconds;
    if (typeof offset !== 'number' || !Number.isFinite(offset)) {
      res.status(400).json({ message: 'Send {"offsetSeconds": <number>}' });
      return;
    }
    if (Math.abs(offset) > MAX_CLOCK_OFFSET_SECONDS) {
      res.status(400).json({ message: `offsetSeconds must be between -${MAX_CLOCK_OFFSET_SECONDS} and ${MAX_CLOCK_OFFSET_SECONDS} (100 years)` });
      return;
    }
    deps.clock.setOffsetSeconds(offset);
    res.json(clockState());
  });
  // Applies every stored lifecycle policy now and answers what was expired or transitioned.
  router.post('/_berth/lifecycle/run', async (_req, res) => {
    res.json(await deps.lifecycle());
  });
  // A body express.json cannot parse is the client's mistake: 400 with a JSON message.
  router.use((error: { status?: number; message?: string }, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error.status !== undefined && error.status >= 400 && error.status < 500) {
      res.status(error.status).json({ message: error.message ?? 'Bad request' });
      return;
    }
    next(error);
  });
  return router;
}
