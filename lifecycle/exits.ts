// How a batch ends. `closeBatch` records a final status from the ledger, stops the calls the end left
// undecided, releases the batch's call locks and logs the end, all in one transaction; the batch workflow
// calls it on every way out. `recordLostExits` does the same for batches whose workflow ended without it
// (terminated, timed out) or never started.
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { and, eq, inArray, lt, sql } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { type BatchKind, type BatchStatus, isTerminal, type Stage } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { type BatchRow, batchStatus, call, callLock, reauditCall } from '../drizzle/schema/index.js';
import { SEARCH_ATTRIBUTES, workflowIds } from '../workflows/definitions.js';
import { eventKey, logEvent } from './events.js';
import {
  callTotals,
  doneStages,
  ledgerProgress,
  outcomesAt,
  type Reader,
  recordOutcomes,
  stoppedAt,
} from './ledger.js';
import { applyStageView } from './stageView.js';

export type BatchExit = 'done' | 'cancelled' | 'failed';
export type ClosedBatch = {
  status: BatchStatus;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
};

/** The ids of a batch's calls: its own, or for a reaudit the calls it covers. */
export async function memberIds(db: Reader, batch: { id: number; kind: BatchKind }): Promise<number[]> {
  const rows =
    batch.kind === 'reaudit'
      ? await db.select({ id: reauditCall.callId }).from(reauditCall).where(eq(reauditCall.batchId, batch.id))
      : await db.select({ id: call.id }).from(call).where(eq(call.batchId, batch.id));
  return rows.map((r) => r.id);
}

export function finalStatus(exit: BatchExit, totals: { total: number; completed: number; failed: number }) {
  if (exit === 'cancelled') return 'Cancelled' as const;
  if (exit === 'failed' || totals.total === 0 || totals.completed === 0) return 'Failed' as const;
  return totals.failed > 0 || totals.completed < totals.total
    ? ('CompletedWithErrors' as const)
    : ('Completed' as const);
}

/** What a call left undecided by the end is told: why it stopped, and what to do about it. */
function stopReason(kind: BatchKind, exit: BatchExit, reason: string | undefined): string {
  if (exit === 'done') return 'the call ended without recording an outcome';
  const what = exit === 'cancelled' ? 'cancelled' : `failed (${reason ?? 'unknown error'})`;
  return kind === 'reaudit'
    ? `reaudit ${what} before this call was re-run: reaudit it again`
    : `batch ${what} before this call finished`;
}

const chunks = <T>(items: T[], size: number) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, i * size + size));

/**
 * Records the end of a batch's attempt. Idempotent: a retry after the commit finds the batch ended by this
 * attempt and answers the same.
 */
export async function closeBatch(
  db: Db,
  input: { batchId: number; attempt: number; exit: BatchExit; reason?: string },
): Promise<ClosedBatch> {
  return db.transaction(async (tx) => {
    const [b] = await tx.select().from(batchStatus).where(eq(batchStatus.id, input.batchId)).for('update');
    if (!b) throw stageFailure('missing_data', `batch ${input.batchId} does not exist`);
    const stages = b.stages as Stage[];
    if (isTerminal(b.status) && b.attempt === input.attempt) {
      const totals = callTotals(await ledgerProgress(tx, { ...b, stages }), stages);
      return { status: b.status, ...totals };
    }
    const ids = await memberIds(tx, b);
    const last = stages.at(-1);
    const decided = last ? await outcomesAt(tx, b.id, last, ids) : new Map();
    const undecided = ids.filter((id) => !decided.has(id));
    if (undecided.length > 0 && last) {
      const reason = stopReason(b.kind, input.exit, input.reason);
      const how = input.exit === 'done' ? 'failed' : 'cancelled';
      const done = await doneStages(tx, b.id, undecided);
      const rows = undecided.flatMap((callId) => {
        const at = stages.find((s) => !done.get(callId)?.has(s)) ?? last;
        return stoppedAt({ batchId: b.id, callId }, stages, at, how, reason);
      });
      for (const part of chunks(rows, 500)) await recordOutcomes(tx, part);
      for (const part of chunks(undecided, 500)) {
        await tx
          .update(call)
          .set({ status: how === 'failed' ? 'Failed' : 'Cancelled', errorMessage: reason })
          .where(and(inArray(call.id, part), inArray(call.status, ['Queued', 'InProgress', 'Pending'])));
      }
    }
    const progress = await ledgerProgress(tx, { ...b, stages });
    const totals = callTotals(progress, stages);
    const status = finalStatus(input.exit, totals);
    await applyStageView(tx, b, progress);
    // The final status and the release of the batch's calls are one change: an ended batch holds no call.
    await tx.delete(callLock).where(eq(callLock.batchId, b.id));
    await tx
      .update(batchStatus)
      .set({
        status,
        completedFiles: totals.completed,
        failedFiles: totals.failed,
        cancelledFiles: totals.cancelled,
        completedAt: sql`CURRENT_TIMESTAMP(3)`,
        details: {
          ...(b.details ?? {}),
          exit: { status, reason: input.reason ?? null, attempt: b.attempt },
        },
      })
      .where(eq(batchStatus.id, b.id));
    const type = { done: 'batch_complete', cancelled: 'batch_cancelled', failed: 'batch_failed' }[input.exit];
    await logEvent(tx, {
      batchId: b.id,
      stage: 'batch',
      eventType: type,
      status,
      message:
        `batch ${status}: ${totals.completed} completed, ${totals.failed} failed` +
        `${totals.cancelled ? `, ${totals.cancelled} cancelled` : ''} of ${totals.total}` +
        (input.reason && input.exit !== 'done' ? ` (${input.reason})` : ''),
      totalFiles: totals.total,
      successfulFiles: totals.completed,
      failedFiles: totals.failed,
      metadata: { cancelled: totals.cancelled, reason: input.reason ?? null, attempt: b.attempt },
      eventKey: eventKey({ batchId: b.id, attempt: b.attempt }, 'batch', 'batch_end'),
    });
    return { status, ...totals };
  });
}

