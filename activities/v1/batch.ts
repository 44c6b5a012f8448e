// Bookkeeping of the first batch shape (workflows/v1): start, call listing, stage events and the final status,
// kept so that batches started before the batch ledger finish on the code that started them.
import { and, asc, count, eq, gt, inArray, sql } from 'drizzle-orm';
import { emptyCount, type Progress, stageStatus } from '../../core/progress.js';
import {
  BATCH_STATUS_COLUMN,
  type BatchStatus,
  DONE_FLAG,
  eventStageName,
  type Stage,
} from '../../core/stages.js';
import { batchStatus, call, callLock, fileDistribution, reauditCall } from '../../drizzle/schema/index.js';
import { logEvent } from '../../lifecycle/events.js';
import type { ActivityDeps } from '../deps.js';
import type {
  BatchCallItem,
  FinishBatchInput,
  FinishBatchOutput,
  ListBatchCallsInput,
  StageEventInput,
  StartBatchInput,
  StartBatchOutput,
} from '../types.js';
import { batchCallIds, batchKind, progressOfCalls } from './batchRows.js';

/** The batchStatus columns that hold each stage's status, from a progress. */
function stageStatusColumns(progress: Progress) {
  return Object.fromEntries(
    (Object.entries(progress) as [Stage, NonNullable<Progress[Stage]>][]).map(([stage, c]) => [
      BATCH_STATUS_COLUMN[stage],
      stageStatus(c),
    ]),
  );
}

