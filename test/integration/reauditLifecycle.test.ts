// A reaudit hears a cancel from its first moment (a cancel sent right after the request deletes nothing), a
// call whose distribution failed is distributed again, and a call counts once in each stage of the ledger
// even when its language is one STT does not take.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { answer } from '../../api/client.js';
import {
  analysis,
  auditAnswer,
  call,
  fileDistribution,
  lidResult,
  stageOutcome,
  transcript,
} from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { api, auditForm, postReaudit, reply, statusOf, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
});
after(async () => {
  await stack?.stop();
});

async function uploaded(names: string[]) {
  const res = await uploadAudit(
    stack.app,
    auditForm(names.map((name, i) => ({ name, bytes: makeWav(2, 500 + i + name.length, 200) }))),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, res.body.task_id);
  // The upload's workflow closes a moment after its batch has ended; the next test's upload must not meet it
  // still closing (the API waits 5 s for that, then answers 409: once seen in CI, not understood yet).
  await stack.client.workflow.getHandle(workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE)).result();
  const calls = await stack.db
    .select()
    .from(call)
    .where(eq(call.batchId, Number(res.body.batch_id)));
  return { final, calls };
}

/** Rows of every result table for these calls. */
async function results(ids: number[]) {
  const n = async (rows: Promise<unknown[]>) => (await rows).length;
  return {
    lidResult: await n(stack.db.select().from(lidResult).where(inArray(lidResult.callId, ids))),
    transcript: await n(stack.db.select().from(transcript).where(inArray(transcript.callId, ids))),
    analysis: await n(stack.db.select().from(analysis).where(inArray(analysis.callId, ids))),
    auditAnswer: await n(stack.db.select().from(auditAnswer).where(inArray(auditAnswer.callId, ids))),
  };
}

