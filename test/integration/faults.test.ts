// The essential fault cases in `npm test` (the long ones are `npm run chaos`): flaky GPU nodes and a worker
// restart in the middle of a batch lose nothing and duplicate nothing.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyBatch } from '../../chaos/checks.js';
import { makeWav } from '../support/audio.js';
import { auditForm, getJson, postForm, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    simulator: {
      timeScale: 0.05,
      failures: { serverErrorRate: 0.3, resetRate: 0.05, malformedRate: 0.1, seed: 11 },
    },
    env: { LID_TIMEOUT_MS: '3000', STT_TIMEOUT_MS: '3000', LLM_TIMEOUT_MS: '3000' },
  });
});
after(async () => {
  await stack?.stop();
});

const files = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `flaky-${seed}-${i}.wav`,
    bytes: makeWav(2 + (i % 3), seed + i),
  }));

describe('faults', () => {
  test('30% 5xx, resets and malformed JSON: every call completes, rows are exact', async () => {
    const res = await postForm(stack.app, '/audit/upload', auditForm(files(12, 100)));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, `/audit/status/${res.body.task_id}`, 240_000);
    const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9);
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.completed, 12, JSON.stringify(final));
    assert.equal(verdict.duplicated, 0);
    assert.equal(final.status, 'Completed');
  });

  test('a worker restart in the middle of a batch: it finishes, nothing lost or duplicated', async () => {
    const res = await postForm(stack.app, '/audit/upload', auditForm(files(16, 200)));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    for (let i = 0; i < 300; i++) {
      const { body } = await getJson(stack.app, `/audit/status/${res.body.task_id}`);
      const stt = (body.progress as Record<string, { done: number }> | undefined)?.stt;
      if (stt && stt.done > 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await stack.restartWorkers();
    const { final } = await waitForBatch(stack.app, `/audit/status/${res.body.task_id}`, 240_000);
    const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9);
    assert.deepEqual(verdict.problems, []);
    assert.equal(verdict.lost, 0);
    assert.equal(verdict.duplicated, 0);
    assert.equal(final.status, 'Completed');
  });
});
