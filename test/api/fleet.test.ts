// GET /fleet: on the real stack, a node whose queue an agent polls is `ok` and one nobody polls is
// `no_poller`; a call in hand counts in flight at its node, and a call that failed there is the node's last
// error. On rows written directly, what `in_flight` counts (the ledger of open batches, routed calls, LLM
// moves) and which failure is a node's last; without Temporal the answer is still 200, from the database.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import type { FleetNode, FleetView } from '../../api/queries/fleet.js';
import { pickLlmEndpoint } from '../../core/fleet.js';
import type { Stage } from '../../core/stages.js';
import type { Db } from '../../drizzle/client.js';
import {
  batchExecutionLog,
  batchStatus,
  call,
  fileDistribution,
  processingLogs,
  stageOutcome,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { makeWav } from '../support/audio.js';
import { api, auditForm, reply, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

type App = Parameters<typeof api>[0];

async function fleetOf(app: App): Promise<FleetView> {
  const { status, body } = await reply(api(app).fleet.$get());
  assert.equal(status, 200, JSON.stringify(body));
  return body as FleetView;
}

const nodeOf = (view: FleetView, id: string): FleetNode => {
  const node = view.nodes.find((n) => n.id === id);
  assert.ok(node, `no entry for ${id} in ${JSON.stringify(view.nodes.map((n) => n.id))}`);
  return node;
};

/** Asks until `ok` holds (pollers show up once a worker's first poll reaches Temporal); fails after 60 s. */
async function fleetUntil(app: App, ok: (view: FleetView) => boolean, what: string): Promise<FleetView> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const view = await fleetOf(app);
    if (ok(view)) return view;
    if (Date.now() > deadline)
      throw new Error(`${what}: not seen in 60 s; last answer ${JSON.stringify(view)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('GET /fleet on the real stack, one node left without an agent', () => {
  // Ids of this run only: in-flight counts and moves are per node id across the shared database.
  const tag = randomUUID().slice(0, 6);
  const polled = `fv${tag}-a`;
  const unpolled = `fv${tag}-b`;
  const llm = `fv${tag}-llm`;
  let stack: Stack;
  const startedAt = Date.now();
  before(async () => {
    stack = await startStack({
      nodes: [
        { id: polled, capacity: 2, lidPath: '/detect-language' },
        // Smaller than the polled node: distribution (least audio per slot, ties to the first) sends a lone
        // call to the polled one.
        { id: unpolled, capacity: 1 },
      ],
      llm: [{ id: llm, capacity: 4 }],
      // Every process gets the whole fleet; these workers are the orchestrator, audio, and the agents of the
      // polled node and the LLM endpoint only.
      roles: `orchestrator,audio,node:${polled},llm:${llm}`,
      simulator: {
        timeScale: 0,
        failures: { clientErrorPattern: '^broken-', endpoints: ['detect-language', 'transcriptions'] },
      },
    });
  });
  after(async () => {
    await stack?.stop();
  });

  test('the polled node is ok with its pollers, the other no_poller; capacity, queues and agents', async () => {
    const view = await fleetUntil(
      stack.app,
      (v) =>
        nodeOf(v, polled).status === 'ok' &&
        nodeOf(v, llm).status === 'ok' &&
        v.orchestrators.status === 'ok' &&
        v.audio.status === 'ok',
      'pollers of the polled queues',
    );
    assert.equal(view.temporal_error, null);
    const a = nodeOf(view, polled);
    const b = nodeOf(view, unpolled);
    assert.ok(a.pollers!.length >= 1, JSON.stringify(a.pollers));
    assert.ok(a.pollers!.every((p) => p.identity.length > 0));
    assert.deepEqual(
      [a.kind, a.capacity, a.task_queue, a.stages, a.url],
      ['gpu', 2, `${stack.config.COFI_TASK_QUEUE}-gpu-${polled}`, ['lid', 'stt'], stack.sim.nodes[0]!.url],
    );
    assert.equal(b.status, 'no_poller');
    assert.deepEqual(b.pollers, []);
    assert.deepEqual([b.capacity, b.task_queue], [1, `${stack.config.COFI_TASK_QUEUE}-gpu-${unpolled}`]);
    assert.deepEqual([nodeOf(view, llm).kind, nodeOf(view, llm).capacity], ['llm', 4]);
    assert.ok(view.orchestrators.pollers!.length >= 1);
    assert.equal(view.orchestrators.task_queue, stack.config.COFI_TASK_QUEUE);
    assert.equal(view.audio.task_queue, `${stack.config.COFI_TASK_QUEUE}-audio`);
    // The polled node's agent holds its queue's lease; nobody holds the other's.
    assert.ok(a.agent, 'the polled node has an agent lease');
    assert.equal(a.agent.expired, false);
    assert.ok(Date.parse(a.agent.expires_at) > Date.parse(a.agent.since));
    assert.equal(b.agent, null);
    for (const n of [a, b]) assert.equal(n.in_flight, 0, n.id);
  });

  test('a call in hand counts in flight at its node until it is done', async () => {
    // LID takes 150 ms × 100 on the simulator: long enough to be seen at the node.
    stack.sim.setTimeScale(100);
    const res = await uploadAudit(stack.app, auditForm([{ name: `slow-${tag}.wav`, bytes: makeWav(2, 11) }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    try {
      const seen = await fleetUntil(
        stack.app,
        (v) => v.nodes.some((n) => n.in_flight > 0),
        'a call in flight',
      );
      const [dist] = await stack.db
        .select({ gpuNode: fileDistribution.gpuNode })
        .from(fileDistribution)
        .where(eq(fileDistribution.batchId, Number(res.body.batch_id)));
      assert.equal(dist?.gpuNode, polled, 'distribution sent the call to the polled node');
      assert.deepEqual(
        seen.nodes.map((n) => [n.id, n.in_flight]),
        [
          [polled, 1],
          [unpolled, 0],
          [llm, 0],
        ],
      );
    } finally {
      stack.sim.setTimeScale(0);
    }
    const { final } = await waitForBatch(stack.app, String(res.body.task_id), 120_000);
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const done = await fleetOf(stack.app);
    for (const n of done.nodes) assert.equal(n.in_flight, 0, n.id);
  });

  test("a call that failed on the polled node is its last error, and makes it 'erroring'", async () => {
    const name = `broken-${tag}.wav`;
    const res = await uploadAudit(stack.app, auditForm([{ name, bytes: makeWav(2, 12) }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id), 120_000);
    assert.equal(final.failed, 1, JSON.stringify(final));
    const view = await fleetOf(stack.app);
    const a = nodeOf(view, polled);
    assert.equal(a.status, 'erroring');
    assert.ok(a.last_error, 'a last error');
    assert.equal(a.last_error.stage, 'lid');
    assert.equal(a.last_error.source, 'failed');
    assert.equal(a.last_error.error_type, 'client_error');
    assert.equal(a.last_error.batch_id, Number(res.body.batch_id));
    assert.match(a.last_error.message, /400/);
    assert.ok(Date.parse(a.last_error.at) >= startedAt - 1000);
    // The unpolled node stays no_poller (it is the more urgent), and no failure of this run is its.
    const b = nodeOf(view, unpolled);
    assert.equal(b.status, 'no_poller');
    assert.ok(b.last_error === null || Date.parse(b.last_error.at) < startedAt, JSON.stringify(b.last_error));
  });

  test('the same view is the dashboard fragment: a no-poller badge on the unpolled node', async () => {
    const page = await stack.app.request('/ui/f/fleet');
    assert.equal(page.status, 200);
    const text = await page.text();
    assert.match(text, new RegExp(`data-node="${unpolled}" data-status="no_poller"`));
    assert.match(text, /data-fleet-status="no_poller"[^>]*>no\u00a0poller</);
    assert.match(text, new RegExp(`data-node="${polled}" data-status="erroring"`));
  });
});

describe('GET /fleet: in flight and last error, from rows written directly', () => {
  const tag = randomUUID().slice(0, 6);
  const gpu = `fw${tag}-gpu`;
  const spare = `fw${tag}-spare`;
  const llmA = `fw${tag}-llm-a`;
  const llmB = `fw${tag}-llm-b`;
  const gpuUrl = `http://127.0.0.1:1/${tag}_gpu`;
  const fleet = {
    nodes: [
      { id: gpu, url: gpuUrl, capacity: 4, stages: ['lid', 'stt'] },
      { id: spare, url: `${gpuUrl}x`, capacity: 1, stages: ['lid', 'stt'], simulated: true },
    ],
    llm: [
      { id: llmA, url: `http://127.0.0.1:1/${tag}-llm-a`, capacity: 1 },
      { id: llmB, url: `http://127.0.0.1:1/${tag}-llm-b`, capacity: 1 },
    ],
  };
  let app: ApiApp;
  const batches: number[] = [];
  const calls: number[] = [];
  before(async () => {
    app = await openApiApp({ COFI_FLEET: JSON.stringify(fleet) });
  });
  after(async () => {
    if (app) {
      await cleanup(app.db, batches, calls);
      await app.stop();
    }
  });

  /** A batch no sweep judges (its workflow id has no deployment's prefix), with calls at given stages. */
  async function seedBatch(status: 'InProgress' | 'Completed', stages: Stage[]) {
    const [row] = await app.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'audit',
      status,
      taskId: `fleet-${tag}-${batches.length}`,
      workflowId: `fleet-test-${tag}/${batches.length}`,
      stages,
      totalFiles: 0,
      attempt: 1,
    });
    batches.push(row.insertId);
    return row.insertId;
  }

  /** A call of the batch on `node`, with these ledger outcomes. */
  async function seedCall(batchId: number, node: string, outcomes: [Stage, 'done' | 'failed' | 'skipped'][]) {
    const [row] = await app.db.insert(call).values({
      batchId,
      audioName: `c${calls.length}.wav`,
      storedPath: `x/${tag}/${calls.length}.wav`,
      processId: 1,
      status: 'InProgress',
      gpuNode: node,
    });
    const callId = row.insertId;
    calls.push(callId);
    await app.db.insert(fileDistribution).values({
      batchId,
      callId,
      file: `c${callId}.wav`,
      gpuNode: node,
      gpuUrl: 'http://127.0.0.1:1',
    });
    if (outcomes.length)
      await app.db
        .insert(stageOutcome)
        .values(
          outcomes.map(([stage, outcome]) => ({ batchId, callId, stage, outcome, finishedAt: new Date() })),
        );
    return callId;
  }

  test('counts calls of open batches at a stage of the node, routed to it; LLM calls at their pick or move', async () => {
    const stages: Stage[] = ['distribute', 'lid', 'stt', 'llm1', 'llm2'];
    const open = await seedBatch('InProgress', stages);
    // At lid on gpu (distribute done), at stt on gpu (lid done), at lid on spare.
    await seedCall(open, gpu, [['distribute', 'done']]);
    await seedCall(open, gpu, [
      ['distribute', 'done'],
      ['lid', 'done'],
    ]);
    await seedCall(open, spare, [['distribute', 'done']]);
    // Not at a node: admitted nowhere yet, failed at lid (stt skipped), finished.
    await seedCall(open, gpu, []);
    await seedCall(open, gpu, [
      ['distribute', 'done'],
      ['lid', 'failed'],
      ['stt', 'skipped'],
      ['llm1', 'skipped'],
      ['llm2', 'skipped'],
    ]);
    await seedCall(
      open,
      gpu,
      stages.map((s) => [s, 'done']),
    );
    // At llm1 and at llm2: on the endpoint distribution picks from the call id.
    const atLlm1 = await seedCall(open, gpu, [
      ['distribute', 'done'],
      ['lid', 'done'],
      ['stt', 'done'],
    ]);
    const atLlm2 = await seedCall(open, gpu, [
      ['distribute', 'done'],
      ['lid', 'done'],
      ['stt', 'done'],
      ['llm1', 'done'],
    ]);
    // At llm1, moved off the endpoint it was picked for: it is at the other one.
    const moved = await seedCall(open, gpu, [
      ['distribute', 'done'],
      ['lid', 'done'],
      ['stt', 'done'],
    ]);
    // Where distribution sends a call's LLM stages.
    const pick = (id: number) => pickLlmEndpoint(app.config.fleet.llm, id).id;
    const other = (id: string) => (id === llmA ? llmB : llmA);
    await app.db.insert(batchExecutionLog).values({
      batchId: open,
      stage: 'file_distribution',
      eventType: 'file_redistributed',
      status: 'InProgress',
      callId: moved,
      message: 'moved',
      metadata: { from: pick(moved), to: other(pick(moved)), stage: 'llm1', reason: 'not picked up' },
      eventKey: `fleet-${tag}-move`,
    });
    // A finished batch's calls are nowhere, whatever its ledger says.
    const closed = await seedBatch('Completed', stages);
    await seedCall(closed, gpu, [['distribute', 'done']]);

    const view = await fleetOf(app.app);
    const expected = new Map<string, number>([
      [gpu, 2],
      [spare, 1],
      [llmA, 0],
      [llmB, 0],
    ]);
    for (const id of [atLlm1, atLlm2]) expected.set(pick(id), expected.get(pick(id))! + 1);
    expected.set(other(pick(moved)), expected.get(other(pick(moved)))! + 1);
    assert.deepEqual(
      view.nodes.map((n) => [n.id, n.in_flight]),
      [...expected.entries()],
    );
    assert.deepEqual(
      view.nodes.map((n) => [n.id, n.kind, n.capacity, n.simulated]),
      [
        [gpu, 'gpu', 4, false],
        [spare, 'gpu', 1, true],
        [llmA, 'llm', 1, false],
        [llmB, 'llm', 1, false],
      ],
    );
  });

  test("a node's last error is its newest failure with a request to its URL, or a move off it", async () => {
    const batchId = await seedBatch('Completed', ['distribute', 'lid', 'stt', 'llm1', 'llm2']);
    const old = new Date(Date.now() - 3_600_000);
    const failure = (callId: number, stage: string, url: string | null, at: Date, type = 'server_error') => ({
      callId: String(callId),
      batchId: String(batchId),
      stageName: stage,
      status: 'failed',
      errorType: type,
      errorMessage: `${type} at ${stage}`,
      requestUrl: url,
      createdAt: at,
    });
    await app.db.insert(processingLogs).values([
      // An hour old, on gpu's URL: its last error, but not `erroring`.
      failure(1, 'stt', `${gpuUrl}/v1/audio/transcriptions`, old, 'client_error'),
      // Newer, but not gpu's: the spare's URL starts with gpu's (`…_gpux`), an LLM stage, no URL at all.
      failure(2, 'lid', `${gpuUrl}x/detect-language`, new Date()),
      failure(3, 'llm1', `${gpuUrl}/v1/chat/completions`, new Date()),
      failure(4, 'stt', null, new Date()),
    ]);
    let view = await fleetOf(app.app);
    const g = nodeOf(view, gpu);
    assert.deepEqual(
      [g.last_error?.stage, g.last_error?.source, g.last_error?.error_type, g.last_error?.at],
      ['stt', 'failed', 'client_error', old.toISOString()],
    );
    assert.notEqual(g.status, 'erroring');
    const s = nodeOf(view, spare);
    assert.deepEqual([s.last_error?.stage, s.last_error?.error_type], ['lid', 'server_error']);
    assert.equal(s.status === 'erroring' || s.status === 'no_poller', true, s.status);
    // The llm1 failure's request went to gpu's URL: it is no endpoint's (the first test's move is one's).
    for (const id of [llmA, llmB]) assert.notEqual(nodeOf(view, id).last_error?.source, 'failed', id);

    // A call moved off gpu just now is newer than its failure.
    await app.db.insert(batchExecutionLog).values({
      batchId,
      stage: 'file_distribution',
      eventType: 'file_redistributed',
      status: 'InProgress',
      callId: 5,
      message: `c5.wav: moved from ${gpu} to ${spare} at lid: connection: refused`,
      metadata: { from: gpu, to: spare, stage: 'lid', reason: 'connection: refused' },
      eventKey: `fleet-${tag}-move-off`,
    });
    view = await fleetOf(app.app);
    const moved = nodeOf(view, gpu).last_error;
    assert.deepEqual(
      [moved?.source, moved?.stage, moved?.error_type, moved?.call_id],
      ['moved', 'lid', 'connection', 5],
    );
    assert.match(moved?.message ?? '', /moved from/);
    assert.equal(nodeOf(view, gpu).status === 'erroring' || nodeOf(view, gpu).status === 'no_poller', true);
  });
});

