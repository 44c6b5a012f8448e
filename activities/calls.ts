// Reads and writes shared by the stage activities: a call's row, and a stage marked done (its flag, the call
// row and the batch ledger, in the stage's own transaction).
import { eq } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { DONE_FLAG, type Stage } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { type CallRow, call, fileDistribution } from '../drizzle/schema/index.js';
import { recordOutcomes } from '../lifecycle/ledger.js';

export async function loadCall(db: Db, callId: number): Promise<CallRow> {
  const [row] = await db.select().from(call).where(eq(call.id, callId));
  if (!row) throw stageFailure('missing_data', `call ${callId} does not exist`);
  return row;
}

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export type StageDone = {
  batchId: number;
  callId: number;
  stage: Stage;
  /** The call's last stage in this run: the call is completed. */
  last: boolean;
  /** When the attempt that did the work began (the ledger keeps it for the stage's timings). */
  startedAt: Date;
};

/**
 * Marks a stage done for a call: its `fileDistribution` flag, the call's stage and status, and the ledger row.
 * Setting a flag to 1 twice, or writing a ledger row that exists, changes nothing: the activity stays idempotent.
 */
export async function markStageDone(
  tx: Tx,
  done: StageDone,
  extra: Partial<CallRow> = {},
  outcome: 'done' | 'no_speech' = 'done',
) {
  const flag = DONE_FLAG[done.stage];
  if (flag) {
    await tx
      .update(fileDistribution)
      .set({ [flag]: true, failedStage: null })
      .where(eq(fileDistribution.callId, done.callId));
  }
  await tx
    .update(call)
    .set({
      ...extra,
      stage: done.stage,
      status: done.last ? 'Completed' : 'InProgress',
      failedStage: null,
      errorMessage: null,
    })
    .where(eq(call.id, done.callId));
  await recordOutcomes(tx, [
    {
      batchId: done.batchId,
      callId: done.callId,
      stage: done.stage,
      outcome,
      ...(outcome === 'no_speech' ? { reason: 'no speech in the recording: nothing to send' } : {}),
      startedAt: done.startedAt,
    },
  ]);
}

/**
 * A stage that reads the transcript, for a call STT heard no speech in: nothing is sent, and the stage is
 * finished as `no_speech` (its flag set, so no later run tries again). Returns false for a call with speech.
 */
export async function finishWithoutSpeech(db: Db, row: CallRow, done: StageDone): Promise<boolean> {
  if (row.skipReason !== 'no_speech') return false;
  await db.transaction(async (tx) => {
    await markStageDone(tx, done, { skipReason: 'no_speech' }, 'no_speech');
  });
  return true;
}

/**
 * True when the call already finished `stage` (its flag is 1): a retried activity never runs a finished stage
 * again. The ledger row and, for the call's last stage, its completion are written if a crash left them out.
 */
export async function skipIfDone(
  db: Db,
  ref: { batchId: number; callId: number },
  stage: Stage,
  last: boolean,
): Promise<boolean> {
  const flag = DONE_FLAG[stage];
  if (!flag) return false;
  const [row] = await db
    .select({ done: fileDistribution[flag] })
    .from(fileDistribution)
    .where(eq(fileDistribution.callId, ref.callId));
  if (!row?.done) return false;
  await db.transaction(async (tx) => {
    if (last) await tx.update(call).set({ stage, status: 'Completed' }).where(eq(call.id, ref.callId));
    await recordOutcomes(tx, [{ ...ref, stage, outcome: 'done' }]);
  });
  return true;
}
