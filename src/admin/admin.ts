import { Router } from 'express';
import type { Store } from '../store/store.js';

/** /_berth/*: Berth's own endpoints, outside the ECR API. */
export function createAdminRouter(deps: { store: Store; version: string }): Router {
  const router = Router();
  router.get('/_berth/health', (_req, res) => {
    res.json({ status: 'ok', version: deps.version });
  });
  router.post('/_berth/reset', async (_req, res) => {
    await deps.store.clear();
    res.json({ status: 'reset' });
  });
  return router;
}
