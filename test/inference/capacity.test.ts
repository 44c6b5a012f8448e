// Node capacity in the simulator: N slots run at once, the rest queue, or get 429 with rejectWhenBusy.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { transcribe } from '../../core/inference/stt.js';
import type { BusyInterval } from '../../simulator/server.js';
import { startSimulator } from '../../simulator/server.js';
import { expectFailure, fixture, gpuNode } from './support.js';

/** The largest number of intervals open at one instant. */
function peakOverlap(busy: BusyInterval[]): number {
  const edges = busy.flatMap((b) => [
    [b.start, 1],
    [b.end, -1],
  ]);
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let peak = 0;
  for (const [, d] of edges) {
    open += d!;
    peak = Math.max(peak, open);
  }
  return peak;
}

// A slot is held 600 ms: long enough that requests sent together overlap even on a loaded machine.
const latency = { sttOverheadMs: 600, sttRealTimeFactor: 1000, lidMs: 200 };

test('N+1 concurrent requests on a capacity-N node: N run at once, one waits its turn', async () => {
  const sim = await startSimulator({
    nodes: [{ id: 'gpu', port: 0, capacity: 2 }],
    llm: [],
    latency,
    timeScale: 1,
    scripts: null,
  });
  try {
    const node = gpuNode(sim.nodes[0]!.url);
    // With a language, as cofi's STT sends it after LID: the simulator counts a transcription without one
    // as language identification.
    const calls = [1, 2, 3].map((i) =>
      transcribe({ node, audioPath: fixture('tone.wav'), fileName: `c${i}.wav`, language: 'en' }),
    );
    const results = await Promise.all(calls);
    assert.equal(results.length, 3);
    const stats = sim.stats().endpoints[0]!;
    assert.equal(stats.maxConcurrent, 2);
    assert.equal(stats.served, 3);
    assert.equal(stats.busy.length, 3);
    assert.equal(peakOverlap(stats.busy), 2);
    const [first, second, third] = [...stats.busy].sort((a, b) => a.start - b.start);
    assert.ok(third!.start >= Math.min(first!.end, second!.end), 'the third started when a slot was freed');
    assert.ok(stats.busy.every((b) => b.kind === 'stt' && b.end - b.start >= 500));
  } finally {
    await sim.close();
  }
});

test('with rejectWhenBusy the request beyond capacity gets 429 (rate_limited) at once', async () => {
  const sim = await startSimulator({
    nodes: [{ id: 'gpu', port: 0, capacity: 1, rejectWhenBusy: true }],
    llm: [],
    latency,
    timeScale: 1,
    scripts: null,
  });
  try {
    const node = gpuNode(sim.nodes[0]!.url);
    const slow = transcribe({ node, audioPath: fixture('tone.wav'), fileName: 'a.wav' });
    // Send the second request once the first holds the only slot (not after a guessed delay).
    for (let i = 0; i < 400 && sim.stats().endpoints[0]!.maxConcurrent < 1; i++)
      await new Promise((r) => setTimeout(r, 5));
    await expectFailure(
      transcribe({ node, audioPath: fixture('tone.wav'), fileName: 'b.wav' }),
      'rate_limited',
    );
    assert.ok((await slow).segments.length > 0);
    const stats = sim.stats().endpoints[0]!;
    assert.deepEqual([stats.maxConcurrent, stats.served, stats.rejected], [1, 1, 1]);
  } finally {
    await sim.close();
  }
});