describe('reaudit', () => {
  test('a cancel sent right after the request: nothing deleted, Cancelled, the calls keep their results', async () => {
    const { calls } = await uploaded(['keep-1.wav', 'keep-2.wav', 'keep-3.wav']);
    const ids = calls.map((c) => c.id);
    const before = await results(ids);
    assert.deepEqual(before, { lidResult: 3, transcript: 3, analysis: 3, auditAnswer: 27 });
    // The workers are stopped, so the reaudit's first workflow task sees the request and the cancel together.
    await stack.stopWorkers();
    let taskId: string;
    try {
      const res = await postReaudit(stack.app, {
        audio_names: ['keep-1.wav', 'keep-2.wav', 'keep-3.wav'],
        stages: ['lid'],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      taskId = String(res.body.task_id);
      const cancel = await reply(
        api(stack.app).reaudit[':task_id'].cancel.$post({ param: { task_id: taskId } }),
      );
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    } finally {
      await stack.startWorkers();
    }
    const { final } = await waitForBatch(stack.app, taskId);
    assert.equal(final.status, 'Cancelled', JSON.stringify(final));
    assert.deepEqual(final.deleted, {}, 'no table was cleaned');
    assert.deepEqual(await results(ids), before, 'every result is still there');
    assert.equal(final.cancelled, 3);
    const rows = await stack.db.select().from(call).where(inArray(call.id, ids));
    assert.deepEqual(
      rows.map((c) => c.status),
      ['Completed', 'Completed', 'Completed'],
      'calls it never touched keep their state',
    );
  });

  test('a cancel during the clean-up stops it between tables: answers gone, transcripts kept, none half deleted', async () => {
    const { calls } = await uploaded(['half-1.wav', 'half-2.wav']);
    const ids = calls.map((c) => c.id);
    // Another client holds the answers table: the clean-up's first table (answers go first) waits for it,
    // and the cancel arrives meanwhile.
    const blocker = await stack.database.pool.getConnection();
    let taskId: string;
    try {
      await blocker.query('LOCK TABLES auditAnswer WRITE');
      const res = await postReaudit(stack.app, {
        audio_names: ['half-1.wav', 'half-2.wav'],
        stages: ['stt'],
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      taskId = String(res.body.task_id);
      for (let i = 0; ; i++) {
        const { body } = await statusOf(stack.app, taskId);
        if (body.status === 'InProgress') break;
        assert.ok(i < 100, 'the reaudit started');
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300));
      const cancel = await reply(
        api(stack.app).reaudit[':task_id'].cancel.$post({ param: { task_id: taskId } }),
      );
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    } finally {
      await blocker.query('UNLOCK TABLES');
      blocker.release();
    }
    const { final } = await waitForBatch(stack.app, taskId);
    assert.equal(final.status, 'Cancelled', JSON.stringify(final));
    // The table in hand was finished, for every call; no later one was touched.
    assert.deepEqual(final.deleted, { auditAnswer: 18 });
    assert.deepEqual(await results(ids), { lidResult: 2, transcript: 2, analysis: 2, auditAnswer: 0 });
    const rows = await stack.db.select().from(call).where(inArray(call.id, ids));
    for (const c of rows) {
      assert.equal(c.status, 'Cancelled');
      assert.match(String(c.errorMessage), /reaudit it again/);
    }
    await recordHistory(
      stack.client,
      workflowIds.reaudit(stack.config.COFI_TASK_QUEUE, Number(final.batch_id)),
      'reauditV2.cancel-during-cleanup',
    );
  });

  test('a call whose distribution failed is distributed again and re-run', async () => {
    const { calls } = await uploaded(['redistribute.wav']);
    const id = calls[0]!.id;
    // As a distribution that failed leaves it: no distribution row, the call failed at distribute.
    await stack.db.delete(fileDistribution).where(eq(fileDistribution.callId, id));
    await stack.db
      .update(call)
      .set({
        status: 'Failed',
        failedStage: 'distribute',
        errorMessage: 'distribution failed',
        gpuNode: null,
      })
      .where(eq(call.id, id));
    const res = await postReaudit(stack.app, { audio_names: ['redistribute.wav'], stages: ['lid'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    assert.deepEqual(res.body.stages, ['distribute', 'lid', 'stt', 'redact', 'llm1', 'llm2']);
    const [dist] = await stack.db.select().from(fileDistribution).where(eq(fileDistribution.callId, id));
    assert.ok(dist?.gpuNode, 'distributed again');
    assert.equal(dist?.llm2Done, true);
  });
});

test('a language STT does not take: the call fails at lid, counted once (not also done)', async () => {
  const { final, calls } = await uploaded(['spoken_fr.wav', 'spoken_en.wav']);
  assert.equal(final.status, 'CompletedWithErrors', JSON.stringify(final));
  const progress = final.progress as Record<string, { done: number; failed: number; skipped: number }>;
  assert.deepEqual(progress.lid, { total: 2, done: 1, failed: 1, skipped: 0, cancelled: 0, no_speech: 0 });
  assert.deepEqual(progress.stt, { total: 2, done: 1, failed: 0, skipped: 1, cancelled: 0, no_speech: 0 });
  const french = calls.find((c) => c.audioName === 'spoken_fr.wav')!;
  assert.equal(french.status, 'Failed');
  assert.equal(french.lang, 'fr', 'the language is recorded');
  const [dist] = await stack.db.select().from(fileDistribution).where(eq(fileDistribution.callId, french.id));
  assert.equal(dist?.lidDone, false, 'lid is not marked done for a call that failed there');
  const ledger = await stack.db.select().from(stageOutcome).where(eq(stageOutcome.callId, french.id));
  assert.deepEqual(Object.fromEntries(ledger.map((r) => [r.stage, r.outcome])), {
    distribute: 'done',
    lid: 'failed',
    stt: 'skipped',
    redact: 'skipped',
    llm1: 'skipped',
    llm2: 'skipped',
  });
  const { failures } = await answer(
    api(stack.app).batches[':id'].failures.$get({ param: { id: String(final.batch_id) }, query: {} }),
  );
  assert.deepEqual(
    failures.map((f) => f.error_type),
    ['unsupported_language'],
  );
});
