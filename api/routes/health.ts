// GET /health: 200 when Temporal and the database both answer, 503 naming the one that does not.
import { sql } from 'drizzle-orm';
import { Hono } from 'hono';
import type { ApiDeps } from '../deps.js';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

export function healthRoutes({ database, temporal }: ApiDeps) {
  return new Hono().get('/health', async (c) => {
    const [db, tp] = await Promise.allSettled([
      within(3000, database.db.execute(sql`select 1`)),
      within(3000, temporal.workflowService.getSystemInfo({})),
    ]);
    const down = [
      db.status === 'rejected' ? 'database' : null,
      tp.status === 'rejected' ? 'temporal' : null,
    ].filter(Boolean);
    const body = {
      status: down.length ? 'unavailable' : 'ok',
      database: db.status === 'fulfilled' ? 'up' : 'down',
      temporal: tp.status === 'fulfilled' ? 'up' : 'down',
    };
    if (down.length) return c.json({ ...body, detail: `not reachable: ${down.join(', ')}` }, 503);
    return c.json(body, 200);
  });
}
