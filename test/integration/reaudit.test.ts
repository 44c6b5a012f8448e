// The seed's Test 4 (reaudit stt + llm2) and the reaudit request rules, on the real stack.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, count, desc, eq } from 'drizzle-orm';
import { batchExecutionLog, batchStatus, reauditCall } from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import {
  auditForm,
  getJson,
  postJson as postJsonTo,
  postReaudit,
  uploadAudit,
  waitForBatch,
} from '../support/http.js';
import { callState, callsOfBatch, locksOf } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let auditBatchId: number;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
  const res = await uploadAudit(
    stack.app,
    auditForm([
      { name: 'test.wav', bytes: makeWav(5, 21) },
      { name: 'other.wav', bytes: makeWav(5, 22) },
    ]),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  auditBatchId = Number(res.body.batch_id);
  const { final } = await waitForBatch(stack.app, res.body.task_id);
  assert.equal(final.status, 'Completed');
});
after(async () => {
  await stack?.stop();
});

const postJson = (url: string, body: unknown) => postJsonTo(stack.app, url, body);

describe('Test 4: reaudit (stt + llm2)', () => {
  test('old transcript and answers are replaced, downstream llm1 re-runs, the rest is untouched', async () => {
    const calls = await callsOfBatch(stack.db, auditBatchId);
    const testCall = calls.find((c) => c.audioName === 'test.wav')!;
    const otherCall = calls.find((c) => c.audioName === 'other.wav')!;
    const beforeTest = await callState(stack.db, testCall.id);
    const beforeOther = await callState(stack.db, otherCall.id);

    const res = await postReaudit(stack.app, { audio_names: ['test.wav'], stages: ['stt', 'llm2'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'queued');
    assert.match(String(res.body.task_id), /^reaudit-\d+$/);
    assert.deepEqual(res.body.stages, ['stt', 'redact', 'llm1', 'llm2']);
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    assert.deepEqual(final.deleted, { transcript: 1, analysis: 1, auditAnswer: 9 });
    assert.deepEqual(final.not_found, []);

    const afterTest = await callState(stack.db, testCall.id);
    assert.equal(afterTest.transcripts.length, 1, 'exactly one current transcript');
    assert.notEqual(afterTest.transcripts[0]!.id, beforeTest.transcripts[0]!.id, 'a new transcript row');
    assert.equal(afterTest.answers.length, 9);
    assert.ok(
      afterTest.answers.every((a) => !beforeTest.answers.some((b) => b.id === a.id)),
      'new answers',
    );
    assert.equal(afterTest.lid[0]!.id, beforeTest.lid[0]!.id, 'lid was not re-run');
    assert.equal(afterTest.call.status, 'Completed');
    assert.deepEqual(
      [afterTest.dist.lidDone, afterTest.dist.sttDone, afterTest.dist.llm1Done, afterTest.dist.llm2Done],
      [true, true, true, true],
    );

    const afterOther = await callState(stack.db, otherCall.id);
    assert.equal(afterOther.transcripts[0]!.id, beforeOther.transcripts[0]!.id, 'other call untouched');

    const batchId = Number(res.body.batch_id);
    const [batch] = await stack.db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
    assert.equal(batch!.kind, 'reaudit');
    assert.equal(batch!.sttStatus, 'Complete');
    assert.equal(batch!.lidStatus, 'Pending', 'lid not part of this reaudit');
    const links = await stack.db.select().from(reauditCall).where(eq(reauditCall.batchId, batchId));
    assert.deepEqual(
      links.map((l) => [l.callId, l.originalBatchId]),
      [[testCall.id, auditBatchId]],
    );
    const events = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(eq(batchExecutionLog.batchId, batchId));
    const types = events.map((e) => `${e.stage}:${e.eventType}`);
    for (const t of [
      'batch:batch_start',
      'cleanup:cleanup',
      'stt:stage_start',
      'stt:stage_complete',
      'llm2:stage_complete',
      'batch:batch_complete',
    ]) {
      assert.ok(types.includes(t), `event ${t} in ${types.join(', ')}`);
    }
    assert.deepEqual(await locksOf(stack.db, [testCall.id]), [], 'lock released');
    await recordHistory(
      stack.client,
      workflowIds.reaudit(stack.config.COFI_TASK_QUEUE, batchId),
      'reauditV2.stt-llm2',
    );
  });
});

describe('reaudit request rules', () => {
  const cases: [string, unknown, number, RegExp][] = [
    ['empty names', { audio_names: [], stages: ['stt'] }, 422, /audio_names may not be empty/],
    ['unknown stage', { audio_names: ['test.wav'], stages: ['translate'] }, 422, /stages/],
    ['duplicate names', { audio_names: ['test.wav', 'test.wav'], stages: ['stt'] }, 422, /duplicates/],
    [
      'names equal ignoring case and accents',
      { audio_names: ['Café.wav', 'cafe.WAV'], stages: ['stt'] },
      422,
      /duplicates: "Café\.wav" and "cafe\.WAV"/,
    ],
    ['duplicate stages', { audio_names: ['test.wav'], stages: ['stt', 'stt'] }, 422, /duplicates/],
    [
      'unknown field',
      { audio_names: ['test.wav'], stages: ['stt'], force: true },
      422,
      /force|unrecognized/i,
    ],
    ['no name matches', { audio_names: ['nope.wav'], stages: ['stt'] }, 404, /nope\.wav/],
  ];
  for (const [name, body, status, detail] of cases) {
    test(`${name}: ${status}`, async () => {
      const [before] = await stack.db.select({ n: count() }).from(batchStatus);
      const res = await postJson('/reaudit', body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(String(res.body.detail), detail);
      const [afterRow] = await stack.db.select({ n: count() }).from(batchStatus);
      assert.deepEqual(afterRow, before);
    });
  }

  test('names that match no call are reaudited around and listed', async () => {
    const res = await postReaudit(stack.app, { audio_names: ['other.wav', 'missing.wav'], stages: ['llm2'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.not_found, ['missing.wav']);
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed');
    assert.deepEqual(final.not_found, ['missing.wav']);
    assert.equal(final.total_files, 1);
  });

  test('a name in another case is the call the database finds, not "not found"', async () => {
    const res = await postReaudit(stack.app, { audio_names: ['OTHER.wav'], stages: ['llm2'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.not_found, []);
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed');
    assert.equal(final.total_files, 1);
  });

  test('status and cancel of unknown tasks are 404; cancel of a finished one is 409', async () => {
    assert.equal((await getJson(stack.app, '/reaudit/status/reaudit-99999999')).status, 404);
    assert.equal((await postJson('/reaudit/reaudit-99999999/cancel', {})).status, 404);
    // The database is shared by the suite's files: take the reaudit this file just saw complete.
    const [done] = await stack.db
      .select()
      .from(batchStatus)
      .where(and(eq(batchStatus.kind, 'reaudit'), eq(batchStatus.status, 'Completed')))
      .orderBy(desc(batchStatus.id))
      .limit(1);
    const res = await postJson(`/reaudit/${done!.taskId}/cancel`, {});
    assert.equal(res.status, 409);
    assert.match(String(res.body.detail), /already finished/);
  });
});
