// The essential fault cases in `npm test` (the long ones are `npm run chaos`): flaky GPU nodes and a worker
// restart in the middle of a batch. Each case first shows that its fault hit work in flight (faults the
// simulator served; requests in flight at the restart), then that every file sent is a final call with its
// rows, and what the fault cost in repeated requests.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { verifyBatch } from '../../chaos/checks.js';
import { countRepeats } from '../../chaos/repeats.js';
import { makeWav } from '../support/audio.js';
import { auditForm, statusOf, uploadAudit, waitForBatch } from '../support/http.js';
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
const sentOf = (list: ReturnType<typeof files>) => list.map((f) => ({ name: f.name, bytes: f.bytes.length }));
/** The simulator's request log since `from`, over every node and LLM endpoint. */
const requestsSince = (from: number) =>
  stack.sim
    .stats()
    .endpoints.flatMap((e) => e.requests)
    .filter((r) => r.start >= from);
const inFlight = () => stack.sim.stats().endpoints.reduce((n, e) => n + e.inFlight, 0);

describe('faults', () => {
  test('30% 5xx, resets and malformed JSON: faults were served, every file sent completes, rows are exact', async () => {
    const from = Date.now();
    const sent = files(12, 100);
    const res = await uploadAudit(stack.app, auditForm(sent));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id, 240_000);
    // The fault happened: the simulator answered some of this batch's requests with a fault, and the
    // calls' requests were retried after them.
    const repeats = countRepeats(requestsSince(from), { llm1: 12, llm2: 12 }, 0.05);
    assert.ok(repeats.faults > 0, `faults served: ${JSON.stringify(repeats)}`);
    assert.ok(repeats.retriesAfterFailure > 0, `retries after a fault: ${JSON.stringify(repeats)}`);
    const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9, {
      sent: sentOf(sent),
      audioRoot: stack.config.AUDIO_DIR,
    });
    assert.deepEqual(verdict.problems, []);
    assert.deepEqual([verdict.sent, verdict.completed, verdict.lost], [12, 12, 0], JSON.stringify(final));
    assert.equal(final.status, 'Completed');
  });

  test('a worker restart with requests in flight: it finishes, every file sent completes', async () => {
    stack.sim.setFailures({});
    const from = Date.now();
    const sent = files(16, 200);
    const res = await uploadAudit(stack.app, auditForm(sent));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    // Wait for work in flight: an STT done and a request being answered now.
    let status = '';
    for (let i = 0; i < 600; i++) {
      const { body } = await statusOf(stack.app, res.body.task_id);
      status = String(body.status);
      const stt = (body.progress as Record<string, { done: number }> | undefined)?.stt;
      if (stt && stt.done > 0 && inFlight() > 0) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const cut = inFlight();
    assert.ok(cut > 0, 'a GPU or LLM request is being answered when the worker stops');
    assert.ok(!['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'].includes(status), status);
    await stack.restartWorkers();
    const { final } = await waitForBatch(stack.app, res.body.task_id, 240_000);
    const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9, {
      sent: sentOf(sent),
      audioRoot: stack.config.AUDIO_DIR,
    });
    assert.deepEqual(verdict.problems, []);
    assert.deepEqual([verdict.sent, verdict.completed, verdict.lost], [16, 16, 0]);
    assert.equal(final.status, 'Completed');
    // The test stack's restart cuts the requests in hand (at-least-once): whatever a node finished for the
    // stopped worker was done again for the new one, and no fault was served.
    const repeats = countRepeats(requestsSince(from), { llm1: 16, llm2: 16 }, 0.05);
    assert.equal(repeats.faults, 0, JSON.stringify(repeats));
    assert.ok(repeats.repeatedCompleted >= repeats.undelivered, JSON.stringify(repeats));
  });
});