export function createV1BatchActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /** Idempotent: re-running sets the same values and the start event exists once. */
    async startBatch({ batchId, runId }: StartBatchInput): Promise<StartBatchOutput> {
      const total = (await batchCallIds(db, batchId)).length;
      await db
        .update(batchStatus)
        .set({
          status: 'InProgress',
          runId,
          totalFiles: total,
          startedAt: sql`COALESCE(startedAt, CURRENT_TIMESTAMP(3))`,
        })
        .where(eq(batchStatus.id, batchId));
      await logEvent(db, {
        batchId,
        stage: 'batch',
        eventType: 'batch_start',
        status: 'InProgress',
        message: `batch started with ${total} calls`,
        totalFiles: total,
        eventKey: `${batchId}:batch:batch_start`,
      });
      return { total };
    },

    /** Read-only. Pages in call-id order so a continued run resumes exactly after its cursor. */
    async listBatchCalls({
      batchId,
      afterCallId,
      limit,
      stages,
    }: ListBatchCallsInput): Promise<BatchCallItem[]> {
      const kind = await batchKind(db, batchId);
      const base = db
        .select({
          callId: call.id,
          audioName: call.audioName,
          processId: call.processId,
          dist: fileDistribution,
        })
        .from(call)
        .leftJoin(fileDistribution, eq(fileDistribution.callId, call.id));
      const rows =
        kind === 'reaudit'
          ? await base
              .innerJoin(reauditCall, eq(reauditCall.callId, call.id))
              .where(and(eq(reauditCall.batchId, batchId), gt(call.id, afterCallId)))
              .orderBy(asc(call.id))
              .limit(limit)
          : await base
              .where(and(eq(call.batchId, batchId), gt(call.id, afterCallId)))
              .orderBy(asc(call.id))
              .limit(limit);
      return rows.map(({ dist, ...item }) => ({
        ...item,
        // Every stage of this batch already done (a resumed day): the batch counts it without a child.
        done:
          !!stages?.length &&
          !!dist &&
          stages.every((stage) => {
            const flag = DONE_FLAG[stage];
            return flag === null || dist[flag];
          }),
      }));
    },

    /** Idempotent by event key; the status column is set to the same value on a retry. */
    async recordStageEvent({ batchId, stage, event, count }: StageEventInput): Promise<void> {
      const name = eventStageName(stage);
      const status = event === 'start' ? 'InProgress' : stageStatus(count ?? emptyCount(0));
      await db.transaction(async (tx) => {
        await tx
          .update(batchStatus)
          .set({ [BATCH_STATUS_COLUMN[stage]]: status })
          .where(eq(batchStatus.id, batchId));
        await logEvent(tx, {
          batchId,
          stage: name,
          eventType: event === 'start' ? 'stage_start' : 'stage_complete',
          status,
          message:
            event === 'start'
              ? `${name} started`
              : `${name} finished: ${count?.done ?? 0} successful, ${count?.failed ?? 0} failed, ${count?.skipped ?? 0} skipped`,
          totalFiles: count?.total ?? null,
          successfulFiles: count?.done ?? null,
          failedFiles: count?.failed ?? null,
          metadata: count ? { skipped: count.skipped } : null,
          eventKey: `${batchId}:${name}:stage_${event}`,
        });
      });
    },

    /** Counts from the rows themselves, so the final numbers are the tables' numbers. Idempotent. */
    async finishBatch({ batchId, progress, cancelled }: FinishBatchInput): Promise<FinishBatchOutput> {
      const kind = await batchKind(db, batchId);
      const reaudit = kind === 'reaudit';
      const ids = await batchCallIds(db, batchId, kind);
      const counts = ids.length
        ? await db
            .select({ status: call.status, n: count() })
            .from(call)
            .where(inArray(call.id, ids))
            .groupBy(call.status)
        : [];
      const n = (s: string) => counts.find((c) => c.status === s)?.n ?? 0;
      const completed = n('Completed');
      const failed = n('Failed');
      const total = counts.reduce((sum, c) => sum + c.n, 0);
      // A cancelled reaudit's calls that never re-ran are marked Cancelled below, in the same transaction.
      const cancelledCalls = n('Cancelled') + (reaudit && cancelled ? n('Pending') + n('Queued') : 0);
      const status: BatchStatus = cancelled
        ? 'Cancelled'
        : total === 0 || completed === 0
          ? 'Failed'
          : failed > 0 || completed < total
            ? 'CompletedWithErrors'
            : 'Completed';
      let final = progress;
      await db.transaction(async (tx) => {
        if (reaudit && cancelled && ids.length) {
          // Calls this reaudit reset but never re-ran say that they need one.
          await tx
            .update(call)
            .set({
              status: 'Cancelled',
              errorMessage: 'reaudit cancelled before this call was re-run: reaudit it again',
            })
            .where(and(inArray(call.id, ids), inArray(call.status, ['Pending', 'Queued'])));
        }
        // The final status and the release of the reaudit's call locks are one change: a finished reaudit
        // never holds a call.
        if (reaudit) await tx.delete(callLock).where(eq(callLock.batchId, batchId));
        const [current] = await tx
          .select({ details: batchStatus.details, stages: batchStatus.stages })
          .from(batchStatus)
          .where(eq(batchStatus.id, batchId));
        // A cancel can land as a stage finishes, after the call could no longer report it: the rows, not the
        // reports, are the final count of a cancelled batch.
        if (cancelled && current) final = await progressOfCalls(tx, ids, current.stages as Stage[]);
        await tx
          .update(batchStatus)
          .set({
            ...stageStatusColumns(final),
            status,
            completedFiles: completed,
            failedFiles: failed,
            cancelledFiles: cancelledCalls,
            completedAt: sql`COALESCE(completedAt, CURRENT_TIMESTAMP(3))`,
            details: { ...(current?.details ?? {}), progress: final },
          })
          .where(eq(batchStatus.id, batchId));
        await logEvent(tx, {
          batchId,
          stage: 'batch',
          eventType: cancelled ? 'batch_cancelled' : 'batch_complete',
          status,
          message: `batch ${status}: ${completed} completed, ${failed} failed${cancelledCalls ? `, ${cancelledCalls} cancelled` : ''} of ${total}`,
          totalFiles: total,
          successfulFiles: completed,
          failedFiles: failed,
          eventKey: `${batchId}:batch:batch_end`,
        });
      });
      return { status, completed, failed, cancelled: cancelledCalls, total, progress: final };
    },
  };
}
