// POST /reaudit, GET /reaudit/status/{task_id}, POST /reaudit/{task_id}/cancel.
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, desc, eq, inArray } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { mainQueue } from '../../core/fleet.js';
import { isTerminal, orderStages, REAUDIT_STAGES, type ReauditStage } from '../../core/stages.js';
import { batchExecutionLog, batchStatus, call, callLock, reauditCall } from '../../drizzle/schema/index.js';
import {
  BATCH_WORKFLOW_TASK_TIMEOUT,
  batchSettings,
  cancelSignal,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from '../../workflows/definitions.js';
import { reaudit } from '../../workflows/reaudit.js';
import { batchView, findBatchByTask } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, isDuplicateKey } from '../errors.js';
import { nameKey, sameNamePair } from '../names.js';

export const MAX_REAUDIT_CALLS = 1000;

export const reauditRequest = z
  .object({
    audio_names: z
      .array(z.string().trim().min(1, 'names may not be empty').max(255))
      .min(1, 'audio_names may not be empty')
      .max(MAX_REAUDIT_CALLS, `at most ${MAX_REAUDIT_CALLS} calls per reaudit`)
      .superRefine((names, ctx) => {
        const pair = sameNamePair(names);
        if (pair)
          ctx.addIssue({
            code: 'custom',
            message: `audio_names has duplicates: "${pair[0]}" and "${pair[1]}" (names are compared ignoring case and accents)`,
          });
      }),
    stages: z
      .array(z.enum(REAUDIT_STAGES))
      .min(1, 'stages may not be empty')
      .refine((s) => new Set(s).size === s.length, 'stages has duplicates'),
  })
  .strict();

/**
 * A re-run stage invalidates every stage computed from its output: re-running stt re-runs llm1 and llm2,
 * so no call keeps an answer computed from a transcript that no longer exists.
 */
export function effectiveStages(requested: readonly ReauditStage[]): ReauditStage[] {
  const first = orderStages(requested)[0]!;
  return REAUDIT_STAGES.slice(REAUDIT_STAGES.indexOf(first));
}

async function parseBody(req: Request) {
  if (!(req.headers.get('content-type') ?? '').toLowerCase().startsWith('application/json')) {
    throw new ApiError('unsupported_media_type', 'expected an application/json body');
  }
  let body: unknown;
  try {
    body = await req.json();
  } catch {
    throw badRequest('the body is not valid JSON');
  }
  const parsed = reauditRequest.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError('validation_error', `${issue.path.join('.') || 'body'}: ${issue.message}`);
  }
  return parsed.data;
}

