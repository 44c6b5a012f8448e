// Distribution: read the audio's format and duration, pick the GPU node and LLM endpoint, record both. A batch
// distributes a page of calls at once (onto the node with the least audio queued); a call whose node stops
// answering moves to another one.
import { and, eq, gt, inArray, sql } from 'drizzle-orm';
import type { AudioInfo } from '../core/audio/probe.js';
import type { CallEnd } from '../core/batchWindow.js';
import type { GpuNode } from '../core/config.js';
import { failureContext, stageFailure } from '../core/errors.js';
import {
  findLlm,
  findNode,
  gpuQueue,
  llmQueue,
  nodesFor,
  pickGpuNode,
  pickLeastLoaded,
  pickLlmEndpoint,
} from '../core/fleet.js';
import { eventStageName, type Stage } from '../core/stages.js';
import { polledQueues } from '../core/taskQueues.js';
import type { Db } from '../drizzle/client.js';
import { call, fileDistribution, nodeAgent } from '../drizzle/schema/index.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { loadCall, markStageDone, type Tx } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { writeCallFailure } from './failures.js';
import type {
  AdmittedCallItem,
  BatchRef,
  CallRef,
  CallRoute,
  RedistributeInput,
  RerouteLlmInput,
} from './types.js';

/** A call as the batch lists it for admission, with the stages it already finished in this batch. */
export type ListedCall = {
  callId: number;
  audioName: string;
  processId: number;
  /** The batch the call belongs to (a reaudit covers calls of other batches). */
  batchId: number;
  storedPath: string;
  audioDuration: number | null;
  audioFormat: string | null;
  audioBytes: number | null;
  /** The node it was distributed to earlier, if it was. */
  gpuNode: string | null;
};

/** How many files a page probes at once (a probe reads a file's header). */
const PROBES_AT_ONCE = 8;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await fn(items[i] as T);
  });
  await Promise.all(workers);
  return out;
}

/**
 * Admits a page of listed calls: each is distributed when the batch runs distribution (or has no usable node:
 * never distributed, or its node left the fleet), and comes back with its route and the stages it still has to
 * run. A call whose audio cannot be read fails at distribution here. One transaction for the page's rows.
 */
export async function distributePage(
  deps: Pick<ActivityDeps, 'db' | 'config' | 'audio' | 'inference'>,
  input: {
    batch: BatchRef;
    stages: Stage[];
    calls: (ListedCall & { done: Set<Stage> })[];
    load: Record<string, number>;
  },
): Promise<{ calls: AdmittedCallItem[]; ended: { callId: number; end: CallEnd }[] }> {
  const { db, config, audio, inference } = deps;
  const { fleet } = config;
  const eligible = nodesFor(fleet.nodes, input.stages);
  const load = { ...input.load };
  const runsDistribution = input.stages.includes('distribute');
  const calls: AdmittedCallItem[] = [];
  const ended: { callId: number; end: CallEnd }[] = [];
  type Plan = {
    call: ListedCall & { done: Set<Stage> };
    info: AudioInfo | null;
    error: unknown;
  };
  // Probing reads files: outside the transaction, a few at a time. A call already probed (an upload) is not.
  const plans: Plan[] = await mapLimited(input.calls, PROBES_AT_ONCE, async (c) => {
    const usable = c.gpuNode && findNode(fleet, c.gpuNode) && eligible.some((n) => n.id === c.gpuNode);
    const distribute = (runsDistribution && !c.done.has('distribute')) || !usable;
    const known =
      c.audioDuration !== null && c.audioFormat !== null && c.audioBytes !== null
        ? ({ format: c.audioFormat, duration: c.audioDuration, bytes: c.audioBytes } as AudioInfo)
        : null;
    if (!distribute || known) return { call: c, info: known, error: null };
    try {
      return { call: c, info: await inference.probeAudio(audio.resolve(c.storedPath)), error: null };
    } catch (error) {
      return { call: c, info: null, error };
    }
  });
  await db.transaction(async (tx) => {
    for (const { call: c, info, error } of plans) {
      const usable = c.gpuNode && findNode(fleet, c.gpuNode) && eligible.some((n) => n.id === c.gpuNode);
      const distribute = (runsDistribution && !c.done.has('distribute')) || !usable;
      const llm = pickLlmEndpoint(fleet.llm, c.callId);
      const remaining = input.stages.filter((s) => s !== 'distribute' && !c.done.has(s));
      const seconds = info?.duration ?? c.audioDuration ?? 1;
      if (!distribute) {
        load[c.gpuNode!] = (load[c.gpuNode!] ?? 0) + seconds;
        if (runsDistribution && !c.done.has('distribute'))
          await markStageDone(tx, {
            batchId: input.batch.batchId,
            callId: c.callId,
            stage: 'distribute',
            last: remaining.length === 0,
            startedAt: new Date(),
          });
        if (remaining.length === 0) ended.push({ callId: c.callId, end: 'completed' });
        else calls.push(admitted(c, { gpuNode: c.gpuNode!, llmEndpoint: llm.id }, remaining, seconds));
        continue;
      }
      if (error || !info || eligible.length === 0) {
        const failure = error ?? stageFailure('missing_data', 'no GPU node serves the stages of this batch');
        const cause = failure instanceof Error ? failure : new Error(String(failure));
        await writeCallFailure(tx, {
          batchId: input.batch.batchId,
          callId: c.callId,
          // A batch that does not run distribution (a reaudit) fails the call at its first stage.
          stage: runsDistribution ? 'distribute' : input.stages[0]!,
          errorType: (failure as { type?: string }).type ?? 'undecodable_audio',
          message: `distribution failed: ${cause.message}`,
          context: failureContext(failure),
          attempt: input.batch.attempt,
          stages: input.stages,
          audioName: c.audioName,
        });
        ended.push({ callId: c.callId, end: 'failed' });
        continue;
      }
      const node = pickLeastLoaded(eligible, load, seconds);
      load[node.id] = (load[node.id] ?? 0) + seconds;
      await recordDistribution(tx, c, node);
      if (runsDistribution) {
        await markStageDone(
          tx,
          {
            batchId: input.batch.batchId,
            callId: c.callId,
            stage: 'distribute',
            last: remaining.length === 0,
            startedAt: new Date(),
          },
          {
            audioDuration: info.duration,
            audioFormat: info.format,
            audioBytes: info.bytes,
            gpuNode: node.id,
          },
        );
      } else {
        // Not a stage of this batch (a reaudit): the move is logged instead.
        await tx.update(call).set({ gpuNode: node.id }).where(eq(call.id, c.callId));
        await logEvent(tx, {
          batchId: input.batch.batchId,
          stage: eventStageName('distribute'),
          eventType: 'file_redistributed',
          status: 'InProgress',
          callId: c.callId,
          message: `${c.audioName}: ${c.gpuNode ? `moved from ${c.gpuNode}, which left the fleet,` : 'never distributed before, sent'} to ${node.id}`,
          metadata: {
            from: c.gpuNode,
            to: node.id,
            stage: input.stages[0] ?? null,
            reason: c.gpuNode ? 'node left the fleet' : 'never distributed',
          },
          eventKey: eventKey(
            input.batch,
            'file_distribution',
            'file_redistributed',
            c.callId,
            c.gpuNode ?? 'none',
          ),
        });
      }
      if (remaining.length === 0) ended.push({ callId: c.callId, end: 'completed' });
      else calls.push(admitted(c, { gpuNode: node.id, llmEndpoint: llm.id }, remaining, seconds));
    }
  });
  return { calls, ended };
}

