// GET /retention/runs: the retention runs, newest first, each with what it expired per process and kind (counts,
// never contents). Operator keys only (api/auth.ts OPERATOR_READS).
import { createRoute, z } from '@hono/zod-openapi';
import { desc, lt } from 'drizzle-orm';
import { RETENTION_KINDS, RETENTION_RUN_STATUSES, retentionRun } from '../../drizzle/schema/index.js';
import { runCounts } from '../../lifecycle/retention.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, cursorQuery, errorResponses, json, limitQuery } from '../openapi.js';

const countSchema = z.object({
  process_id: z.number().int(),
  kind: z.enum(RETENTION_KINDS),
  calls: z.number().int().openapi({ description: 'calls whose data of this kind the run expired' }),
  items: z
    .number()
    .int()
    .openapi({ description: 'files removed (recording) or rows deleted (transcript, analysis, answer)' }),
});

const runSchema = z
  .object({
    id: z.number().int(),
    workflow_id: z.string(),
    as_of: z
      .string()
      .openapi({ format: 'date-time', description: 'the time the run acted on (when it was due)' }),
    status: z.enum(RETENTION_RUN_STATUSES),
    started_at: z.string().openapi({ format: 'date-time' }),
    finished_at: z.string().nullable().openapi({ format: 'date-time' }),
    error: z.string().nullable(),
    counts: z.array(countSchema),
    /** Calls expired per kind, over every process. */
    totals: z
      .record(z.string(), z.number().int())
      .openapi({ description: 'calls expired per kind, all processes' }),
  })
  .openapi('RetentionRun');

const list = createRoute({
  method: 'get',
  path: '/retention/runs',
  tags: ['data protection'],
  summary: 'Retention runs, newest first, with what each expired per process and kind (operator key)',
  request: {
    query: z.object({
      limit: limitQuery(20, 200),
      before: cursorQuery('only runs with a smaller id (the `next_before` of the previous page)'),
    }),
  },
  responses: {
    200: json(
      z.object({ runs: z.array(runSchema), next_before: z.number().int().nullable() }),
      'a page of runs',
    ),
    ...errorResponses(403),
  },
});

export type RetentionRunView = z.infer<typeof runSchema>;

/** A page of runs with their counts (the API and the dashboard read the same). */
export async function retentionRuns(db: ApiDeps['database']['db'], limit: number, before?: number) {
  const rows = await db
    .select()
    .from(retentionRun)
    .where(before ? lt(retentionRun.id, before) : undefined)
    .orderBy(desc(retentionRun.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const counts = await runCounts(
    db,
    page.map((r) => r.id),
  );
  const runs: RetentionRunView[] = page.map((r) => {
    const list = counts.get(r.id) ?? [];
    const totals = Object.fromEntries(RETENTION_KINDS.map((k) => [k, 0]));
    for (const n of list) totals[n.kind] = (totals[n.kind] ?? 0) + n.calls;
    return {
      id: r.id,
      workflow_id: r.workflowId,
      as_of: r.asOf.toISOString(),
      status: r.status,
      started_at: r.startedAt.toISOString(),
      finished_at: r.finishedAt?.toISOString() ?? null,
      error: r.error,
      counts: list.map((n) => ({ process_id: n.processId, kind: n.kind, calls: n.calls, items: n.items })),
      totals,
    };
  });
  return { runs, next_before: rows.length > limit ? (page.at(-1)?.id ?? null) : null };
}

export function retentionRoutes(deps: ApiDeps) {
  return createRouter().openapi(list, async (c) => {
    const q = c.req.valid('query');
    return c.json(await retentionRuns(deps.database.db, q.limit, q.before), 200);
  });
}