export function reauditRoutes(deps: ApiDeps) {
  const app = new Hono();
  const db = deps.database.db;
  const prefix = deps.config.COFI_TASK_QUEUE;

  /** Locks held by reaudits whose workflow is no longer running (e.g. terminated by hand) are stale. */
  async function dropStaleLocks(callIds: number[]) {
    const held = await db.select().from(callLock).where(inArray(callLock.callId, callIds));
    for (const batchId of new Set(held.map((h) => h.batchId))) {
      const [holder] = await db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
      let running = false;
      if (holder && !isTerminal(holder.status)) {
        try {
          running =
            (await deps.temporal.workflow.getHandle(holder.workflowId).describe()).status.name === 'RUNNING';
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) running = true; // cannot tell: keep the lock
        }
      }
      if (!running) await db.delete(callLock).where(eq(callLock.batchId, batchId));
    }
  }

  app.post('/reaudit', async (c) => {
    const body = await parseBody(c.req.raw);
    const stages = effectiveStages(body.stages);
    const found = await db
      .select({ id: call.id, audioName: call.audioName, batchId: call.batchId, status: call.status })
      .from(call)
      .where(inArray(call.audioName, body.audio_names))
      .orderBy(desc(call.id));
    // A name may have been uploaded more than once: the latest call with that name is the one reaudited.
    // Names match as the query matched them (ignoring case and accents), not byte for byte.
    const latest = new Map<string, (typeof found)[number]>();
    for (const row of found) if (!latest.has(nameKey(row.audioName))) latest.set(nameKey(row.audioName), row);
    const notFound = body.audio_names.filter((n) => !latest.has(nameKey(n)));
    const calls = [...latest.values()];
    if (calls.length === 0) {
      throw new ApiError(
        'not_found',
        `no call matches any of the names: ${notFound.slice(0, 20).join(', ')}`,
        {
          not_found: notFound,
        },
      );
    }
    const busy = calls.filter((x) => x.status === 'Queued' || x.status === 'InProgress');
    if (busy.length) {
      throw new ApiError(
        'conflict',
        `calls still being processed: ${busy
          .map((b) => b.audioName)
          .slice(0, 20)
          .join(', ')}`,
        {
          calls: busy.map((b) => b.audioName),
        },
      );
    }
    const callIds = calls.map((x) => x.id);
    await dropStaleLocks(callIds);
    const workflowIdFor = (id: number) => workflowIds.reaudit(prefix, id);
    let batchId: number;
    try {
      batchId = await db.transaction(async (tx) => {
        const [inserted] = await tx.insert(batchStatus).values({
          batchDate: new Date().toISOString().slice(0, 10),
          kind: 'reaudit',
          taskId: `pending-${crypto.randomUUID()}`,
          workflowId: 'pending',
          stages,
          totalFiles: calls.length,
          source: 'reaudit',
          details: {
            requestedStages: body.stages,
            notFound,
            originalBatches: [...new Set(calls.map((x) => x.batchId))],
          },
        });
        const id = inserted.insertId;
        await tx
          .update(batchStatus)
          .set({ taskId: `reaudit-${id}`, workflowId: workflowIdFor(id) })
          .where(eq(batchStatus.id, id));
        // The primary key on callLock.callId makes this the atomic "not while another reaudit has it" check.
        await tx.insert(callLock).values(calls.map((x) => ({ callId: x.id, batchId: id })));
        await tx
          .insert(reauditCall)
          .values(calls.map((x) => ({ batchId: id, callId: x.id, originalBatchId: x.batchId })));
        return id;
      });
    } catch (err) {
      if (isDuplicateKey(err)) {
        const held = await db
          .select({ audioName: call.audioName, batchId: callLock.batchId })
          .from(callLock)
          .innerJoin(call, eq(call.id, callLock.callId))
          .where(inArray(callLock.callId, callIds));
        throw new ApiError(
          'conflict',
          `another reaudit is running for: ${held
            .map((h) => `${h.audioName} (reaudit-${h.batchId})`)
            .slice(0, 20)
            .join(', ')}`,
          { calls: held.map((h) => h.audioName) },
        );
      }
      throw err;
    }
    try {
      const handle = await deps.temporal.workflow.start(reaudit, {
        workflowId: workflowIdFor(batchId),
        taskQueue: mainQueue(prefix),
        args: [
          {
            batchId,
            stages,
            ...batchSettings(deps.config),
          },
        ],
        workflowIdConflictPolicy: 'FAIL',
        workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.batchId, value: batchId },
          { key: SEARCH_ATTRIBUTES.kind, value: 'reaudit' },
        ],
        memo: { batchId, taskId: `reaudit-${batchId}`, calls: calls.length },
      });
      await db
        .update(batchStatus)
        .set({ runId: handle.firstExecutionRunId })
        .where(eq(batchStatus.id, batchId));
    } catch (err) {
      await db.transaction(async (tx) => {
        await tx.delete(callLock).where(eq(callLock.batchId, batchId));
        await tx.delete(reauditCall).where(eq(reauditCall.batchId, batchId));
        await tx.delete(batchStatus).where(eq(batchStatus.id, batchId));
      });
      throw new ApiError('unavailable', `could not queue the reaudit: ${(err as Error).message}`);
    }
    return c.json({
      status: 'queued',
      task_id: `reaudit-${batchId}`,
      batch_id: batchId,
      calls: calls.length,
      stages,
      requested_stages: body.stages,
      not_found: notFound,
    });
  });

  app.get('/reaudit/status/:taskId', async (c) => {
    const batch = await findBatchByTask(deps, c.req.param('taskId'), 'reaudit');
    const view = await batchView(deps, batch);
    const details = (batch.details ?? {}) as {
      notFound?: string[];
      requestedStages?: string[];
      originalBatches?: number[];
    };
    const cleanup = await cleanupCounts(deps, batch.id);
    return c.json({
      ...view,
      requested_stages: details.requestedStages ?? [],
      not_found: details.notFound ?? [],
      original_batches: details.originalBatches ?? [],
      deleted: cleanup,
    });
  });

  app.post('/reaudit/:taskId/cancel', async (c) => {
    const batch = await findBatchByTask(deps, c.req.param('taskId'), 'reaudit');
    if (isTerminal(batch.status)) {
      throw new ApiError('conflict', `reaudit ${batch.taskId} already finished (${batch.status})`);
    }
    try {
      await deps.temporal.workflow.getHandle(batch.workflowId).signal(cancelSignal, { reason: 'api' });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) {
        throw new ApiError('conflict', `reaudit ${batch.taskId} is not running`);
      }
      throw new ApiError('unavailable', `could not signal the reaudit: ${(err as Error).message}`);
    }
    return c.json({ status: 'cancelling', task_id: batch.taskId }, 202);
  });

  return app;
}

async function cleanupCounts(deps: ApiDeps, batchId: number): Promise<Record<string, number>> {
  const rows = await deps.database.db
    .select({ metadata: batchExecutionLog.metadata })
    .from(batchExecutionLog)
    .where(and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'cleanup')));
  return Object.fromEntries(
    rows.map((r) => {
      const m = r.metadata as { table?: string; deleted?: number } | null;
      return [m?.table ?? 'unknown', m?.deleted ?? 0];
    }),
  );
}
