// A batch larger than one run's budget: each run stops taking calls, lets those in flight finish, and
// continues as new; the batch completes with exact rows and progress, and every run's history stays small.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyBatch } from '../../chaos/checks.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { auditForm, postForm, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    simulator: { timeScale: 0 },
    env: { BATCH_WINDOW: '3', BATCH_RUN_EVENTS: '100' },
  });
});
after(async () => {
  await stack?.stop();
});

test('a batch continues as new several times and loses or repeats nothing', async () => {
  const files = Array.from({ length: 14 }, (_, i) => ({
    name: `handover-${i}.wav`,
    bytes: makeWav(2, 700 + i),
  }));
  const res = await postForm(stack.app, '/audit/upload', auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, `/audit/status/${res.body.task_id}`, 300_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  assert.equal(final.completed, 14);
  const progress = final.progress as Record<string, { total: number; done: number; failed: number }>;
  for (const stage of ['distribute', 'lid', 'stt', 'llm1', 'llm2'])
    assert.deepEqual(
      { total: progress[stage]?.total, done: progress[stage]?.done, failed: progress[stage]?.failed },
      { total: 14, done: 14, failed: 0 },
      stage,
    );
  const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9);
  assert.deepEqual(verdict.problems, []);
  assert.equal(verdict.completed, 14);

  const lengths: number[] = [];
  const id = workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE);
  for await (const run of stack.client.workflow.list({ query: `WorkflowId = '${id}'` }))
    lengths.push(run.historyLength);
  assert.ok(lengths.length >= 3, `runs: ${lengths.join(', ')}`);
  // 100 events of budget, then at most 3 calls in flight finishing (about 10 events each) and the hand-over.
  assert.ok(
    lengths.every((n) => n < 160),
    `history lengths: ${lengths.join(', ')}`,
  );
});