describe('GET /fleet without Temporal', () => {
  test('answers 200 from the database, with temporal_error and pollers unknown', async () => {
    const app = await openApiApp({ COFI_FLEET: 'simulated' });
    try {
      await app.deps.temporal.connection.close();
      const view = await fleetOf(app.app);
      assert.ok(view.temporal_error, 'temporal_error is set');
      assert.ok(view.nodes.length > 0);
      for (const n of view.nodes) {
        assert.equal(n.pollers, null, n.id);
        assert.notEqual(n.status, 'no_poller', n.id);
      }
      assert.equal(view.orchestrators.status, 'unknown');
      const page = await app.app.request('/ui/f/fleet');
      assert.equal(page.status, 200);
      assert.match(await page.text(), /data-temporal-error/);
    } finally {
      await app.stop();
    }
  });
});

async function cleanup(db: Db, batchIds: number[], callIds: number[]) {
  if (callIds.length) {
    await db.delete(fileDistribution).where(inArray(fileDistribution.callId, callIds));
    await db.delete(call).where(inArray(call.id, callIds));
  }
  if (batchIds.length) {
    await db.delete(stageOutcome).where(inArray(stageOutcome.batchId, batchIds));
    await db.delete(batchExecutionLog).where(inArray(batchExecutionLog.batchId, batchIds));
    await db.delete(processingLogs).where(
      inArray(
        processingLogs.batchId,
        batchIds.map((id) => String(id)),
      ),
    );
    await db.delete(batchStatus).where(inArray(batchStatus.id, batchIds));
  }
}
