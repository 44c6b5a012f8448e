// Audio clean-up stages of the daily batch (denoise, ivr): ffmpeg on the worker host, on a queue of its own
// whose concurrency is the host's core count.
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { cutIvr, denoise } from '../core/audio/cleanup.js';
import { call } from '../drizzle/schema/index.js';
import { loadCall, markStageDone, skipIfDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { withHeartbeat } from './heartbeat.js';
import type { CallRef } from './types.js';

export type AudioStageInput = CallRef & { stage: 'denoise' | 'ivr'; last: boolean };

/** `batch-1/00001.mp3` -> `batch-1/00001.denoise.wav`: derived, so a retry overwrites the same file. */
export function processedPath(storedPath: string, stage: string): string {
  const { dir, name } = path.parse(storedPath);
  return path.join(dir, `${name.split('.')[0]}.${stage}.wav`);
}

export function createAudioActivities({ db, audio }: Pick<ActivityDeps, 'db' | 'audio'>) {
  return {
    /** Idempotent: the output path is derived and the flag short-cuts a finished stage. */
    async runAudioStage({ batchId, callId, stage, last }: AudioStageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, stage, last)) return;
      const row = await loadCall(db, callId);
      const output = processedPath(row.storedPath, stage);
      const result = await withHeartbeat(async (signal) => {
        if (stage === 'denoise') {
          await denoise(audio.resolve(row.storedPath), audio.resolve(output), signal);
          return { offset: null };
        }
        return cutIvr(audio.resolve(row.storedPath), audio.resolve(output), undefined, signal);
      });
      await db.transaction(async (tx) => {
        await tx
          .update(call)
          .set({
            storedPath: output,
            originalPath: row.originalPath ?? row.storedPath,
            ...(stage === 'ivr' ? { ivrOffset: result.offset } : {}),
          })
          .where(eq(call.id, callId));
        await markStageDone(tx, { batchId, callId, stage, last, startedAt });
      });
    },
  };
}
