// Batch bookkeeping of the batch workflows: open a batch, admit its calls a page at a time (distributing them),
// ask about calls that went quiet, and close it. Every count comes from the ledger.

import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, asc, desc, eq, gt, lt, or, sql } from 'drizzle-orm';
import type { CallEnd } from '../core/batchWindow.js';
import { stageFailure } from '../core/errors.js';
import type { Stage, StageOutcome } from '../core/stages.js';
import { batchStatus, call, fileDistribution, reauditCall, stageOutcome } from '../drizzle/schema/index.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { closeBatch } from '../lifecycle/exits.js';
import { doneStages, outcomesAt } from '../lifecycle/ledger.js';
import { refreshStages } from '../lifecycle/stageView.js';
import { workflowIds } from '../workflows/definitions.js';
import type { ActivityDeps } from './deps.js';
import { distributePage, type ListedCall } from './distribute.js';
import { writeCallFailure } from './failures.js';
import type {
  AdmitCallsInput,
  AdmitCallsOutput,
  AdmittedCallItem,
  CloseBatchInput,
  CloseBatchOutput,
  OpenBatchInput,
  OpenedBatch,
  ReconcileInput,
  ReconcileOutput,
} from './types.js';

/** A page of admitted calls as the batch workflow gets it: ids, routes and stages, no file names. */
export type AdmittedPage = Omit<AdmitCallsOutput, 'calls'> & { calls: Omit<AdmittedCallItem, 'audioName'>[] };

/** How a call's outcome at its batch's last stage reads as the call's end. */
export function endOf(outcome: StageOutcome): CallEnd {
  if (outcome === 'done') return 'completed';
  if (outcome === 'cancelled') return 'cancelled';
  return 'failed';
}

/**
 * A batch's calls with no outcome yet at its last stage, longest first (a long call started last would be the
 * batch's tail), after `cursor`.
 */
async function listUndecided(
  deps: Pick<ActivityDeps, 'db'>,
  input: Pick<AdmitCallsInput, 'batch' | 'kind' | 'stages' | 'cursor' | 'limit'>,
): Promise<ListedCall[]> {
  const { db } = deps;
  const last = input.stages.at(-1)!;
  const seconds = sql<number>`COALESCE(${call.audioDuration}, -1)`;
  const after = input.cursor
    ? or(
        lt(seconds, input.cursor.seconds),
        and(eq(seconds, input.cursor.seconds), gt(call.id, input.cursor.callId)),
      )
    : undefined;
  const undecided = sql`NOT EXISTS (SELECT 1 FROM ${stageOutcome} WHERE ${stageOutcome.batchId} = ${input.batch.batchId} AND ${stageOutcome.callId} = ${call.id} AND ${stageOutcome.stage} = ${last})`;
  const columns = {
    callId: call.id,
    audioName: call.audioName,
    processId: call.processId,
    batchId: call.batchId,
    storedPath: call.storedPath,
    audioDuration: call.audioDuration,
    audioFormat: call.audioFormat,
    audioBytes: call.audioBytes,
    gpuNode: fileDistribution.gpuNode,
  };
  const base = db.select(columns).from(call).leftJoin(fileDistribution, eq(fileDistribution.callId, call.id));
  const member =
    input.kind === 'reaudit'
      ? base
          .innerJoin(reauditCall, eq(reauditCall.callId, call.id))
          .where(and(eq(reauditCall.batchId, input.batch.batchId), undecided, after))
      : base.where(and(eq(call.batchId, input.batch.batchId), undecided, after));
  return member.orderBy(desc(seconds), asc(call.id)).limit(input.limit);
}

