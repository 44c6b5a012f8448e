// A call that failed (or was cancelled) at a stage: its processing_logs row with the request that failed,
// the call and distribution rows marked, the ledger told (failed there, skipped after; or cancelled from
// there on), and a per-file event. One transaction; keyed by (batch, call, stage), so a retry adds nothing.
import { and, eq } from 'drizzle-orm';
import { safePayload } from '../core/errors.js';
import { eventStageName, type Stage } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import {
  batchStatus,
  call,
  failedRequest,
  fileDistribution,
  processingLogs,
} from '../drizzle/schema/index.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { recordOutcomes, stoppedAt } from '../lifecycle/ledger.js';
import type { Tx } from './calls.js';
import type { CallFailureInput } from './types.js';

/** Records a call's failure inside the caller's transaction (distribution, reconcile and the activity use it). */
export async function writeCallFailure(
  tx: Tx,
  input: CallFailureInput & { attempt: number; stages: Stage[]; audioName: string | null },
): Promise<void> {
  const { batchId, callId, stage } = input;
  const cancelled = input.errorType === 'cancelled';
  const name = eventStageName(stage);
  if (!cancelled) {
    const log = {
      callId: String(callId),
      audioName: input.audioName,
      batchId: String(batchId),
      stageName: name,
      status: 'failed',
      errorType: input.errorType.slice(0, 64),
      errorMessage: input.message,
      requestUrl: input.context.requestUrl?.slice(0, 2048) ?? null,
      inputPayload: JSON.stringify(
        safePayload({
          ...(input.context.inputPayload as object | undefined),
          rawResponse: input.context.rawResponse,
        }),
      ),
      attempts: input.attempts ?? null,
    };
    await tx.insert(processingLogs).values(log).onDuplicateKeyUpdate({ set: log });
  }
  await tx
    .update(call)
    .set({
      status: cancelled ? 'Cancelled' : 'Failed',
      failedStage: cancelled ? null : stage,
      errorMessage: input.message.slice(0, 4000),
    })
    .where(eq(call.id, callId));
  if (!cancelled) {
    await tx.update(fileDistribution).set({ failedStage: stage }).where(eq(fileDistribution.callId, callId));
  }
  // The call's stopped: a failed request kept for it (activities/failedRequest.ts) has been read or never will
  // be (a call found lost or terminated by the batch's reconcile).
  await tx
    .delete(failedRequest)
    .where(and(eq(failedRequest.batchId, batchId), eq(failedRequest.callId, callId)));
  await recordOutcomes(
    tx,
    stoppedAt(
      { batchId, callId },
      input.stages,
      stage,
      cancelled ? 'cancelled' : 'failed',
      cancelled ? input.message : `${input.errorType}: ${input.message}`,
    ),
  );
  await logEvent(tx, {
    batchId,
    stage: name,
    eventType: cancelled ? 'file_cancelled' : 'file_failed',
    status: cancelled ? 'Cancelled' : 'Failed',
    callId,
    message: `${input.audioName ?? `call ${callId}`}: ${input.message}`.slice(0, 4000),
    metadata: { errorType: input.errorType, requestUrl: input.context.requestUrl ?? null },
    eventKey: eventKey(
      { batchId, attempt: input.attempt },
      name,
      cancelled ? 'file_cancelled' : 'file_failed',
      callId,
    ),
  });
}

export function createFailureActivities({ db }: { db: Db }) {
  return {
    /**
     * Idempotent: every write is keyed by (batch, call, stage), and the ledger keeps its first decision. A
     * stale attempt's call records nothing.
     */
    async recordCallFailure(input: CallFailureInput): Promise<void> {
      const [row] = await db
        .select({ audioName: call.audioName })
        .from(call)
        .where(eq(call.id, input.callId));
      const [batch] = await db
        .select({ stages: batchStatus.stages, attempt: batchStatus.attempt })
        .from(batchStatus)
        .where(eq(batchStatus.id, input.batchId));
      // A call of an attempt before the batch's current one (a day run again while it was stopping): the
      // current attempt decides this call, so the stale end is not recorded.
      if (input.attempt !== undefined && batch && batch.attempt > input.attempt) return;
      // A call of the first batch shape sends neither: its batch knows.
      const stages = input.stages ?? (batch?.stages as Stage[] | undefined) ?? [input.stage];
      const attempt = input.attempt ?? batch?.attempt ?? 0;
      // The stage activity kept its failed request in the database (activities/failedRequest.ts): Temporal,
      // and so this input, has only a message without contents.
      const which = and(
        eq(failedRequest.batchId, input.batchId),
        eq(failedRequest.callId, input.callId),
        eq(failedRequest.stage, input.stage),
      );
      const [kept] = await db.select().from(failedRequest).where(which);
      const full = {
        ...input,
        ...(kept && input.errorType !== 'cancelled' ? { message: kept.message, context: kept.context } : {}),
        stages,
        attempt,
        audioName: row?.audioName ?? null,
      };
      await db.transaction((tx) => writeCallFailure(tx, full));
    },
  };
}
