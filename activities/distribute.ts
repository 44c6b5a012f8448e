// Distribution: read the audio's format and duration, pick the GPU node and LLM endpoint, record both.
import { eq } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { findLlm, findNode, pickGpuNode, pickLlmEndpoint } from '../core/fleet.js';
import { call, fileDistribution } from '../drizzle/schema/index.js';
import { loadCall, markStageDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import type { CallRef, CallRoute } from './types.js';

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
      await db.transaction(async (tx) => {
        await tx
          .update(fileDistribution)
          .set({ gpuNode: node.id, gpuUrl: node.url })
          .where(eq(fileDistribution.callId, callId));
        await tx.update(call).set({ gpuNode: node.id }).where(eq(call.id, callId));
      });
      return { gpuNode: node.id, llmEndpoint: findLlm(fleet, llm.id)?.id ?? llm.id };
    },
  };
}
