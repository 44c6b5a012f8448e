// POST /reaudit (calls by audio name, by id, or a whole batch), POST /batches/{id}/retry-failed,
// GET /reaudit/status/{task_id}, POST /reaudit/{task_id}/cancel.

import { createRoute, z } from '@hono/zod-openapi';
import { and, eq, inArray, ne } from 'drizzle-orm';
import { MAX_BATCH_REAUDIT_CALLS } from '../../core/limits.js';
import { sameNamePair } from '../../core/names.js';
import { REAUDIT_STAGES } from '../../core/stages.js';
import { batchExecutionLog, batchStatus, call } from '../../drizzle/schema/index.js';
import { admitReaudit, cancelBatch, Refusal } from '../../lifecycle/admission.js';
import { memberIds } from '../../lifecycle/exits.js';
import { retryFailed } from '../../lifecycle/retryFailed.js';
import { noteAccess } from '../accessTrail.js';
import { batchView, findBatchByTask } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, idParams, json, MAX_ID } from '../openapi.js';
import { deadlineOf } from '../protections.js';
import { statusSchema, taskParams } from '../schemas.js';

export const MAX_REAUDIT_CALLS = 1000;

const TARGETS = ['audio_names', 'call_ids', 'batch_id'] as const;

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
        description:
          'calls by audio name (the latest call with each name), unique ignoring case and accents; give exactly one of audio_names, call_ids, batch_id',
      })
      .optional(),
    call_ids: z
      .array(z.number().int().min(1, 'call ids are positive').max(MAX_ID, 'call id out of range'))
      .min(1, 'call_ids may not be empty')
      .max(MAX_REAUDIT_CALLS, `at most ${MAX_REAUDIT_CALLS} calls per reaudit`)
      .refine((ids) => new Set(ids).size === ids.length, 'call_ids has duplicates')
      .optional()
      .openapi({ uniqueItems: true, description: 'calls by id (any batch)' }),
    batch_id: z
      .number()
      .int()
      .min(1, 'batch_id must be at least 1')
      .max(MAX_ID, 'batch_id is out of range')
      .optional()
      .openapi({
        description: `every call of this batch (a reaudit batch: the calls it re-ran), erased ones left out; at most ${MAX_BATCH_REAUDIT_CALLS} calls`,
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
  .superRefine((body, ctx) => {
    const given = TARGETS.filter((t) => body[t] !== undefined);
    if (given.length !== 1)
      ctx.addIssue({
        code: 'custom',
        path: [given[1] ?? 'audio_names'],
        message: `give exactly one of ${TARGETS.join(', ')}${given.length ? ` (got ${given.join(' and ')})` : ''}`,
      });
  })
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
  summary:
    'Re-run chosen stages (and the stages computed from them) for calls named by audio name or id, or for a whole batch',
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

const retried = z
  .object({
    status: z.literal('queued'),
    batch_id: z.number().int().openapi({ description: 'the batch whose failed calls are retried' }),
    task_id: z.string(),
    failed: z
      .number()
      .int()
      .openapi({ description: 'its calls whose latest run failed (erased ones left out)' }),
    retries: z
      .array(
        z.object({
          task_id: z.string(),
          batch_id: z.number().int(),
          from_stage: z.string().openapi({ description: 'the first stage it runs' }),
          stages: z.array(z.string()),
          calls: z.number().int(),
          call_ids: z.array(z.number().int()),
        }),
      )
      .openapi({ description: 'one reaudit per stage the calls failed at, earliest first' }),
  })
  .openapi('RetryFailed');

const retry = createRoute({
  method: 'post',
  path: '/batches/{id}/retry-failed',
  tags: ['reaudit'],
  summary:
    'Re-run the calls of a batch whose latest run failed, each from the stage it failed at (before LID: from LID; a call never distributed is distributed again)',
  request: { params: idParams },
  responses: {
    200: json(retried, 'queued: one reaudit per stage'),
    ...errorResponses(403, 404, 408, 409, 413, 503, 504),
  },
});

type ReauditBody = z.infer<typeof reauditRequest>;

/** The calls a reaudit request names: by name, by id, or every call of a batch (erased ones left out). */
async function targetOf(deps: ApiDeps, body: ReauditBody) {
  if (body.audio_names) return { names: body.audio_names };
  if (body.call_ids) return { callIds: body.call_ids };
  const db = deps.database.db;
  const batchId = body.batch_id!;
  const [batch] = await db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
  if (!batch) throw new Refusal('not_found', `no batch with id ${batchId}`);
  const members = await memberIds(db, batch);
  if (members.length > MAX_BATCH_REAUDIT_CALLS)
    throw new Refusal(
      'validation_error',
      `batch ${batchId} has ${members.length} calls, more than ${MAX_BATCH_REAUDIT_CALLS} per reaudit: reaudit it by call_ids in parts`,
    );
  const live = members.length
    ? await db
        .select({ id: call.id })
        .from(call)
        .where(and(inArray(call.id, members), ne(call.status, 'Erased')))
    : [];
  if (live.length === 0)
    throw new Refusal('conflict', `batch ${batchId} (${batch.taskId}) has no calls left to re-run`, {
      batch_id: batchId,
    });
  return { callIds: live.map((x) => x.id).sort((a, b) => a - b), details: { reauditOf: batchId } };
}

export function reauditRoutes(deps: ApiDeps) {
  const lifecycle = { db: deps.database.db, temporal: deps.temporal, config: deps.config, audio: deps.audio };
  return createRouter()
    .openapi(start, async (c) => {
      const body = c.req.valid('json');
      const admitted = await admitReaudit(lifecycle, {
        ...(await targetOf(deps, body)),
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
    .openapi(retry, async (c) => {
      const { id } = c.req.valid('param');
      noteAccess(c, { targetId: id, batchId: id });
      const { batch, failed, started } = await retryFailed(lifecycle, {
        batchId: id,
        deadline: deadlineOf(c),
      });
      noteAccess(c, { taskId: batch.taskId });
      return c.json(
        {
          status: 'queued' as const,
          batch_id: batch.id,
          task_id: batch.taskId,
          failed: failed.length,
          retries: started.map((s) => ({
            task_id: s.taskId,
            batch_id: s.batchId,
            from_stage: s.stages[0] ?? s.fromStage,
            stages: s.stages,
            calls: s.calls,
            call_ids: s.callIds,
          })),
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
