// Cancelling a slow reaudit, restarting it, and the one-reaudit-per-call rule, with simulator latency.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { batchExecutionLog } from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import {
  auditForm,
  postJson as postJsonTo,
  postReaudit,
  statusOf,
  uploadAudit,
  waitForBatch,
} from '../support/http.js';
import { callState, locksOf } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let names: string[];
before(async () => {
  // One slot per node and real-time-ish STT: a reaudit of four 60 s calls takes seconds, long enough to cancel.
  stack = await startStack({
    nodes: [
      { id: 'slow-a', capacity: 1 },
      { id: 'slow-b', capacity: 1 },
    ],
    simulator: { timeScale: 1 },
    // Two calls in flight (the GPUs take two at a time anyway): a cancel also finds calls not yet started.
    env: { BATCH_WINDOW: '2' },
  });
  names = ['c1.wav', 'c2.wav', 'c3.wav', 'c4.wav', 'c5.wav', 'c6.wav'];
  const res = await uploadAudit(
    stack.app,
    auditForm(names.map((name, i) => ({ name, bytes: makeWav(60, 40 + i) }))),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
  assert.equal(final.status, 'Completed');
});
after(async () => {
  await stack?.stop();
});

/** The newest call with that name (the test database keeps earlier runs' calls). */
const latestCall = (name: string) =>
  stack.db.query.call.findFirst({
    where: (c, { eq: e }) => e(c.audioName, name),
    orderBy: (c, { desc }) => desc(c.id),
  });

const postJson = (url: string, body: unknown) => postJsonTo(stack.app, url, body);

describe('reaudit cancellation', () => {
  test('cancel mid-run: Cancelled, calls consistent, events recorded; a restart completes', async () => {
    const res = await postReaudit(stack.app, { audio_names: names, stages: ['stt'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const taskId = String(res.body.task_id);
    // Wait until STT is under way, then cancel.
    for (let i = 0; i < 200; i++) {
      const { body } = await statusOf(stack.app, taskId);
      const stt = (body.progress as Record<string, { done: number }>).stt;
      if (body.status === 'InProgress' && Number(body.in_flight) > 0) break;
      assert.ok(
        !stt || stt.done < names.length,
        `reaudit finished before it could be cancelled: ${JSON.stringify(body)}`,
      );
      await new Promise((r) => setTimeout(r, 50));
    }
    const cancel = await postJson(`/reaudit/${taskId}/cancel`, {});
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const { final } = await waitForBatch(stack.app, taskId, 120_000);
    assert.equal(final.status, 'Cancelled');

    const batchId = Number(res.body.batch_id);
    const events = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(eq(batchExecutionLog.batchId, batchId));
    assert.ok(
      events.some((e) => e.eventType === 'batch_cancelled'),
      'cancellation recorded',
    );
    await recordHistory(
      stack.client,
      workflowIds.reaudit(stack.config.COFI_TASK_QUEUE, batchId),
      'reauditV2.cancelled',
    );
    let cancelled = 0;
    const flags = { stt: 0, llm1: 0, llm2: 0 };
    for (const name of names) {
      const row = (await latestCall(name))!;
      const state = await callState(stack.db, row.id);
      flags.stt += Number(state.dist.sttDone);
      flags.llm1 += Number(state.dist.llm1Done);
      flags.llm2 += Number(state.dist.llm2Done);
      assert.ok(['Completed', 'Cancelled'].includes(state.call.status), `${name}: ${state.call.status}`);
      if (state.call.status === 'Completed') {
        assert.equal(state.transcripts.length, 1);
        assert.equal(state.answers.length, 9);
      } else {
        cancelled++;
        // Stopped at the stage it had reached: a transcript exactly when STT finished before the cancel
        // landed, and never an answer (LLM2, the last stage, did not finish).
        assert.equal(state.transcripts.length, state.dist.sttDone ? 1 : 0, name);
        assert.equal(state.answers.length, 0, name);
        assert.equal(state.dist.llm2Done, false, name);
        assert.match(state.call.errorMessage ?? '', /cancel/);
      }
    }
    assert.ok(cancelled > 0, 'the cancel stopped at least one call');
    // Progress says cancelled, not failed: every stage accounts for every call, and the stopped calls are
    // the cancelled ones of the last stage.
    assert.equal(final.cancelled, cancelled, JSON.stringify(final));
    assert.equal(final.failed, 0);
    const progress = final.progress as Record<
      string,
      { done: number; failed: number; skipped: number; cancelled: number }
    >;
    for (const stage of ['stt', 'llm1', 'llm2'] as const) {
      const c = progress[stage]!;
      assert.equal(c.failed, 0, `${stage}: ${JSON.stringify(c)}`);
      assert.equal(c.done, flags[stage], `${stage}: done equals the flags set`);
      assert.equal(
        c.done + c.failed + c.skipped + c.cancelled,
        names.length,
        `${stage}: ${JSON.stringify(c)}`,
      );
    }
    assert.equal(progress.llm2!.cancelled, cancelled);
    assert.equal((final.stage_status as Record<string, string>).llm2, 'Cancelled');
    const ids = (await Promise.all(names.map((n) => latestCall(n)))).map((c) => c!.id);
    assert.deepEqual(await locksOf(stack.db, ids), [], 'locks released');

    const again = await postReaudit(stack.app, { audio_names: names, stages: ['stt'] });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    const rerun = await waitForBatch(stack.app, again.body.task_id, 300_000);
    assert.equal(rerun.final.status, 'Completed');
    for (const id of ids) {
      const state = await callState(stack.db, id);
      assert.equal(state.call.status, 'Completed');
      assert.equal(state.transcripts.length, 1);
      assert.equal(state.answers.length, 9);
    }
  });

  test('overlapping reaudits get 409 naming the calls; disjoint ones run together', async () => {
    const first = await postReaudit(stack.app, { audio_names: ['c1.wav', 'c2.wav'], stages: ['stt'] });
    assert.equal(first.status, 200, JSON.stringify(first.body));
    const overlapping = await postReaudit(stack.app, { audio_names: ['c2.wav', 'c3.wav'], stages: ['llm2'] });
    assert.equal(overlapping.status, 409, JSON.stringify(overlapping.body));
    assert.match(String(overlapping.body.detail), /c2\.wav/);
    assert.doesNotMatch(String(overlapping.body.detail), /c3\.wav/);
    const disjoint = await postReaudit(stack.app, { audio_names: ['c5.wav', 'c6.wav'], stages: ['stt'] });
    assert.equal(disjoint.status, 200, JSON.stringify(disjoint.body));
    const [a, b] = await Promise.all([
      waitForBatch(stack.app, first.body.task_id, 300_000),
      waitForBatch(stack.app, disjoint.body.task_id, 300_000),
    ]);
    assert.equal(a.final.status, 'Completed');
    assert.equal(b.final.status, 'Completed');
  });
});
