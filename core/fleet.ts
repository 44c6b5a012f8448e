// Routing over the GPU fleet: task-queue names and the weighted round-robin that spreads calls by capacity.
import type { Fleet, GpuNode, LlmEndpoint } from './config.js';

/** Task queue of the workflows and database activities. */
export const mainQueue = (prefix: string) => prefix;
/** Task queue of the audio clean-up stages (ffmpeg on the worker host). */
export const audioQueue = (prefix: string) => `${prefix}-audio`;
/** Task queue of one GPU node: its worker runs at most `capacity` activities at once. */
export const gpuQueue = (prefix: string, nodeId: string) => `${prefix}-gpu-${nodeId}`;
/** Task queue of one LLM endpoint. */
export const llmQueue = (prefix: string, endpointId: string) => `${prefix}-llm-${endpointId}`;

/**
 * Smooth weighted round-robin (as nginx does it): over one cycle of sum(weights) picks, each item is
 * picked `weight` times and picks of the same item are spread out rather than bunched.
 */
export function weightedCycle<T>(items: readonly T[], weight: (item: T) => number): T[] {
  const current = items.map(() => 0);
  const total = items.reduce((sum, item) => sum + weight(item), 0);
  const cycle: T[] = [];
  for (let pick = 0; pick < total; pick++) {
    let best = 0;
    items.forEach((item, i) => {
      current[i] = (current[i] ?? 0) + weight(item);
      if ((current[i] ?? 0) > (current[best] ?? 0)) best = i;
    });
    current[best] = (current[best] ?? 0) - total;
    cycle.push(items[best] as T);
  }
  return cycle;
}

/** A cycle position for any integer n (call ids are positive; this keeps a bad n from picking nothing). */
const slot = (n: number, length: number) => ((Math.trunc(n) % length) + length) % length;

/** The GPU node for the n-th call (n from a monotonic counter, e.g. the call id). */
export function pickGpuNode(nodes: readonly GpuNode[], n: number): GpuNode {
  const eligible = nodes.filter((node) => node.stages.includes('stt'));
  if (eligible.length === 0) throw new Error('no GPU node serves stt');
  const cycle = weightedCycle(eligible, (node) => node.capacity);
  return cycle[slot(n, cycle.length)] as GpuNode;
}

export function pickLlmEndpoint(endpoints: readonly LlmEndpoint[], n: number): LlmEndpoint {
  const cycle = weightedCycle(endpoints, (e) => e.capacity);
  const picked = cycle[slot(n, cycle.length)];
  if (!picked) throw new Error('no LLM endpoint configured');
  return picked;
}

export function findNode(fleet: Fleet, id: string): GpuNode | undefined {
  return fleet.nodes.find((n) => n.id === id);
}

export function findLlm(fleet: Fleet, id: string): LlmEndpoint | undefined {
  return fleet.llm.find((l) => l.id === id);
}

/** Nodes that serve every GPU stage in `stages` (every node that serves stt when the batch runs none). */
export function nodesFor(nodes: readonly GpuNode[], stages: readonly string[]): GpuNode[] {
  const gpu = stages.filter((s): s is 'lid' | 'stt' => s === 'lid' || s === 'stt');
  const wanted = gpu.length ? gpu : (['stt'] as const);
  return nodes.filter((n) => wanted.every((s) => n.stages.includes(s)));
}

/**
 * The node that would get through its queued audio soonest with `seconds` more: the least (load + seconds) /
 * capacity, ties to the earlier node. `load` is seconds of audio already waiting or running per node.
 */
export function pickLeastLoaded(
  nodes: readonly GpuNode[],
  load: Readonly<Record<string, number>>,
  seconds: number,
): GpuNode {
  let best: GpuNode | undefined;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const node of nodes) {
    const score = ((load[node.id] ?? 0) + seconds) / node.capacity;
    if (score < bestScore) {
      best = node;
      bestScore = score;
    }
  }
  if (!best) throw new Error('no GPU node serves these stages');
  return best;
}

/**
 * The pipeline stages some simulated fleet entry answers (`simulated: true`): what the dashboard warns about,
 * so nobody reads a made-up transcript or score as a model's.
 */
export function simulatedStages(fleet: Fleet): string[] {
  const gpu = fleet.nodes.filter((n) => n.simulated === true);
  return [
    ...(gpu.some((n) => n.stages.includes('lid')) ? ['LID'] : []),
    ...(gpu.some((n) => n.stages.includes('stt')) ? ['STT'] : []),
    ...(fleet.llm.some((l) => l.simulated === true) ? ['LLM1', 'LLM2'] : []),
  ];
}
