// The small version of `npm run topology`: cofi as separate processes (two API replicas, two orchestrators,
// three GPU node agents and an LLM agent) on the Temporal cluster of ops/cluster.sh, a 60-call audit, and the
// agent of a node killed with a request in flight and started again 20 s later. Nothing may be lost or
// duplicated, and no node may ever have more requests in flight than its capacity (before node agents, every
// worker process polled every node: gpu-a saw 18 requests at once against a capacity of 4).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runTopology } from '../../topology/run.js';

test('two orchestrators and a killed node agent: every call completes once, no node over its capacity', async () => {
  const lines: string[] = [];
  const result = await runTopology({ small: true, calls: 60, log: (l) => lines.push(l) });
  assert.equal(result.ok, true, [...result.problems, result.table, ...lines.slice(-20)].join('\n'));
  const [run] = result.runs;
  assert.equal(run?.verdict.completed, 60, result.table);
  assert.ok(
    run?.faults.some((f) => /agent-gpu-a/.test(f.what)),
    `the node agent was killed: ${JSON.stringify(run?.faults)}`,
  );
  for (const node of run?.nodes ?? [])
    assert.ok(node.peak <= node.capacity, `${node.id}: ${node.peak}/${node.capacity}`);
});
