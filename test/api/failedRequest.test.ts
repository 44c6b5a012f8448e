// A stage's failed request waits in failedRequest (activities/failedRequest.ts) only until the call's failure is
// written: whichever way it is written. The workflow's recordCallFailure reads it back; a call the batch finds
// lost or terminated is failed by the batch's reconcile, which never reads it: the row must go all the same,
// or the request (an LLM stage's is the transcript) would stay in the database past the failure log's blanking.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { writeCallFailure } from '../../activities/failures.js';
import { failedRequest, processingLogs } from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
let api: ApiApp;
let seed: SeededBatch;

before(async () => {
  api = await openApiApp();
  seed = await seedFinishedBatch(api.db, api.audio, [`fr-ok-${tag}.wav`, `fr-failed-${tag}.wav`]);
});
after(async () => {
  await api.db.delete(failedRequest).where(eq(failedRequest.batchId, seed.batchId));
  await seed?.cleanup();
  await api?.stop();
});

test("a failure written by the reconcile (a lost call) takes the call's kept failed requests with it", async () => {
  const ref = { batchId: seed.batchId, callId: seed.okCallId };
  await api.db.insert(failedRequest).values({
    ...ref,
    stage: 'llm1',
    message: 'http://llm/v1/chat/completions answered 500: the transcript was ...',
    context: { inputPayload: { messages: [{ role: 'user', content: `a transcript ${tag}` }] } },
    attempt: 3,
    failedAt: new Date(),
  });
  await api.db.transaction((tx) =>
    writeCallFailure(tx, {
      ...ref,
      stage: 'llm1',
      errorType: 'lost',
      message: 'the call workflow ended without reporting',
      context: {},
      attempt: 0,
      stages: ['distribute', 'lid', 'stt', 'redact', 'llm1', 'llm2'],
      audioName: null,
    }),
  );
  const left = await api.db
    .select()
    .from(failedRequest)
    .where(and(eq(failedRequest.batchId, ref.batchId), eq(failedRequest.callId, ref.callId)));
  assert.deepEqual(left, []);
  const [log] = await api.db
    .select()
    .from(processingLogs)
    .where(
      and(eq(processingLogs.batchId, String(ref.batchId)), eq(processingLogs.callId, String(ref.callId))),
    );
  assert.equal(log?.errorType, 'lost', 'the failure itself is recorded');
});
