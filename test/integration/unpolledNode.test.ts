// A node nobody polls (its agent is gone, or it left COFI_FLEET while calls were routed to it): requests that
// wait in its queue past STAGE_SCHEDULE_TO_START_MS move to a node or endpoint that is polled, and the batch
// ends; when no node of a stage is polled, the calls fail at that stage instead of waiting for ever.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { verifyBatch } from '../../chaos/checks.js';
import { batchExecutionLog, stageOutcome } from '../../drizzle/schema/index.js';
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
      { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
      { id: 'node-b', capacity: 2 },
    ],
    llm: [
      { id: 'llm-a', capacity: 4 },
      { id: 'llm-b', capacity: 4 },
    ],
    simulator: { timeScale: 0 },
    // Nobody polls node-b and llm-b: their agents are not running.
    roles: 'orchestrator,audio,node:node-a,llm:llm-a',
    env: { STAGE_SCHEDULE_TO_START_MS: '2000' },
  });
});
after(async () => {
  await stack?.stop();
});

async function moves(batchId: number) {
  return stack.db
    .select()
    .from(batchExecutionLog)
    .where(
      and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'file_redistributed')),
    );
}

test('calls routed to a node and an endpoint nobody polls move to polled ones and complete', async () => {
  const files = Array.from({ length: 6 }, (_, i) => ({
    name: `unpolled-${i}.wav`,
    bytes: makeWav(2, 2100 + i),
  }));
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
  // Only the polled node and endpoint ever got a request.
  const served = Object.fromEntries(stack.sim.stats().endpoints.map((e) => [e.id, e.requests.length]));
  assert.equal(served['node-b'], 0);
  assert.equal(served['llm-b'], 0);
  assert.ok((served['node-a'] ?? 0) >= 12 && (served['llm-a'] ?? 0) >= 12, JSON.stringify(served));

  const logged = await moves(batchId);
  const gpuMoves = logged.filter((m) => m.metadata?.stage === 'lid');
  const llmMoves = logged.filter((m) => m.metadata?.stage === 'llm1');
  // Round-robin put some calls on node-b and some on llm-b; each moved once, at its first stage there.
  assert.ok(gpuMoves.length >= 1 && llmMoves.length >= 1, JSON.stringify(logged));
  assert.equal(gpuMoves.length + llmMoves.length, logged.length, 'moves happen only at lid and llm1');
  for (const m of gpuMoves) {
    assert.deepEqual([m.metadata?.from, m.metadata?.to], ['node-b', 'node-a']);
    assert.match(
      m.message ?? '',
      /moved from node-b to node-a at lid: not picked up from node-b's queue within 2 s/,
    );
  }
  for (const m of llmMoves) {
    assert.deepEqual([m.metadata?.from, m.metadata?.to], ['llm-b', 'llm-a']);
    assert.match(
      m.message ?? '',
      /moved from llm-b to llm-a at llm1: not picked up from llm-b's queue within 2 s/,
    );
  }
  const moved = workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, Number(gpuMoves[0]!.callId));
  await recordHistory(stack.client, moved, 'callPipelineV2.unpolled-node');
});

test('when no endpoint of a stage is polled, its calls fail there and the batch ends', async () => {
  // The LLM agent goes: only node-a's agent and the orchestrator are left.
  await stack.stopWorkers();
  const stopRest = await stack.extraWorkers('orchestrator,audio,node:node-a');
  try {
    const files = [{ name: 'no-llm.wav', bytes: makeWav(2, 2200) }];
    const res = await uploadAudit(stack.app, auditForm(files));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
    // Every call of the batch failed: the batch failed (and ended).
    assert.equal(final.status, 'Failed', JSON.stringify(final));
    assert.equal(final.progress?.llm1?.failed, 1, JSON.stringify(final.progress));
    const [c] = await callsOfBatch(stack.db, Number(res.body.batch_id));
    assert.equal(c?.status, 'Failed');
    const [outcome] = await stack.db
      .select()
      .from(stageOutcome)
      .where(and(eq(stageOutcome.callId, c!.id), eq(stageOutcome.stage, 'llm1')));
    assert.match(outcome?.reason ?? '', /ScheduleToStart/);
  } finally {
    await stopRest();
    await stack.startWorkers();
  }
});
