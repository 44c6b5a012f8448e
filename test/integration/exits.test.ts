// Every way a batch ends is recorded: a workflow terminated or cancelled in Temporal ends its batch (Failed or
// Cancelled) with the reason, its calls counted once and its locks released; a call whose workflow id is
// already taken is adopted, not a reason to fail the whole run.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { answer } from '../../api/client.js';
import { call } from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { api, auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { locksOf } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
});
after(async () => {
  await stack?.stop();
});

const uploadId = () => workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE);

/** An upload of a short call and a long one (10 minutes of audio: 15 s of STT at real-time speed). */
async function longUpload(tag: string) {
  stack.sim.setTimeScale(1);
  const res = await uploadAudit(
    stack.app,
    auditForm([
      { name: `${tag}-short.wav`, bytes: makeWav(2, 31, 200) },
      { name: `${tag}-long.wav`, bytes: makeWav(600, 32, 200) },
    ]),
  );
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const batchId = Number(res.body.batch_id);
  const calls = await stack.db.select().from(call).where(eq(call.batchId, batchId));
  // Wait until the short call is done and the long one is under way.
  for (let i = 0; ; i++) {
    const rows = await stack.db.select().from(call).where(eq(call.batchId, batchId));
    if (rows.some((c) => c.status === 'Completed') && rows.some((c) => c.status === 'InProgress')) break;
    assert.ok(i < 300, `calls under way: ${JSON.stringify(rows.map((c) => c.status))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  stack.sim.setTimeScale(0);
  return { batchId, taskId: String(res.body.task_id), callIds: calls.map((c) => c.id) };
}

describe('a batch whose workflow is stopped in Temporal', () => {
  test('terminated: recorded Failed with the reason, the call in flight stopped, locks released', async () => {
    const { taskId, callIds } = await longUpload('terminated');
    await stack.client.workflow.getHandle(uploadId()).terminate('stopped by an operator');
    const { final } = await waitForBatch(stack.app, taskId, 30_000);
    assert.equal(final.status, 'Failed', JSON.stringify(final));
    assert.match(String(final.exit_reason), /terminated/);
    assert.deepEqual([final.completed, final.failed, final.cancelled, final.in_flight], [1, 0, 1, 0]);
    const progress = final.progress as Record<string, { done: number; cancelled: number }>;
    assert.deepEqual([progress.llm2?.done, progress.llm2?.cancelled], [1, 1], 'every call counted once');
    assert.deepEqual(await locksOf(stack.db, callIds), []);
    const [long] = await stack.db.select().from(call).where(eq(call.audioName, 'terminated-long.wav'));
    assert.equal(long!.status, 'Cancelled');
    assert.match(String(long!.errorMessage), /before this call finished/);
    // The next upload is not blocked by the dead one.
    const next = await uploadAudit(
      stack.app,
      auditForm([{ name: 'after-terminate.wav', bytes: makeWav(2, 33, 200) }]),
    );
    assert.equal(next.status, 200, JSON.stringify(next.body));
    await waitForBatch(stack.app, next.body.task_id);
  });

  test('cancelled from Temporal (the Web UI): the batch stops its calls and ends Cancelled', async () => {
    const { taskId, callIds } = await longUpload('ui-cancel');
    await stack.client.workflow.getHandle(uploadId()).cancel();
    const { final } = await waitForBatch(stack.app, taskId, 30_000);
    assert.equal(final.status, 'Cancelled', JSON.stringify(final));
    assert.match(String(final.exit_reason), /cancelled in Temporal/);
    assert.deepEqual([final.completed, final.cancelled], [1, 1]);
    assert.deepEqual(await locksOf(stack.db, callIds), []);
    const { events } = await answer(
      api(stack.app).batches[':id'].events.$get({ param: { id: String(final.batch_id) }, query: {} }),
    );
    assert.ok(events.some((e) => e.event_type === 'batch_cancelled'));
    assert.ok(events.some((e) => e.event_type === 'file_cancelled'));
  });
});

test('a call whose workflow id is taken already is adopted; the other calls and the batch complete', async () => {
  // With the workers stopped, the batch is admitted but runs nothing yet; one of its calls is then started
  // by hand under the id the batch will use (as an earlier run of the batch would have).
  await stack.stopWorkers();
  let taskId: string;
  try {
    const res = await uploadAudit(
      stack.app,
      auditForm(
        ['taken', 'free-1', 'free-2'].map((n, i) => ({ name: `${n}.wav`, bytes: makeWav(2, 40 + i, 200) })),
      ),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    taskId = String(res.body.task_id);
    const batchId = Number(res.body.batch_id);
    const [taken] = await stack.db.select().from(call).where(eq(call.audioName, 'taken.wav'));
    assert.equal(taken?.batchId, batchId);
    await stack.client.workflow.start('callPipelineV2', {
      workflowId: workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, taken!.id),
      taskQueue: stack.config.COFI_TASK_QUEUE,
      args: [
        {
          batchId,
          attempt: 1,
          callId: taken!.id,
          stages: ['distribute', 'lid', 'stt', 'redact', 'llm1', 'llm2'],
          run: ['lid', 'stt', 'redact', 'llm1', 'llm2'],
          route: { gpuNode: 'node-a', llmEndpoint: 'llm-a' },
          parentWorkflowId: uploadId(),
          prefix: stack.config.COFI_TASK_QUEUE,
        },
      ],
    });
  } finally {
    await stack.startWorkers();
  }
  const { final } = await waitForBatch(stack.app, taskId, 60_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  assert.equal(final.completed, 3);
});
