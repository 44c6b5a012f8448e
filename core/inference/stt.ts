// Speech-to-text over the OpenAI-compatible `POST /v1/audio/transcriptions` (verbose_json), as
// faster-whisper servers, whisper.cpp's server, vLLM and hosted APIs speak it.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import type { TranscriptSegment } from '../../drizzle/schema/results.js';
import type { GpuNode } from '../config.js';
import { type FailureContext, stageFailure } from '../errors.js';
import { cutText, postInference } from './http.js';
import { normaliseLanguage } from './languages.js';

/** What cofi needs of a verbose_json answer; lenient where servers differ (codes or names, missing fields). */
export const verboseJsonSchema = z.object({
  text: z.string(),
  language: z.string().nullish(),
  /** Not in OpenAI's shape: faster-whisper based servers (cofi's CPU node among them) add it. */
  language_probability: z.number().nullish(),
  duration: z.number().nullish(),
  segments: z
    .array(
      z.object({
        id: z.number().int().optional(),
        start: z.number(),
        end: z.number(),
        text: z.string(),
        avg_logprob: z.number().nullish(),
        no_speech_prob: z.number().nullish(),
        compression_ratio: z.number().nullish(),
        /** Not in OpenAI's shape; diarising servers (and the simulator) add it, as a label or an index. */
        speaker: z.union([z.string(), z.number()]).nullish(),
      }),
    )
    .nullish(),
});
export type VerboseJson = z.infer<typeof verboseJsonSchema>;

export type Transcription = {
  text: string;
  /** ISO 639-1 code, normalised from the server's name or code. */
  language: string | null;
  duration: number | null;
  segments: TranscriptSegment[];
  model: string;
};

export type TranscribeInput = {
  node: GpuNode;
  audioPath: string;
  fileName: string;
  language?: string;
  /** Default: 10 minutes (a long call on a busy node). */
  timeoutMs?: number;
  /** Requests made at most when the answer breaks the protocol (default 3). */
  maxAttempts?: number;
  signal?: AbortSignal;
};

/** Uploads the file and parses verbose_json; a body that breaks the protocol is asked for again (3 requests at most). */
export async function transcribeRaw(input: TranscribeInput): Promise<{ body: VerboseJson; url: string }> {
  const url = `${input.node.url.replace(/\/$/, '')}${input.node.sttPath ?? '/v1/audio/transcriptions'}`;
  // The node's own name for the model field (config.ts modelField); OpenAI's `model` unless configured.
  const modelField = input.node.modelField ?? 'model';
  const payload = {
    file: input.fileName,
    bytes: (await stat(input.audioPath)).size,
    [modelField]: input.node.model,
    response_format: 'verbose_json',
    language: input.language ?? null,
  };
  const maxAttempts = Math.max(1, input.maxAttempts ?? 3);
  let why = '';
  let context: FailureContext = {};
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const form = new FormData();
    // The file is streamed from disk, never read whole into memory.
    form.append('file', await openAsBlob(input.audioPath), input.fileName);
    form.append(modelField, input.node.model);
    form.append('response_format', 'verbose_json');
    if (input.language) form.append('language', input.language);
    const answer = await postInference({
      url,
      body: form,
      apiKey: input.node.apiKey,
      timeoutMs: input.timeoutMs ?? 600_000,
      signal: input.signal,
      payload: { ...payload, attempt },
    });
    const parsed = verboseJsonSchema.safeParse(parseJson(answer.text));
    if (parsed.success) return { body: parsed.data, url };
    why = `${url} answered something that is not verbose_json: ${parsed.error.issues[0]?.message}`;
    context = { ...answer.context, rawResponse: cutText(answer.text) };
  }
  throw stageFailure('invalid_output', `${why} (after ${maxAttempts} attempts)`, context);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function transcribe(input: TranscribeInput): Promise<Transcription> {
  const { body } = await transcribeRaw(input);
  return {
    text: body.text.trim(),
    language: normaliseLanguage(body.language),
    duration: body.duration ?? null,
    segments: (body.segments ?? []).map((s, i) => ({
      id: s.id ?? i,
      start: s.start,
      end: s.end,
      text: s.text.trim(),
      ...(s.speaker != null && s.speaker !== '' ? { speaker: String(s.speaker) } : {}),
      ...(s.avg_logprob != null ? { avgLogprob: s.avg_logprob } : {}),
      ...(s.no_speech_prob != null ? { noSpeechProb: s.no_speech_prob } : {}),
    })),
    model: input.node.model,
  };
}