const admitted = (c: ListedCall, route: CallRoute, stages: Stage[], seconds: number): AdmittedCallItem => ({
  callId: c.callId,
  audioName: c.audioName,
  processId: c.processId,
  route,
  stages,
  seconds,
});

/** The `fileDistribution` row of a call (keyed by call: a retry writes the same row). */
async function recordDistribution(tx: Tx, c: ListedCall, node: GpuNode): Promise<void> {
  await tx
    .insert(fileDistribution)
    .values({ batchId: c.batchId, callId: c.callId, file: c.audioName, gpuNode: node.id, gpuUrl: node.url })
    .onDuplicateKeyUpdate({ set: { gpuNode: node.id, gpuUrl: node.url } });
}

export function createDistributeActivities({ db, config, audio, inference, temporal }: ActivityDeps) {
  const { fleet } = config;
  /**
   * Of `ids`, those whose queue an agent serves now: it holds the queue's lease (renewed every few seconds,
   * given up on a graceful stop, lapsed NODE_AGENT_LEASE_MS after a crash). Temporal's own poller list is no
   * use here: it keeps a stopped worker's entry for a minute or more.
   */
  const served = async (ids: string[], queue: (id: string) => string) => {
    if (ids.length === 0) return [];
    const rows = await db
      .select({ queue: nodeAgent.queue })
      .from(nodeAgent)
      .where(and(inArray(nodeAgent.queue, ids.map(queue)), gt(nodeAgent.expiresAt, sql`NOW(3)`)));
    const live = new Set(rows.map((r) => r.queue));
    // No lease at all: agents of a version before leases (a rolling deploy) may still poll; ask Temporal.
    if (live.size === 0)
      for (const q of await polledQueues(temporal, config.TEMPORAL_NAMESPACE, ids.map(queue))) live.add(q);
    return ids.filter((id) => live.has(queue(id)));
  };
  return {
    /**
     * One call's distribution (the first batch shape). Idempotent: the node is a pure function of the call id
     * (weighted round-robin by capacity) and the `fileDistribution` row is keyed by call.
     */
    async distributeCall({ batchId, callId, last }: CallRef & { last: boolean }): Promise<CallRoute> {
      const startedAt = new Date();
      const row = await loadCall(db, callId);
      const info = await inference.probeAudio(audio.resolve(row.storedPath));
      const node = pickGpuNode(fleet.nodes, callId);
      const llm = pickLlmEndpoint(fleet.llm, callId);
      await db.transaction(async (tx) => {
        await recordDistribution(tx, { ...row, callId, gpuNode: null }, node);
        await markStageDone(
          tx,
          { batchId, callId, stage: 'distribute', last, startedAt },
          {
            audioDuration: info.duration,
            audioFormat: info.format,
            audioBytes: info.bytes,
            gpuNode: node.id,
          },
        );
      });
      return { gpuNode: node.id, llmEndpoint: llm.id };
    },

    /**
     * The route of a call distributed earlier (the first batch shape's reaudit). When its node is no longer in
     * the fleet the call is re-distributed to a node that is; the audio itself stays in the audio store.
     */
    async routeCall({ callId }: CallRef): Promise<CallRoute> {
      const [dist] = await db.select().from(fileDistribution).where(eq(fileDistribution.callId, callId));
      if (!dist) throw stageFailure('missing_data', `call ${callId} was never distributed`);
      const llm = pickLlmEndpoint(fleet.llm, callId);
      if (findNode(fleet, dist.gpuNode)) return { gpuNode: dist.gpuNode, llmEndpoint: llm.id };
      const node = pickGpuNode(fleet.nodes, callId);
      await db.transaction((tx) => moveCall(tx, callId, node));
      return { gpuNode: node.id, llmEndpoint: findLlm(fleet, llm.id)?.id ?? llm.id };
    },

    /**
     * Moves a call whose GPU node stopped answering to another node that serves the stage, and logs the
     * move. Returns null when every node was tried. A call whose request nobody picked up in time (`unpicked`)
     * goes to a node an agent serves (see `served`), untried ones first, or stays where it is when that is the
     * only one polled (a busy node, not a gone one); null when no node serving the stage is polled.
     * Idempotent: the move is keyed by (call, stage, node left, moves so far).
     */
    async redistributeCall(input: RedistributeInput): Promise<CallRoute | null> {
      const { batchId, callId, stage, tried, reason } = input;
      const left = tried[tried.length - 1];
      const serving = fleet.nodes.filter((n) => n.stages.includes(stage));
      let candidates = serving.filter((n) => !tried.includes(n.id));
      if (input.unpicked) {
        const live = new Set(
          await served(
            serving.map((n) => n.id),
            (id) => gpuQueue(config.COFI_TASK_QUEUE, id),
          ),
        );
        const untried = candidates.filter((n) => live.has(n.id));
        const others = serving.filter((n) => n.id !== left && live.has(n.id));
        candidates = untried.length ? untried : others;
        if (candidates.length === 0) {
          const here = serving.find((n) => n.id === left && live.has(n.id));
          return here ? { gpuNode: here.id, llmEndpoint: pickLlmEndpoint(fleet.llm, callId).id } : null;
        }
      }
      if (candidates.length === 0) return null;
      const node = pickGpuNode(candidates, callId);
      const row = await loadCall(db, callId);
      await db.transaction(async (tx) => {
        await moveCall(tx, callId, node);
        await logEvent(tx, {
          batchId,
          stage: eventStageName('distribute'),
          eventType: 'file_redistributed',
          status: 'InProgress',
          callId,
          message: `${row.audioName}: moved from ${left} to ${node.id} at ${stage}: ${reason}`.slice(0, 4000),
          metadata: { from: left ?? null, to: node.id, stage, reason },
          eventKey: `${batchId}:${eventStageName('distribute')}:file_redistributed:${callId}:${stage}:${left}:${tried.length}`,
        });
      });
      return { gpuNode: node.id, llmEndpoint: pickLlmEndpoint(fleet.llm, callId).id };
    },

    /**
     * Moves a call whose LLM request nobody picked up in time to an endpoint with a live poller (another one
     * when there is one), and logs the move; null when no endpoint is polled.
     */
    async rerouteLlm(input: RerouteLlmInput): Promise<CallRoute | null> {
      const { batchId, callId, stage, route, reason, moves } = input;
      const from = route.llmEndpoint;
      const live = await served(
        fleet.llm.map((l) => l.id),
        (id) => llmQueue(config.COFI_TASK_QUEUE, id),
      );
      const others = fleet.llm.filter((l) => l.id !== from && live.includes(l.id));
      if (others.length === 0) return live.includes(from) ? route : null;
      const endpoint = pickLlmEndpoint(others, callId);
      const row = await loadCall(db, callId);
      await logEvent(db, {
        batchId,
        stage: eventStageName('distribute'),
        eventType: 'file_redistributed',
        status: 'InProgress',
        callId,
        message: `${row.audioName}: moved from ${from} to ${endpoint.id} at ${stage}: ${reason}`.slice(
          0,
          4000,
        ),
        metadata: { from, to: endpoint.id, stage, reason },
        eventKey: `${batchId}:${eventStageName('distribute')}:file_redistributed:${callId}:${stage}:${from}:${moves}`,
      });
      return { ...route, llmEndpoint: endpoint.id };
    },
  };
}

/** Points a call at another GPU node: its distribution row and the call itself. */
async function moveCall(db: Pick<Db, 'update'>, callId: number, node: GpuNode): Promise<void> {
  await db
    .update(fileDistribution)
    .set({ gpuNode: node.id, gpuUrl: node.url })
    .where(eq(fileDistribution.callId, callId));
  await db.update(call).set({ gpuNode: node.id }).where(eq(call.id, callId));
}
