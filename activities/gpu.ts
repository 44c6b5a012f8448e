// GPU stages (LID, STT): run on the task queue of the call's node, whose worker caps concurrency.
import { eq } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { findNode } from '../core/fleet.js';
import { createNodeSlots } from '../core/nodeSlots.js';
import { call, lidResult, transcript } from '../drizzle/schema/index.js';
import { loadCall, markStageDone, skipIfDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { slotted } from './heartbeat.js';
import type { LidOutput, StageInput } from './types.js';

export function createGpuActivities({ db, config, audio, inference }: ActivityDeps) {
  const nodeOf = (id: string) => {
    const node = findNode(config.fleet, id);
    if (!node) throw stageFailure('missing_data', `GPU node "${id}" is not in the fleet configuration`);
    return node;
  };
  // The node's worker holds more of its tasks than it has slots (tasksInHand): requests wait here for a slot.
  const onNode = slotted(createNodeSlots());

  return {
    /** Idempotent: one `lidResult` row per call (unique callId), replaced on a retry. */
    async runLid({ batchId, callId, route, last }: StageInput): Promise<LidOutput> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'lid', last)) {
        const [done] = await db.select().from(lidResult).where(eq(lidResult.callId, callId));
        if (done) return { lang: done.lang, supported: done.supported, confidence: done.confidence };
      }
      const node = nodeOf(route.gpuNode);
      const row = await loadCall(db, callId);
      const lid = await onNode(node, (signal) =>
        inference.identifyLanguage({
          node,
          audioPath: audio.resolve(row.storedPath),
          fileName: row.audioName,
          supported: config.LANGUAGES,
          timeoutMs: config.LID_TIMEOUT_MS,
          signal,
        }),
      );
      const values = {
        callId,
        lang: lid.lang,
        confidence: lid.confidence,
        detectedRaw: lid.detectedRaw,
        supported: lid.supported,
        source: lid.source,
        gpuNode: node.id,
      };
      await db.transaction(async (tx) => {
        await tx.insert(lidResult).values(values).onDuplicateKeyUpdate({ set: values });
        // An unsupported language is recorded, but the stage is not done: the call fails at lid (once).
        if (lid.supported)
          await markStageDone(tx, { batchId, callId, stage: 'lid', last, startedAt }, { lang: lid.lang });
        else await tx.update(call).set({ lang: lid.lang }).where(eq(call.id, callId));
      });
      return { lang: lid.lang, supported: lid.supported, confidence: lid.confidence };
    },

    /** Idempotent: one `transcript` row per call (unique callId), replaced on a retry. */
    async runStt({ batchId, callId, route, last }: StageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'stt', last)) return;
      const node = nodeOf(route.gpuNode);
      const row = await loadCall(db, callId);
      const [lid] = await db.select().from(lidResult).where(eq(lidResult.callId, callId));
      const result = await onNode(node, (signal) =>
        inference.transcribe({
          node,
          audioPath: audio.resolve(row.storedPath),
          fileName: row.audioName,
          language: lid?.supported ? lid.lang : undefined,
          timeoutMs: config.STT_TIMEOUT_MS,
          signal,
        }),
      );
      const values = {
        callId,
        lang: result.language ?? lid?.lang ?? null,
        text: result.text,
        segments: result.segments,
        duration: result.duration,
        model: result.model,
        gpuNode: node.id,
      };
      await db.transaction(async (tx) => {
        await tx.insert(transcript).values(values).onDuplicateKeyUpdate({ set: values });
        await markStageDone(
          tx,
          { batchId, callId, stage: 'stt', last, startedAt },
          row.lang ? {} : { lang: values.lang },
        );
      });
    },
  };
}