export function createBatchActivities(deps: ActivityDeps) {
  const { db, temporal } = deps;
  return {
    /**
     * The batch's workflow takes it over: InProgress, its run id, the next attempt, the start event. Idempotent
     * for the same run (a retry); a batch that is missing, or that another run already took, fails at once, so a
     * workflow started for a batch the API rolled back ends instead of retrying for ever.
     */
    async openBatch({ batchId, kind, runId }: OpenBatchInput): Promise<OpenedBatch> {
      return db.transaction(async (tx) => {
        const [b] = await tx.select().from(batchStatus).where(eq(batchStatus.id, batchId)).for('update');
        if (!b || b.kind !== kind)
          throw stageFailure('missing_data', `${kind} batch ${batchId} does not exist`);
        const stages = b.stages as Stage[];
        if (b.runId === runId) return { batchId, attempt: b.attempt, stages, total: b.totalFiles };
        if (b.status !== 'Pending')
          throw stageFailure('missing_data', `batch ${batchId} is ${b.status}: another run has it`);
        const attempt = b.attempt + 1;
        await tx
          .update(batchStatus)
          .set({ status: 'InProgress', runId, attempt, startedAt: sql`CURRENT_TIMESTAMP(3)` })
          .where(eq(batchStatus.id, batchId));
        await logEvent(tx, {
          batchId,
          stage: 'batch',
          eventType: 'batch_start',
          status: 'InProgress',
          message: `batch started with ${b.totalFiles} calls`,
          totalFiles: b.totalFiles,
          eventKey: eventKey({ batchId, attempt }, 'batch', 'batch_start'),
        });
        return { batchId, attempt, stages, total: b.totalFiles };
      });
    },

    /**
     * The next page of calls to start: listed longest first, distributed (the batch's first stage) onto the GPU
     * node with the least audio queued, each with the stages it still has to run. Then the batch's stage columns
     * and events are brought up to date. Idempotent: distribution rows are keyed by call and the ledger keeps its
     * first decision; a page listed again lists the same calls.
     */
    async admitCalls(input: AdmitCallsInput): Promise<AdmittedPage> {
      const listed = await listUndecided(deps, input);
      const exhausted = listed.length < input.limit;
      const lastListed = listed.at(-1);
      const cursor = lastListed
        ? { seconds: lastListed.audioDuration ?? -1, callId: lastListed.callId }
        : input.cursor;
      const done = await doneStages(
        db,
        input.batch.batchId,
        listed.map((c) => c.callId),
      );
      const page = await distributePage(deps, {
        batch: input.batch,
        stages: input.stages,
        calls: listed.map((c) => ({ ...c, done: done.get(c.callId) ?? new Set<Stage>() })),
        load: input.load,
      });
      await refreshStages(db, input.batch.batchId);
      // Ids only (issue 16): the result is kept in the workflow's history, out of an erasure's reach, and a
      // recording's file name often carries the customer's number or name.
      const calls = page.calls.map(({ audioName: _, ...c }) => c);
      return { ...page, calls, cursor, exhausted };
    },

    /**
     * Calls in flight the batch has not heard from: those the ledger has an end for are ended; those whose
     * workflow is gone without one are recorded as failed (cancelled, when the batch is being cancelled).
     */
    async reconcileCalls(input: ReconcileInput): Promise<ReconcileOutput> {
      const { batch, stages } = input;
      const last = stages.at(-1)!;
      const known = await outcomesAt(db, batch.batchId, last, input.callIds);
      const ended: ReconcileOutput['ended'] = [];
      for (const callId of input.callIds) {
        const outcome = known.get(callId);
        if (outcome) {
          ended.push({ callId, end: endOf(outcome) });
          continue;
        }
        const id = workflowIds.call(input.prefix, batch.batchId, callId, batch.attempt);
        let status: string;
        try {
          status = (await temporal.workflow.getHandle(id).describe()).status.name;
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
          status = 'NOT_FOUND';
        }
        if (status === 'RUNNING') continue;
        // Its workflow ended and left no outcome (terminated, or never started): the batch records it now.
        const done = (await doneStages(db, batch.batchId, [callId])).get(callId);
        const stage = stages.find((s) => !done?.has(s)) ?? last;
        const [row] = await db.select({ audioName: call.audioName }).from(call).where(eq(call.id, callId));
        const how = input.cancelling ? 'cancelled' : 'lost';
        await db.transaction((tx) =>
          writeCallFailure(tx, {
            batchId: batch.batchId,
            callId,
            stage,
            errorType: input.cancelling ? 'cancelled' : 'lost',
            message: `the call's workflow ended (${status.toLowerCase().replaceAll('_', ' ')}) without recording an outcome`,
            context: {},
            attempt: batch.attempt,
            stages,
            audioName: row?.audioName ?? null,
          }),
        );
        ended.push({ callId, end: how === 'cancelled' ? 'cancelled' : 'failed' });
      }
      return { ended };
    },

    /** The batch's end, recorded once (see lifecycle/exits.ts). */
    async closeBatch({ batch, exit, reason }: CloseBatchInput): Promise<CloseBatchOutput> {
      return closeBatch(db, { ...batch, exit, ...(reason !== undefined && { reason }) });
    },

    /** Waits for another workflow to end (heartbeating) and returns its result. Read-only. */
    async awaitWorkflow({ workflowId }: { workflowId: string }): Promise<unknown> {
      const ctx = Context.current();
      const beat = setInterval(() => ctx.heartbeat(), 10_000);
      try {
        return await temporal.workflow.getHandle(workflowId).result();
      } finally {
        clearInterval(beat);
      }
    },
  };
}
