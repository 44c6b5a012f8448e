// GPU stages (LID, STT): run on the task queue of the call's node, whose worker caps concurrency.
import { stat } from 'node:fs/promises';
import { eq } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { findNode } from '../core/fleet.js';
import { heardNoSpeech } from '../core/inference/speech.js';
import { createNodeSlots } from '../core/nodeSlots.js';
import { call, lidResult, transcript } from '../drizzle/schema/index.js';
import { loadCall, markStageDone, skipIfDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { slotted } from './heartbeat.js';
import type { LidOutput, StageInput } from './types.js';

/**
 * What the workflow needs of a LID result. Without speech the language check does not apply (`supported`):
 * the call goes on to STT, which decides whether it holds speech after all.
 */
const lidOutput = (r: { lang: string; supported: boolean; confidence: number | null; speech: boolean }) => ({
  lang: r.lang,
  supported: r.supported || !r.speech,
  confidence: r.confidence,
});

export function createGpuActivities({ db, config, audio, inference }: ActivityDeps) {
  const nodeOf = (id: string) => {
    const node = findNode(config.fleet, id);
    if (!node) throw stageFailure('missing_data', `GPU node "${id}" is not in the fleet configuration`);
    return node;
  };
  /**
   * The call's recording in the audio store. One that is gone (deleted, a store not mounted) fails the call at
   * once as missing data: no server and no retry can bring it back.
   */
  const recordingOf = async (row: { storedPath: string }) => {
    const file = audio.resolve(row.storedPath);
    try {
      await stat(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw stageFailure('missing_data', `audio file not found: ${row.storedPath}`);
      throw err;
    }
    return file;
  };
  // The node's worker holds more of its tasks than it has slots (tasksInHand): requests wait here for a slot.
  const onNode = slotted(createNodeSlots());

  return {
    /** Idempotent: one `lidResult` row per call (unique callId), replaced on a retry. */
    async runLid({ batchId, callId, route, last }: StageInput): Promise<LidOutput> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'lid', last)) {
        const [done] = await db.select().from(lidResult).where(eq(lidResult.callId, callId));
        if (done) return lidOutput(done);
      }
      const node = nodeOf(route.gpuNode);
      const row = await loadCall(db, callId);
      const audioPath = await recordingOf(row);
      const lid = await onNode(node, (signal) =>
        inference.identifyLanguage({
          node,
          audioPath,
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
        speech: lid.speech,
        gpuNode: node.id,
      };
      await db.transaction(async (tx) => {
        await tx.insert(lidResult).values(values).onDuplicateKeyUpdate({ set: values });
        // No speech: the stage is done and the call goes on to STT, which decides (a guess on silence is not
        // the call's language, and an unsupported guess does not fail it).
        if (!lid.speech)
          await markStageDone(
            tx,
            { batchId, callId, stage: 'lid', last, startedAt },
            { lang: null, skipReason: 'no_speech' },
          );
        // An unsupported language is recorded, but the stage is not done: the call fails at lid (once).
        else if (lid.supported)
          await markStageDone(
            tx,
            { batchId, callId, stage: 'lid', last, startedAt },
            { lang: lid.lang, skipReason: null },
          );
        else await tx.update(call).set({ lang: lid.lang }).where(eq(call.id, callId));
      });
      return lidOutput(values);
    },

    /** Idempotent: one `transcript` row per call (unique callId), replaced on a retry. */
    async runStt({ batchId, callId, route, last }: StageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'stt', last)) return;
      const node = nodeOf(route.gpuNode);
      const row = await loadCall(db, callId);
      const [lid] = await db.select().from(lidResult).where(eq(lidResult.callId, callId));
      const audioPath = await recordingOf(row);
      const result = await onNode(node, (signal) =>
        inference.transcribe({
          node,
          audioPath,
          fileName: row.audioName,
          // A language LID found is a hint; a guess on silence is not.
          language: lid?.supported && lid.speech ? lid.lang : undefined,
          timeoutMs: config.STT_TIMEOUT_MS,
          signal,
        }),
      );
      // STT has the last word on speech: a call it heard nobody in completes without analysis or score.
      const noSpeech = heardNoSpeech(result);
      const values = {
        callId,
        lang: noSpeech ? null : (result.language ?? (lid?.speech ? lid.lang : null)),
        text: result.text,
        segments: result.segments,
        duration: result.duration,
        model: result.model,
        gpuNode: node.id,
        // A new transcript has not been through redaction, whatever the row it replaces had.
        redactedAt: null,
        redactedEntities: null,
        originalText: null,
        originalSegments: null,
      };
      await db.transaction(async (tx) => {
        await tx.insert(transcript).values(values).onDuplicateKeyUpdate({ set: values });
        await markStageDone(
          tx,
          { batchId, callId, stage: 'stt', last, startedAt },
          {
            skipReason: noSpeech ? 'no_speech' : null,
            ...(noSpeech ? { lang: null } : row.lang ? {} : { lang: values.lang }),
          },
        );
      });
    },
  };
}
