// Reads and writes shared by the stage activities: a call's row, its route, its stage flags.
import { eq } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { DONE_FLAG, type Stage } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { type CallRow, call, fileDistribution } from '../drizzle/schema/index.js';

export async function loadCall(db: Db, callId: number): Promise<CallRow> {
  const [row] = await db.select().from(call).where(eq(call.id, callId));
  if (!row) throw stageFailure('missing_data', `call ${callId} does not exist`);
  return row;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Marks a stage done for a call: its `fileDistribution` flag, and the call's stage and status.
 * Setting a flag to 1 twice is harmless, which keeps every stage activity idempotent.
 */
export async function markStageDone(
  tx: Tx,
  callId: number,
  stage: Stage,
  last: boolean,
  extra: Partial<CallRow> = {},
) {
  const flag = DONE_FLAG[stage];
  if (flag) {
    await tx
      .update(fileDistribution)
      .set({ [flag]: true, failedStage: null })
      .where(eq(fileDistribution.callId, callId));
  }
  await tx
    .update(call)
    .set({
      ...extra,
      stage,
      status: last ? 'Completed' : 'InProgress',
      failedStage: null,
      errorMessage: null,
    })
    .where(eq(call.id, callId));
}

/**
 * True when the call already finished `stage` (its flag is 1): a resumed batch or a retried activity
 * never runs a finished stage again. When it is the call's last stage, the call is marked completed.
 */
export async function skipIfDone(db: Db, callId: number, stage: Stage, last: boolean): Promise<boolean> {
  const flag = DONE_FLAG[stage];
  if (!flag) return false;
  const [row] = await db
    .select({ done: fileDistribution[flag] })
    .from(fileDistribution)
    .where(eq(fileDistribution.callId, callId));
  if (!row?.done) return false;
  if (last) await db.update(call).set({ stage, status: 'Completed' }).where(eq(call.id, callId));
  return true;
}
