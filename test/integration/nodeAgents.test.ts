// Node agents: however many worker processes run, a node's queue has one poller (the agent holding its lease),
// so the node never gets more requests at once than its capacity; the standby takes over when the agent goes.
import assert from 'node:assert/strict';
import { hostname } from 'node:os';
import { after, before, test } from 'node:test';
import { eq, sql } from 'drizzle-orm';
import { gpuQueue } from '../../core/fleet.js';
import { nodeAgent } from '../../drizzle/schema/index.js';
import { acquireLease, newHolder, releaseLease } from '../../worker/agentLease.js';
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
    env: { BATCH_WINDOW: '24', NODE_AGENT_LEASE_MS: '3000' },
    // The stack's own workers orchestrate; the node agents run as sets of their own, as other processes would.
    roles: 'orchestrator,audio',
    // A request beyond a node's capacity is refused (429), not queued by the simulator: it shows.
    rejectWhenBusy: true,
  });
});
after(async () => {
  await stack?.stop();
});

async function audit(prefix: string, n: number) {
  const files = Array.from({ length: n }, (_, i) => ({
    name: `${prefix}-${i}.wav`,
    bytes: makeWav(2, 1700 + i),
  }));
  const res = await uploadAudit(stack.app, auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
}

test('a second worker replica waits as a standby: the nodes get their capacity, never more, and it takes over', async () => {
  const said: string[] = [];
  // Two replicas' agents for every node and endpoint. (In one process Temporal's SDK refuses a second worker
  // on a queue; the standby set creates none until its agents hold a lease, which is what is tested here.)
  const firstSaid: string[] = [];
  const heard = async (what: string, log = said) => {
    for (let i = 0; i < 100 && !log.some((m) => m.includes(what)); i++)
      await new Promise((r) => setTimeout(r, 100));
    return log.some((m) => m.includes(what));
  };
  const stopFirst = await stack.extraWorkers('node:*,llm:*', (m) => firstSaid.push(m));
  let stopSecond = async () => {};
  try {
    for (const id of ['node-a', 'node-b', 'llm-a'])
      assert.ok(await heard(` ${id}: polling `, firstSaid), firstSaid.join(' | '));
    stopSecond = await stack.extraWorkers('node:*,llm:*', (m) => said.push(m));
    for (const id of ['node-a', 'node-b', 'llm-a']) {
      assert.ok(
        await heard(` ${id}: standby, the queue is held by `),
        `the second replica is a standby for ${id}: ${said.join(' | ')}`,
      );
    }
    await audit('replicas', 24);
    const seen = Object.fromEntries(
      stack.sim.stats().endpoints.map((e) => [e.id, { peak: e.maxConcurrent, refused: e.rejected }]),
    );
    assert.deepEqual(seen, {
      'node-a': { peak: 2, refused: 0 },
      'node-b': { peak: 1, refused: 0 },
      'llm-a': { peak: 2, refused: 0 },
    });

    // The first replica stops (a deploy, a crash): its leases go, and the standby polls the queues.
    await stopFirst();
    for (const id of ['node-a', 'node-b', 'llm-a']) {
      assert.ok(await heard(` ${id}: polling `), `${id} taken over: ${said.join(' | ')}`);
    }
    await audit('takeover', 6);
  } finally {
    await stopFirst();
    await stopSecond();
  }
});

test('a lease is taken only when free, lapsed, or held by a process of this host that has ended', async () => {
  const key = {
    queue: gpuQueue(stack.config.COFI_TASK_QUEUE, 'lease-probe'),
    kind: 'gpu' as const,
    nodeId: 'lease-probe',
  };
  const db = stack.db;
  const first = newHolder();
  const second = newHolder();
  assert.equal((await acquireLease(db, key, first, 60_000)).held, true);
  const refused = await acquireLease(db, key, second, 60_000);
  assert.deepEqual([refused.held, refused.holder], [false, first]);
  // Renewal keeps it, and keeps when it was first taken.
  const [before] = await db.select().from(nodeAgent).where(eq(nodeAgent.queue, key.queue));
  assert.equal((await acquireLease(db, key, first, 60_000)).held, true);
  const [renewed] = await db.select().from(nodeAgent).where(eq(nodeAgent.queue, key.queue));
  assert.equal(renewed!.acquiredAt.getTime(), before!.acquiredAt.getTime());

  // Lapsed: the second takes it.
  await db.execute(
    sql`UPDATE ${nodeAgent} SET expiresAt = NOW(3) - INTERVAL 1 SECOND WHERE queue = ${key.queue}`,
  );
  assert.equal((await acquireLease(db, key, second, 60_000)).held, true);
  assert.equal((await acquireLease(db, key, first, 60_000)).held, false);

  // Held by a process of this host that no longer exists (pid 2^22 + 1 is above Linux's pid limit): taken at once.
  await db.execute(
    sql`UPDATE ${nodeAgent} SET holder = ${`${hostname()}/4194305/dead`} WHERE queue = ${key.queue}`,
  );
  assert.equal((await acquireLease(db, key, first, 60_000)).held, true);
  // Held by a live process of another host: not taken.
  await db.execute(sql`UPDATE ${nodeAgent} SET holder = ${'elsewhere/1/x'} WHERE queue = ${key.queue}`);
  assert.equal((await acquireLease(db, key, first, 60_000)).held, false);

  // Released only by its holder.
  await releaseLease(db, key, first);
  assert.equal((await db.select().from(nodeAgent).where(eq(nodeAgent.queue, key.queue))).length, 1);
  await releaseLease(db, key, 'elsewhere/1/x');
  assert.equal((await db.select().from(nodeAgent).where(eq(nodeAgent.queue, key.queue))).length, 0);
});
