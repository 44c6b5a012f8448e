// A node's worker holds more of the node's tasks than the node has slots (so no slot waits for a poll), but
// the node itself never gets more requests at once than its capacity.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { tasksInHand } from '../../core/nodeSlots.js';
import { makeWav } from '../support/audio.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    nodes: [
      { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
      { id: 'node-b', capacity: 1 },
    ],
    llm: [{ id: 'llm-a', capacity: 2 }],
    simulator: { timeScale: 1, latency: { llmMsPerToken: 0.2 } },
    env: { BATCH_WINDOW: '24' },
    // A request beyond a node's capacity is refused (429), not queued by the simulator: it shows.
    rejectWhenBusy: true,
  });
});
after(async () => {
  await stack?.stop();
});

test('24 calls at once on nodes of 2 and 1 slots and an LLM of 2: each gets its capacity, never more', async () => {
  assert.ok(tasksInHand(1) > 1 && tasksInHand(2) > 2, 'the workers do hold more tasks than slots');
  const files = Array.from({ length: 24 }, (_, i) => ({
    name: `slots-${i}.wav`,
    bytes: makeWav(2, 900 + i),
  }));
  const res = await uploadAudit(stack.app, auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  const seen = Object.fromEntries(
    stack.sim.stats().endpoints.map((e) => [e.id, { peak: e.maxConcurrent, refused: e.rejected }]),
  );
  assert.deepEqual(seen, {
    'node-a': { peak: 2, refused: 0 },
    'node-b': { peak: 1, refused: 0 },
    'llm-a': { peak: 2, refused: 0 },
  });
});
