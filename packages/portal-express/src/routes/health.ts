import { Router } from 'express';
import type { Knex } from 'knex';

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export function healthRoutes(db: Knex): Router {
  const router = Router();
  router.get('/healthz', async (_req, res) => {
    try {
      await db.raw('select 1');
      res.json({ status: 'ok', database: 'up' });
    } catch {
      res.status(503).json({ status: 'unavailable', database: 'down' });
    }
  });
  return router;
}
