// Routing over the GPU fleet: the smooth weighted round-robin, node and endpoint picks, task-queue names.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Fleet, type GpuNode, type LlmEndpoint, SIMULATED_FLEET } from '../../core/config.js';
import {
  audioQueue,
  findLlm,
  findNode,
  gpuQueue,
  llmQueue,
  mainQueue,
  nodesFor,
  pickGpuNode,
  pickLeastLoaded,
  pickLlmEndpoint,
  weightedCycle,
} from '../../core/fleet.js';

const node = (id: string, capacity: number, stages: GpuNode['stages'] = ['lid', 'stt']): GpuNode => ({
  id,
  url: `http://10.0.0.1/${id}`,
  capacity,
  stages,
  model: 'whisper-1',
});
const llm = (id: string, capacity: number): LlmEndpoint => ({
  id,
  url: `http://10.0.0.2/${id}`,
  capacity,
  model: 'm',
});

type Item = { id: string; weight: number };
const items = (...weights: number[]): Item[] =>
  weights.map((weight, i) => ({ id: String.fromCharCode(97 + i), weight }));
const ids = (cycle: Item[]) => cycle.map((i) => i.id).join('');
const countBy = <T>(list: readonly T[], key: (t: T) => string) => {
  const counts: Record<string, number> = {};
  for (const x of list) counts[key(x)] = (counts[key(x)] ?? 0) + 1;
  return counts;
};
/** True when some item is picked twice in a row, the cycle's end followed by its start included. */
const repeatsInARow = (cycle: readonly unknown[]) =>
  cycle.some((x, i) => x === cycle[(i + 1) % cycle.length]) && cycle.length > 1;

describe('weightedCycle', () => {
  test('picks each item exactly `weight` times per cycle', () => {
    for (const weights of [[1], [1, 1], [4, 4, 2], [5, 1, 1], [3, 7], [8, 1, 2, 6], [16, 16, 16, 1]]) {
      const list = items(...weights);
      const cycle = weightedCycle(list, (i) => i.weight);
      assert.equal(
        cycle.length,
        weights.reduce((a, b) => a + b, 0),
        `cycle length for ${weights}`,
      );
      const counts = countBy(cycle, (i) => i.id);
      for (const item of list) assert.equal(counts[item.id], item.weight, `${item.id} of ${weights}`);
    }
  });

  test('never picks an item twice in a row when the others have equal weight', () => {
    for (const weights of [
      [1, 1],
      [2, 2, 2],
      [4, 4, 4, 4],
      [4, 4, 2],
    ]) {
      const cycle = weightedCycle(items(...weights), (i) => i.weight);
      assert.equal(repeatsInARow(cycle), false, `${weights}: ${ids(cycle)}`);
    }
  });

  test('spreads a heavy item as nginx does (5,1,1 gives a a b a c a a)', () => {
    assert.equal(ids(weightedCycle(items(5, 1, 1), (i) => i.weight)), 'aabacaa');
    assert.equal(ids(weightedCycle(items(4, 4, 2), (i) => i.weight)), 'abcababcab');
  });

  test('an empty list gives an empty cycle', () => {
    assert.deepEqual(
      weightedCycle([], () => 1),
      [],
    );
  });
});

describe('pickGpuNode and pickLlmEndpoint', () => {
  test('over capacities 4, 4, 2, 1000 consecutive calls go 400 / 400 / 200', () => {
    const nodes = [node('gpu-1', 4), node('gpu-2', 4), node('gpu-3', 2)];
    const picks = Array.from({ length: 1000 }, (_, n) => pickGpuNode(nodes, n).id);
    assert.deepEqual(
      countBy(picks, (id) => id),
      { 'gpu-1': 400, 'gpu-2': 400, 'gpu-3': 200 },
    );
    // Consecutive calls land on different nodes, so a burst never queues on one node.
    assert.ok(
      picks.every((id, i) => i === 0 || id !== picks[i - 1]),
      'no node gets two consecutive calls',
    );
  });

  test('is a function of the call number (a retried distribution picks the same node)', () => {
    const nodes = SIMULATED_FLEET.nodes;
    for (const n of [0, 1, 7, 123_456]) assert.equal(pickGpuNode(nodes, n), pickGpuNode(nodes, n));
  });

  test('only nodes that serve stt receive calls', () => {
    const nodes = [node('lid-only', 8, ['lid']), node('gpu-a', 1), node('gpu-b', 1)];
    const picks = new Set(Array.from({ length: 50 }, (_, n) => pickGpuNode(nodes, n).id));
    assert.deepEqual([...picks].sort(), ['gpu-a', 'gpu-b']);
    assert.throws(() => pickGpuNode([node('lid-only', 8, ['lid'])], 0), /no GPU node serves stt/);
    assert.throws(() => pickGpuNode([], 0), /no GPU node serves stt/);
  });

  test('LLM endpoints are picked by capacity too', () => {
    const endpoints = [llm('vllm-1', 3), llm('vllm-2', 1)];
    const picks = Array.from({ length: 400 }, (_, n) => pickLlmEndpoint(endpoints, n).id);
    assert.deepEqual(
      countBy(picks, (id) => id),
      { 'vllm-1': 300, 'vllm-2': 100 },
    );
    assert.throws(() => pickLlmEndpoint([], 0), /no LLM endpoint configured/);
  });

  test('findNode and findLlm look a node up by id', () => {
    const fleet: Fleet = { nodes: [node('gpu-1', 1)], llm: [llm('vllm-1', 1)] };
    assert.equal(findNode(fleet, 'gpu-1')?.id, 'gpu-1');
    assert.equal(findNode(fleet, 'vllm-1'), undefined);
    assert.equal(findLlm(fleet, 'vllm-1')?.id, 'vllm-1');
    assert.equal(findLlm(fleet, 'gpu-1'), undefined);
  });
});

