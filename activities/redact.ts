// The redact stage: personal data in a call's transcript replaced with typed placeholders, and the stored
// recording silenced or beeped over it, per the process's policy. Between STT and the LLMs, on the audio
// queue (ffmpeg): the LLM stages refuse a transcript that has not been through it.
import { readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import { maskAudio, maskSpans } from '../core/audio/mask.js';
import { stageFailure } from '../core/errors.js';
import {
  type FoundEntity,
  isRedactionLanguage,
  REDACTION_LANGUAGES,
  type RedactionPolicy,
  redact,
} from '../core/redaction/index.js';
import type { Db } from '../drizzle/client.js';
import {
  batchStatus,
  type CallRow,
  call,
  type TranscriptSegment,
  transcript,
} from '../drizzle/schema/index.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { loadProcessPolicy } from '../lifecycle/processPolicy.js';
import { processedPath } from './audio.js';
import { finishWithoutSpeech, loadCall, markStageDone, skipIfDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { withHeartbeat } from './heartbeat.js';
import type { StageInput } from './types.js';

/** The failure type of a call whose language redaction has no rules for: the call fails, nothing is sent. */
export const UNSUPPORTED_REDACTION_LANGUAGE = 'unsupported_language';

type TranscriptRow = typeof transcript.$inferSelect;

/**
 * What redaction reads: the unredacted transcript when the policy kept it, else the stored one. On a re-run
 * without a kept original the stored text is already redacted: the placeholders hold no digits or addresses,
 * so nothing is found in them again, and only what a widened policy now asks for is added.
 */
function sourceOf(t: TranscriptRow): { text: string; segments: TranscriptSegment[]; redacted: boolean } {
  if (t.originalText !== null && t.originalSegments !== null)
    return { text: t.originalText, segments: t.originalSegments, redacted: false };
  return { text: t.text, segments: t.segments, redacted: t.redactedAt !== null };
}

/**
 * Redacts a transcript's segments; the text is rebuilt from them when anything was found (STT's text is its
 * segments joined), or redacted as one segment when there are none. A policy without entity types passes the
 * text through; otherwise the call's language must be one the engine has rules for.
 */
export function redactTranscript(
  source: { text: string; segments: TranscriptSegment[] },
  lang: string | null,
  policy: RedactionPolicy,
): { text: string; segments: TranscriptSegment[]; entities: FoundEntity[] } {
  if (policy.entities.length === 0) return { ...source, entities: [] };
  if (!isRedactionLanguage(lang)) {
    throw ApplicationFailure.create({
      type: UNSUPPORTED_REDACTION_LANGUAGE,
      nonRetryable: true,
      message:
        lang === null
          ? 'the call has no language, so redaction cannot read it: the transcript is not sent to the LLMs'
          : `redaction has no rules for language "${lang}" (it has ${REDACTION_LANGUAGES.join(', ')}): the transcript is not sent to the LLMs`,
    });
  }
  // The process's own list: a language it does not expect is treated as one without rules.
  if (!policy.languages.includes(lang)) {
    throw ApplicationFailure.create({
      type: UNSUPPORTED_REDACTION_LANGUAGE,
      nonRetryable: true,
      message: `the process's redaction policy names the languages ${policy.languages.join(', ')}, not "${lang}": the transcript is not sent to the LLMs`,
    });
  }
  if (source.segments.length === 0) {
    const one = redact([{ text: source.text }], { language: lang, entities: policy.entities });
    return { text: one.segments[0]?.text ?? '', segments: [], entities: one.entities };
  }
  const result = redact(source.segments, { language: lang, entities: policy.entities });
  if (result.entities.length === 0) return { ...source, entities: [] };
  return {
    text: result.segments
      .map((s) => s.text.trim())
      .filter(Boolean)
      .join(' '),
    segments: result.segments,
    entities: result.entities,
  };
}

/**
 * A transcript redaction refused (its language has no rules, or the process does not expect it) keeps no text
 * that could be served: GET /calls/{id}, the call page and the search read the stored text. Its segments keep
 * their times with empty text; the unredacted text stays only as the original when the policy keeps originals
 * (so a later reaudit of redact, once the language is supported, reads it). Idempotent.
 */
export async function withholdTranscript(
  db: Db,
  stored: TranscriptRow,
  keepOriginal: boolean,
): Promise<void> {
  const source = sourceOf(stored);
  const keep = keepOriginal && !source.redacted;
  await db
    .update(transcript)
    .set({
      text: '',
      segments: stored.segments.map((s) => ({ ...s, text: '' })),
      originalText: keep ? source.text : null,
      originalSegments: keep ? source.segments : null,
    })
    .where(eq(transcript.callId, stored.callId));
}

/** Every file of the call in the audio store (`00001.mp3`, `00001.ivr.wav` …) but `keep`. */
async function removeOtherCopies(audio: ActivityDeps['audio'], keep: string): Promise<string[]> {
  const full = audio.resolve(keep);
  const dir = path.dirname(full);
  const stem = path.basename(full).split('.')[0];
  const removed: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    if (name.split('.')[0] !== stem || name === path.basename(full)) continue;
    await rm(path.join(dir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/** The stored recording is the redacted copy and the policy keeps no original: the other copies go. */
async function dropUnredacted(db: Db, audio: ActivityDeps['audio'], row: CallRow, keepOriginal: boolean) {
  if (keepOriginal || row.storedPath !== processedPath(row.storedPath, 'redact')) return;
  await removeOtherCopies(audio, row.storedPath);
  if (row.originalPath !== null) await db.update(call).set({ originalPath: null }).where(eq(call.id, row.id));
}

export function createRedactActivities({ db, audio }: Pick<ActivityDeps, 'db' | 'audio'>) {
  return {
    /**
     * Idempotent: the transcript, the recording's switch to its redacted copy and the stage's flag are one
     * transaction, so a retry either finds the stage done or starts from what STT wrote. The redacted copy is
     * written (under a derived name, by rename) before that transaction and the unredacted copies removed
     * after it; a retry after a crash between the two removes them on its way out.
     */
    async runRedact({ batchId, callId, last }: StageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'redact', last)) {
        const row = await loadCall(db, callId);
        const { redaction } = await loadProcessPolicy(db, row.processId);
        await dropUnredacted(db, audio, row, redaction.keepOriginal);
        return;
      }
      const row = await loadCall(db, callId);
      if (await finishWithoutSpeech(db, row, { batchId, callId, stage: 'redact', last, startedAt })) return;
      const [stored] = await db.select().from(transcript).where(eq(transcript.callId, callId));
      if (!stored) throw stageFailure('missing_data', `call ${callId} has no transcript (run stt first)`);
      const { redaction: policy } = await loadProcessPolicy(db, row.processId);
      const source = sourceOf(stored);
      let result: ReturnType<typeof redactTranscript>;
      try {
        result = redactTranscript(source, stored.lang ?? row.lang, policy);
      } catch (err) {
        // Only text redaction never read is withheld: a re-run refused by a narrowed policy keeps the text
        // an earlier run redacted.
        if (
          err instanceof ApplicationFailure &&
          err.type === UNSUPPORTED_REDACTION_LANGUAGE &&
          stored.redactedAt === null
        )
          await withholdTranscript(db, stored, policy.keepOriginal);
        throw err;
      }
      // A re-run over redacted text keeps what the first run found (its spans are in the original text).
      const entities =
        source.redacted && stored.redactedEntities
          ? [...stored.redactedEntities, ...result.entities]
          : result.entities;

      // The recording: silenced or beeped over every entity with a time (times are in the audio STT read,
      // which is the stored recording: after an IVR cut, ivrOffset is already behind them). Every entity, not
      // only those this run found: an earlier run may have masked nothing (audio 'none'), and masking the
      // masked copy again over the same spans changes nothing.
      const spans = maskSpans(entities.flatMap((e) => (e.time ? [e.time] : [])));
      const masked = processedPath(row.storedPath, 'redact');
      // Retention removed the recording: there is nothing to mask; the transcript is still redacted.
      const expired = row.recordingExpiredAt !== null;
      const action = policy.audio === 'none' || spans.length === 0 || expired ? null : policy.audio;
      if (action) {
        const temporary = masked.replace(/\.wav$/, '.tmp.wav');
        await withHeartbeat((signal) =>
          maskAudio(audio.resolve(row.storedPath), audio.resolve(temporary), spans, action, signal),
        );
        await rename(audio.resolve(temporary), audio.resolve(masked));
      }
      const switched = action !== null && row.storedPath !== masked;
      const values = {
        text: result.text,
        segments: result.segments,
        redactedAt: new Date(),
        redactedEntities: entities,
        // The unredacted text stays only when the policy keeps it, and only if it still exists: text redacted
        // before the policy asked to keep originals is not an original.
        originalText: policy.keepOriginal && !source.redacted ? source.text : null,
        originalSegments: policy.keepOriginal && !source.redacted ? source.segments : null,
      };
      await db.transaction(async (tx) => {
        await tx.update(transcript).set(values).where(eq(transcript.callId, callId));
        if (switched)
          await tx
            .update(call)
            .set({
              storedPath: masked,
              originalPath: policy.keepOriginal ? (row.originalPath ?? row.storedPath) : row.originalPath,
            })
            .where(eq(call.id, callId));
        if (expired && policy.audio !== 'none' && spans.length > 0) {
          const [batch] = await tx
            .select({ attempt: batchStatus.attempt })
            .from(batchStatus)
            .where(eq(batchStatus.id, batchId));
          await logEvent(tx, {
            batchId,
            callId,
            stage: 'redact',
            eventType: 'audio_not_masked',
            status: 'Complete',
            message: `call ${callId}: its recording expired by retention, so only the transcript was redacted (${spans.length} span(s) not masked)`,
            metadata: { callId, spans: spans.length, reason: 'recording_expired' },
            eventKey: eventKey(
              { batchId, attempt: batch?.attempt ?? 0 },
              'redact',
              'audio_not_masked',
              callId,
            ),
          });
        }
        await markStageDone(tx, { batchId, callId, stage: 'redact', last, startedAt });
      });
      if (action) await dropUnredacted(db, audio, await loadCall(db, callId), policy.keepOriginal);
    },
  };
}
