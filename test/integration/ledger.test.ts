// The ledger on the real database: each stage's outcome is written once (the first decision wins), a stopped
// call counts once in every stage, and a call of an attempt before the batch's current one records nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { createActivities } from '../../activities/index.js';
import { probeAudio } from '../../core/audio/probe.js';
import { batchStatus, call, processingLogs, stageOutcome } from '../../drizzle/schema/index.js';
import { ledgerProgress, recordOutcomes } from '../../lifecycle/ledger.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let activities: ReturnType<typeof createActivities>;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
  const inference = { probeAudio } as never;
  activities = createActivities({
    db: stack.db,
    temporal: stack.client,
    config: stack.config,
    audio: stack.audio,
    inference,
  });
});
after(async () => {
  await stack?.stop();
});

const STAGES = ['distribute', 'lid', 'stt', 'llm1', 'llm2'] as const;

async function batchWithCall(attempt: number) {
  const tag = randomUUID().slice(0, 8);
  const [b] = await stack.db.insert(batchStatus).values({
    batchDate: '2026-01-01',
    kind: 'daily',
    status: 'InProgress',
    taskId: `ledger-${tag}`,
    workflowId: `ledger-${tag}/none`,
    stages: [...STAGES],
    totalFiles: 1,
    attempt,
  });
  const [c] = await stack.db.insert(call).values({
    batchId: b.insertId,
    audioName: `ledger-${tag}.wav`,
    storedPath: `batch-${b.insertId}/00001.wav`,
    processId: 1,
    status: 'InProgress',
  });
  return { batchId: b.insertId, callId: c.insertId };
}

const failure = (ref: { batchId: number; callId: number }, attempt: number) =>
  activities.main.recordCallFailure({
    ...ref,
    stage: 'stt',
    errorType: 'client_error',
    message: 'HTTP 400',
    context: { requestUrl: 'http://node/v1/audio/transcriptions' },
    attempt,
    stages: [...STAGES],
  });

test('a failure counts once in every stage: failed where it happened, skipped after, nothing before', async () => {
  const ref = await batchWithCall(1);
  await failure(ref, 1);
  await failure(ref, 1); // a retried recorder adds nothing
  const progress = await ledgerProgress(stack.db, { id: ref.batchId, stages: [...STAGES], totalFiles: 1 });
  assert.deepEqual(
    STAGES.map((s) => [s, progress[s]!.done, progress[s]!.failed, progress[s]!.skipped]),
    [
      ['distribute', 0, 0, 0],
      ['lid', 0, 0, 0],
      ['stt', 0, 1, 0],
      ['llm1', 0, 0, 1],
      ['llm2', 0, 0, 1],
    ],
  );
  const logs = await stack.db
    .select()
    .from(processingLogs)
    .where(eq(processingLogs.batchId, String(ref.batchId)));
  assert.equal(logs.length, 1);
});

test('the first decision wins: a later outcome for the same stage changes nothing', async () => {
  const ref = await batchWithCall(1);
  await recordOutcomes(stack.db, [{ ...ref, stage: 'lid', outcome: 'cancelled', reason: 'batch cancelled' }]);
  await recordOutcomes(stack.db, [{ ...ref, stage: 'lid', outcome: 'done' }]);
  const [row] = await stack.db
    .select()
    .from(stageOutcome)
    .where(and(eq(stageOutcome.batchId, ref.batchId), eq(stageOutcome.callId, ref.callId)));
  assert.equal(row?.outcome, 'cancelled');
});

test("a call of an attempt before the batch's current one records nothing (the day runs it again)", async () => {
  const ref = await batchWithCall(2);
  await failure(ref, 1);
  assert.deepEqual(
    await stack.db.select().from(stageOutcome).where(eq(stageOutcome.batchId, ref.batchId)),
    [],
    'no outcome from the stale attempt',
  );
  const [row] = await stack.db.select().from(call).where(eq(call.id, ref.callId));
  assert.equal(row?.status, 'InProgress', 'the call is left to the current attempt');
  await failure(ref, 2);
  assert.equal(
    (await stack.db.select().from(stageOutcome).where(eq(stageOutcome.batchId, ref.batchId))).length,
    3,
  );
});
