// Keeps a stage's failed request in the database instead of in Temporal. A failure thrown by an activity is
// stored in the workflow's history (its message, details and cause), and a stage's request is personal data:
// it names the recording, and an LLM stage's is the transcript. So the full failure goes to `failedRequest`,
// and Temporal gets the same failure type and retry decision with a message that holds no contents; the
// call's failure record (recordCallFailure) reads the stored one back.
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { and, eq, sql } from 'drizzle-orm';
import { type FailureContext, failureContext, safeMessage, safePayload } from '../core/errors.js';
import type { Stage } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { failedRequest } from '../drizzle/schema/index.js';

export type StageCall = { batchId: number; callId: number; stage?: Stage };

export function keepRequestInDatabase<I extends StageCall, O>(
  db: Db,
  stage: Stage,
  run: (input: I) => Promise<O>,
): (input: I) => Promise<O> {
  return async (input) => {
    const key = { batchId: input.batchId, callId: input.callId, stage: input.stage ?? stage };
    let out: O;
    try {
      out = await run(input);
    } catch (err) {
      throw await keep(db, key, err);
    }
    // A failed attempt's request is of no use once a retry succeeded.
    await db
      .delete(failedRequest)
      .where(
        and(
          eq(failedRequest.batchId, key.batchId),
          eq(failedRequest.callId, key.callId),
          eq(failedRequest.stage, key.stage),
        ),
      );
    return out;
  };
}

async function keep(db: Db, key: Required<StageCall>, err: unknown): Promise<unknown> {
  // A cancellation is Temporal's own and says nothing of the call. (An attempt cut by a heartbeat timeout or a
  // worker's shutdown may fail with a stage's own failure: that one is cleaned like any other.)
  if (err instanceof CancelledFailure) return err;
  const app = err instanceof ApplicationFailure ? err : undefined;
  const type = app?.type ?? (err as Error)?.name ?? 'Error';
  const message = (err as Error)?.message ?? String(err);
  const context = failureContext(err);
  const row = {
    ...key,
    message: message.slice(0, 8000),
    context: safePayload(context) as FailureContext,
    attempt: Context.current().info.attempt,
    failedAt: new Date(),
  };
  try {
    await db
      .insert(failedRequest)
      .values(row)
      .onDuplicateKeyUpdate({
        set: {
          message: row.message,
          context: row.context,
          attempt: row.attempt,
          failedAt: sql`values(failedAt)`,
        },
      });
  } catch (writeErr) {
    // The database is down: the attempt fails anyway and is retried; the request is lost, not leaked.
    Context.current().log.warn('failed request not kept', { error: (writeErr as Error).message });
  }
  return ApplicationFailure.create({
    type,
    message: safeMessage(key.stage, type, message, context),
    nonRetryable: app?.nonRetryable ?? false,
    details: [],
  });
}
