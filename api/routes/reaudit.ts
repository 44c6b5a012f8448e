// POST /reaudit, GET /reaudit/status/{task_id}, POST /reaudit/{task_id}/cancel.
import { createRoute, z } from '@hono/zod-openapi';
import { and, eq } from 'drizzle-orm';
import { sameNamePair } from '../../core/names.js';
import { REAUDIT_STAGES } from '../../core/stages.js';
import { batchExecutionLog } from '../../drizzle/schema/index.js';
import { admitReaudit, cancelBatch } from '../../lifecycle/admission.js';
import { noteAccess } from '../accessTrail.js';
import { batchView, findBatchByTask } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, json } from '../openapi.js';
import { deadlineOf } from '../protections.js';
import { statusSchema, taskParams } from '../schemas.js';

export const MAX_REAUDIT_CALLS = 1000;

export const reauditRequest = z
  .object({
    audio_names: z
      .array(
        z
          .string()
          // A name of spaces only is no name (the document says so by the pattern, the check trims).
          .regex(/\S/, 'names may not be empty')
          .trim()
          .min(1, 'names may not be empty')
          .max(255),
      )
      .min(1, 'audio_names may not be empty')
      .max(MAX_REAUDIT_CALLS, `at most ${MAX_REAUDIT_CALLS} calls per reaudit`)
      .superRefine((names, ctx) => {
        const pair = sameNamePair(names);
        if (pair)
          ctx.addIssue({
            code: 'custom',
            message: `audio_names has duplicates: "${pair[0]}" and "${pair[1]}" (names are compared ignoring case and accents)`,
          });
      })
      .openapi({
        uniqueItems: true,
        description: 'calls by audio name (the latest call with each name), unique ignoring case and accents',
      }),
    stages: z
      .array(z.enum(REAUDIT_STAGES))
      .min(1, 'stages may not be empty')
      .refine((s) => new Set(s).size === s.length, 'stages has duplicates')
      .openapi({
        uniqueItems: true,
        description: 'stages to re-run, each at most once; the stages computed from them re-run too',
      }),
  })
  .strict()
  .openapi('ReauditRequest');

const queued = z.object({
  status: z.literal('queued'),
  task_id: z.string(),
  batch_id: z.number().int(),
  calls: z.number().int(),
  stages: z.array(z.string()),
  requested_stages: z.array(z.string()),
  not_found: z.array(z.string()),
});

const start = createRoute({
  method: 'post',
  path: '/reaudit',
  tags: ['reaudit'],
  summary: 'Re-run chosen stages (and the stages computed from them) for calls named by audio name',
  request: { body: { required: true, content: { 'application/json': { schema: reauditRequest } } } },
  responses: {
    200: json(queued, 'queued'),
    ...errorResponses(400, 403, 404, 408, 409, 413, 415, 503, 504),
  },
});

const status = createRoute({
  method: 'get',
  path: '/reaudit/status/{task_id}',
  tags: ['reaudit'],
  summary: 'Status of a reaudit, with what its cleanup deleted',
  request: { params: taskParams('reaudit-43') },
  responses: {
    200: json(
      statusSchema.extend({
        requested_stages: z.array(z.string()),
        not_found: z.array(z.string()),
        original_batches: z.array(z.number().int()),
        deleted: z.record(z.string(), z.number()),
      }),
      'the reaudit',
    ),
    ...errorResponses(404),
  },
});

export const cancelled = z.object({ status: z.literal('cancelling'), task_id: z.string() });

const cancel = createRoute({
  method: 'post',
  path: '/reaudit/{task_id}/cancel',
  tags: ['reaudit'],
  summary:
    'Ask a running reaudit to stop (calls in flight stop and record it; a clean-up stops between tables)',
  request: { params: taskParams('reaudit-43') },
  responses: {
    202: json(cancelled, 'cancelling'),
    ...errorResponses(403, 404, 408, 409, 413, 503),
  },
});

export function reauditRoutes(deps: ApiDeps) {
  const lifecycle = { db: deps.database.db, temporal: deps.temporal, config: deps.config, audio: deps.audio };
  return createRouter()
    .openapi(start, async (c) => {
      const body = c.req.valid('json');
      const admitted = await admitReaudit(lifecycle, {
        names: body.audio_names,
        requested: body.stages,
        deadline: deadlineOf(c),
      });
      noteAccess(c, { targetId: admitted.batchId, batchId: admitted.batchId, taskId: admitted.taskId });
      return c.json(
        {
          status: 'queued' as const,
          task_id: admitted.taskId,
          batch_id: admitted.batchId,
          calls: admitted.calls,
          stages: admitted.stages,
          requested_stages: body.stages,
          not_found: admitted.notFound,
        },
        200,
      );
    })
    .openapi(status, async (c) => {
      const batch = await findBatchByTask(deps, c.req.valid('param').task_id, 'reaudit');
      const view = await batchView(deps, batch);
      const details = (batch.details ?? {}) as {
        notFound?: string[];
        requestedStages?: string[];
        originalBatches?: number[];
      };
      return c.json(
        {
          ...view,
          requested_stages: details.requestedStages ?? [],
          not_found: details.notFound ?? [],
          original_batches: details.originalBatches ?? [],
          deleted: await cleanupCounts(deps, batch.id),
        },
        200,
      );
    })
    .openapi(cancel, async (c) => {
      const batch = await findBatchByTask(deps, c.req.valid('param').task_id, 'reaudit');
      noteAccess(c, { targetId: batch.id, batchId: batch.id, taskId: batch.taskId });
      await cancelBatch(lifecycle, batch, 'api');
      return c.json({ status: 'cancelling' as const, task_id: batch.taskId }, 202);
    });
}

/** What the clean-up deleted, per table, from its events. */
async function cleanupCounts(deps: ApiDeps, batchId: number): Promise<Record<string, number>> {
  const rows = await deps.database.db
    .select({ metadata: batchExecutionLog.metadata })
    .from(batchExecutionLog)
    .where(and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'cleanup')));
  const counts: Record<string, number> = {};
  for (const r of rows) {
    const m = r.metadata as { table?: string; deleted?: number } | null;
    const table = m?.table ?? 'unknown';
    counts[table] = (counts[table] ?? 0) + (m?.deleted ?? 0);
  }
  return counts;
}
