// A worker stopped as a deploy stops it (SIGTERM, here its shutdown) lets the GPU requests in hand finish
// within WORKER_SHUTDOWN_GRACE_MS: no stage attempt is cut and retried, and nothing is lost or doubled.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyBatch } from '../../chaos/checks.js';
import { countRepeats } from '../../chaos/repeats.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { callsOfBatch } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    // Every GPU request holds its slot for 2 s: the restart below lands while one is being answered.
    simulator: { timeScale: 1, latency: { lidMs: 2000, sttOverheadMs: 2000 } },
    env: { WORKER_SHUTDOWN_GRACE_MS: '30000' },
  });
});
after(async () => {
  await stack?.stop();
});

test('a worker shut down in the middle of a GPU request lets it finish: no attempt is cut and retried', async () => {
  const files = Array.from({ length: 2 }, (_, i) => ({
    name: `deploy-${i}.wav`,
    bytes: makeWav(2, 700 + i),
  }));
  const res = await uploadAudit(stack.app, auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const batchId = Number(res.body.batch_id);

  const inFlight = () =>
    stack.sim.stats().endpoints.reduce((n, e) => n + (e.kind === 'gpu' ? e.inFlight : 0), 0);
  for (let i = 0; i < 600 && inFlight() === 0; i++) await new Promise((r) => setTimeout(r, 20));
  assert.ok(inFlight() > 0, 'a GPU request is being answered when the worker stops');
  await stack.restartWorkers();

  const { final } = await waitForBatch(stack.app, res.body.task_id, 120_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  const verdict = await verifyBatch(stack.database.pool, batchId, 9, {
    sent: files.map((f) => ({ name: f.name, bytes: f.bytes.length })),
    audioRoot: stack.config.AUDIO_DIR,
  });
  assert.deepEqual(verdict.problems, []);
  assert.deepEqual([verdict.completed, verdict.lost], [2, 0]);
  // As the nodes saw it: no answer was finished for a worker that had gone, and none was asked for twice.
  const repeats = countRepeats(
    stack.sim.stats().endpoints.flatMap((e) => e.requests),
    { llm1: 2, llm2: 2 },
    1,
  );
  assert.deepEqual([repeats.undelivered, repeats.repeated], [0, 0], JSON.stringify(repeats));

  // Without the grace the SDK cancels the request at once (WORKER_SHUTDOWN) and the stage runs again as
  // attempt 2: every activity of every call ran once here.
  for (const c of await callsOfBatch(stack.db, batchId)) {
    const id = workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, c.id);
    const events = (await stack.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const attempts = events.flatMap((e) =>
      e.activityTaskStartedEventAttributes ? [e.activityTaskStartedEventAttributes.attempt ?? 0] : [],
    );
    assert.ok(attempts.length > 0, id);
    assert.deepEqual(
      attempts.filter((a) => a !== 1),
      [],
      `${id}: an activity ran again after the shutdown`,
    );
  }
});