/** What Temporal says of the workflow that owns a batch. */
export type WorkflowVerdict =
  | { state: 'running' }
  | { state: 'ended'; how: string }
  | { state: 'absent' }
  | { state: 'unknown'; why: string };

export async function workflowVerdict(temporal: Client, batch: BatchRow): Promise<WorkflowVerdict> {
  try {
    const d = await temporal.workflow.getHandle(batch.workflowId).describe();
    const owner = Number(d.memo?.batchId ?? d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.batchId));
    // The audit upload's id is shared by every upload: a newer execution means this batch's has ended.
    if (Number.isInteger(owner) && owner > 0 && owner !== batch.id)
      return { state: 'ended', how: 'replaced' };
    if (d.status.name === 'RUNNING') return { state: 'running' };
    return { state: 'ended', how: d.status.name.toLowerCase().replaceAll('_', ' ') };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return { state: 'absent' };
    return { state: 'unknown', why: (err as Error).message };
  }
}

/**
 * Batches that are not ended but whose workflow is: recorded as ended now (Failed, or Cancelled when Temporal
 * cancelled it), their calls in flight asked to stop. A batch admitted whose workflow never appeared within
 * `graceMs` failed to start. Safe to run anywhere, any number of times.
 */
export async function recordLostExits(
  deps: { db: Db; temporal: Client; prefix: string },
  options: { graceMs?: number; batchIds?: number[] } = {},
): Promise<{ batchId: number; status: BatchStatus; reason: string }[]> {
  const grace = options.graceMs ?? 120_000;
  const open = await deps.db
    .select()
    .from(batchStatus)
    .where(
      and(
        inArray(batchStatus.status, ['Pending', 'InProgress']),
        options.batchIds?.length ? inArray(batchStatus.id, options.batchIds) : undefined,
        // A batch of another deployment sharing the database is not ours to judge.
        sql`${batchStatus.workflowId} LIKE ${`${deps.prefix}/%`}`,
      ),
    );
  const recorded: { batchId: number; status: BatchStatus; reason: string }[] = [];
  for (const batch of open) {
    const verdict = await workflowVerdict(deps.temporal, batch);
    let exit: BatchExit | null = null;
    let reason = '';
    if (verdict.state === 'ended') {
      exit = verdict.how === 'canceled' ? 'cancelled' : 'failed';
      reason =
        verdict.how === 'replaced'
          ? 'its workflow ended without recording an end (terminated or timed out)'
          : `its workflow was ${verdict.how} in Temporal`;
    } else if (verdict.state === 'absent' && batch.createdAt.getTime() < Date.now() - grace) {
      exit = 'failed';
      reason = batch.status === 'Pending' ? 'its workflow never started' : 'its workflow no longer exists';
    }
    if (!exit) continue;
    const closed = await closeBatch(deps.db, { batchId: batch.id, attempt: batch.attempt, exit, reason });
    await stopCalls(deps.temporal, deps.prefix, batch.id);
    recorded.push({ batchId: batch.id, status: closed.status, reason });
  }
  return recorded;
}

/** Asks the call workflows of a batch that still run to stop (they record nothing new: the batch is ended). */
async function stopCalls(temporal: Client, prefix: string, batchId: number): Promise<void> {
  const query = `${SEARCH_ATTRIBUTES.batchId.name} = ${batchId} AND ExecutionStatus = 'Running'`;
  try {
    for await (const w of temporal.workflow.list({ query })) {
      if (!w.workflowId.startsWith(`${prefix}/batch-${batchId}/`)) continue;
      await temporal.workflow
        .getHandle(w.workflowId)
        .cancel()
        .catch(() => undefined);
    }
  } catch {
    // Visibility is best effort here: a call that runs on writes nothing the ended batch counts.
  }
}

/** Pending batches older than `ms` (for tests and the sweep's log). */
export const stalePending = (db: Db, ms: number) =>
  db
    .select({ id: batchStatus.id })
    .from(batchStatus)
    .where(and(eq(batchStatus.status, 'Pending'), lt(batchStatus.createdAt, new Date(Date.now() - ms))));

export { workflowIds };
