// Distribution: read the audio's format and duration, pick the GPU node and LLM endpoint, record both.
import { eq } from 'drizzle-orm';
import type { GpuNode } from '../core/config.js';
import { stageFailure } from '../core/errors.js';
import { findLlm, findNode, pickGpuNode, pickLlmEndpoint } from '../core/fleet.js';
import { eventStageName } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { call, fileDistribution } from '../drizzle/schema/index.js';
import { logEvent } from './batch.js';
import { loadCall, markStageDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import type { CallRef, CallRoute, RedistributeInput } from './types.js';

export function createDistributeActivities({ db, config, audio, inference }: ActivityDeps) {
  const { fleet } = config;
  return {
    /**
     * Idempotent: the node is a pure function of the call id (weighted round-robin by capacity) and the
     * `fileDistribution` row is keyed by call, so a retry writes the same row again.
     */
    async distributeCall({ batchId, callId, last }: CallRef & { last: boolean }): Promise<CallRoute> {
      const row = await loadCall(db, callId);
      const info = await inference.probeAudio(audio.resolve(row.storedPath));
      const node = pickGpuNode(fleet.nodes, callId);
      const llm = pickLlmEndpoint(fleet.llm, callId);
      const values = { batchId, callId, file: row.audioName, gpuNode: node.id, gpuUrl: node.url };
      await db.transaction(async (tx) => {
        await tx
          .insert(fileDistribution)
          .values(values)
          .onDuplicateKeyUpdate({ set: { gpuNode: node.id, gpuUrl: node.url } });
        await markStageDone(tx, callId, 'distribute', last, {
          audioDuration: info.duration,
          audioFormat: info.format,
          audioBytes: info.bytes,
          gpuNode: node.id,
        });
      });
      return { gpuNode: node.id, llmEndpoint: llm.id };
    },

    /**
     * The route of a call distributed earlier (reaudit). When its node is no longer in the fleet the call is
     * re-distributed to a node that is; the audio itself stays in the audio store.
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
     * move. Returns null when every node was tried. Idempotent: the move is keyed by (call, node left).
     */
    async redistributeCall(input: RedistributeInput): Promise<CallRoute | null> {
      const { batchId, callId, stage, tried, reason } = input;
      const left = tried[tried.length - 1];
      const candidates = fleet.nodes.filter((n) => n.stages.includes(stage) && !tried.includes(n.id));
      if (candidates.length === 0) return null;
      const node = pickGpuNode(candidates, callId);
      const llm = pickLlmEndpoint(fleet.llm, callId);
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
          eventKey: `${batchId}:${eventStageName('distribute')}:file_redistributed:${callId}:${left}`,
        });
      });
      return { gpuNode: node.id, llmEndpoint: llm.id };
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
