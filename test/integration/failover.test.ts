// A GPU node that goes away for good: once its retries are spent, its calls move to a node that answers
// and finish there, and each move is in the batch's event log.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { verifyBatch } from '../../chaos/checks.js';
import { batchExecutionLog, fileDistribution } from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { callsOfBatch } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    nodes: [
      { id: 'node-a', capacity: 2 },
      { id: 'node-b', capacity: 2 },
    ],
    simulator: { timeScale: 0 },
    // Three attempts at most 1 s apart: node-b is left after about 3 s instead of the default 90 s.
    env: { STAGE_ATTEMPTS: '3', STAGE_RETRY_MAX_MS: '1000' },
  });
});
after(async () => {
  await stack?.stop();
});

test('calls of a node that stopped answering are redistributed and complete', async () => {
  await stack.sim.stopNode('node-b');
  const files = Array.from({ length: 6 }, (_, i) => ({ name: `gone-${i}.wav`, bytes: makeWav(2, 300 + i) }));
  const res = await uploadAudit(stack.app, auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const batchId = Number(res.body.batch_id);
  const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));

  const verdict = await verifyBatch(stack.database.pool, batchId, 9, {
    sent: files.map((f) => ({ name: f.name, bytes: f.bytes.length })),
    audioRoot: stack.config.AUDIO_DIR,
  });
  assert.deepEqual(verdict.problems, []);
  assert.deepEqual([verdict.completed, verdict.lost], [6, 0]);

  const calls = await callsOfBatch(stack.db, batchId);
  assert.ok(
    calls.every((c) => c.gpuNode === 'node-a'),
    calls.map((c) => c.gpuNode).join(),
  );
  const dist = await stack.db.select().from(fileDistribution).where(eq(fileDistribution.batchId, batchId));
  assert.ok(dist.every((d) => d.gpuNode === 'node-a' && d.gpuUrl === stack.sim.nodes[0]!.url));

  const moves = await stack.db
    .select()
    .from(batchExecutionLog)
    .where(
      and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'file_redistributed')),
    );
  // Weighted round-robin put half of the calls on node-b; each of them moved once, at its first GPU stage.
  assert.equal(moves.length, 3, JSON.stringify(moves));
  for (const m of moves) {
    assert.deepEqual(
      { from: m.metadata?.from, to: m.metadata?.to, stage: m.metadata?.stage },
      { from: 'node-b', to: 'node-a', stage: 'lid' },
    );
    assert.match(m.message ?? '', /moved from node-b to node-a at lid: connection/);
  }

  // The configured retry reached the calls: each moved call gave up on node-b at its third attempt.
  for (const m of moves) {
    const id = workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, Number(m.callId));
    const events = (await stack.client.workflow.getHandle(id).fetchHistory()).events ?? [];
    const firstLid = events.find(
      (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'runLid',
    );
    const started = events.find(
      (e) =>
        e.activityTaskStartedEventAttributes?.scheduledEventId?.toString() === firstLid?.eventId?.toString(),
    );
    assert.equal(started?.activityTaskStartedEventAttributes?.attempt, 3, id);
  }
  const moved = workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, Number(moves[0]!.callId));
  await recordHistory(stack.client, moved, 'callPipelineV2.failover');
});
