// GET /health: 200 when Temporal and the database both answer, 503 naming the one that does not.
import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'drizzle-orm';
import type { ApiDeps } from '../deps.js';
import { createRouter, json } from '../openapi.js';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms)),
  ]);

const parts = {
  database: z.enum(['up', 'down']),
  temporal: z.enum(['up', 'down']),
};

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['operations'],
  summary: 'Whether Temporal and the database answer',
  security: [],
  responses: {
    200: json(z.object({ status: z.literal('ok'), ...parts }), 'both answer'),
    503: json(
      z.object({ status: z.literal('unavailable'), ...parts, detail: z.string() }),
      'one does not; `detail` names it',
    ),
  },
});

export function healthRoutes({ database, temporal }: ApiDeps) {
  return createRouter().openapi(health, async (c) => {
    const [db, tp] = await Promise.allSettled([
      within(3000, database.db.execute(sql`select 1`)),
      within(3000, temporal.workflowService.getSystemInfo({})),
    ]);
    const database_ = db.status === 'fulfilled' ? ('up' as const) : ('down' as const);
    const temporal_ = tp.status === 'fulfilled' ? ('up' as const) : ('down' as const);
    const down = [database_ === 'down' ? 'database' : null, temporal_ === 'down' ? 'temporal' : null].filter(
      Boolean,
    );
    if (down.length)
      return c.json(
        {
          status: 'unavailable' as const,
          database: database_,
          temporal: temporal_,
          detail: `not reachable: ${down.join(', ')}`,
        },
        503,
      );
    return c.json({ status: 'ok' as const, database: database_, temporal: temporal_ }, 200);
  });
}