describe('task queues', () => {
  test('are named from the prefix and the node id', () => {
    assert.equal(mainQueue('cofi'), 'cofi');
    assert.equal(audioQueue('cofi'), 'cofi-audio');
    assert.equal(gpuQueue('cofi', 'gpu-a'), 'cofi-gpu-gpu-a');
    assert.equal(llmQueue('cofi', 'vllm-1'), 'cofi-llm-vllm-1');
    assert.equal(gpuQueue('cofi-test', 'sim-gpu-1'), 'cofi-test-gpu-sim-gpu-1');
  });

  test('every queue of a fleet is distinct, even when a GPU node and an LLM share an id', () => {
    const queues = [
      mainQueue('cofi'),
      audioQueue('cofi'),
      ...SIMULATED_FLEET.nodes.map((n) => gpuQueue('cofi', n.id)),
      ...SIMULATED_FLEET.llm.map((l) => llmQueue('cofi', l.id)),
      gpuQueue('cofi', 'x'),
      llmQueue('cofi', 'x'),
    ];
    assert.equal(new Set(queues).size, queues.length, queues.join(', '));
  });
});

describe('least-loaded distribution', () => {
  const fleet = [node('a', 4), node('b', 4), node('c', 2)];

  test('a call goes where its audio would be done soonest: load plus the call, over capacity', () => {
    assert.equal(pickLeastLoaded(fleet, {}, 60).id, 'a', 'all idle: the first of the largest');
    assert.equal(pickLeastLoaded(fleet, { a: 400, b: 100, c: 100 }, 60).id, 'b');
    // c has half the slots: 100 s queued there weighs like 200 s on a or b.
    assert.equal(pickLeastLoaded(fleet, { a: 300, b: 300, c: 100 }, 60).id, 'c');
    assert.equal(pickLeastLoaded(fleet, { a: 300, b: 300, c: 200 }, 60).id, 'a');
  });

  test('longest first onto the least loaded keeps every node about equally busy', () => {
    const durations = Array.from({ length: 1000 }, (_, i) => 60 + ((i * 7919) % 541)).sort((x, y) => y - x);
    const load: Record<string, number> = {};
    for (const d of durations) {
      const n = pickLeastLoaded(fleet, load, d);
      load[n.id] = (load[n.id] ?? 0) + d;
    }
    const perSlot = fleet.map((n) => (load[n.id] ?? 0) / n.capacity);
    const spread = (Math.max(...perSlot) - Math.min(...perSlot)) / Math.max(...perSlot);
    assert.ok(spread < 0.002, `work per slot: ${perSlot.join(', ')}`);
  });

  test('only nodes that serve every GPU stage of the batch are candidates; none is an error', () => {
    const mixed = [node('lid-only', 8, ['lid']), node('both', 2), node('stt-only', 8, ['stt'])];
    assert.deepEqual(
      nodesFor(mixed, ['distribute', 'lid', 'stt', 'llm1']).map((n) => n.id),
      ['both'],
    );
    assert.deepEqual(
      nodesFor(mixed, ['distribute', 'stt']).map((n) => n.id),
      ['both', 'stt-only'],
    );
    assert.deepEqual(
      nodesFor(mixed, ['distribute']).map((n) => n.id),
      ['both', 'stt-only'],
      'no GPU stage: the nodes that serve stt',
    );
    assert.throws(() => pickLeastLoaded([], {}, 1), /no GPU node/);
  });
});
