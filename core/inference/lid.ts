// Language identification: a dedicated `/detect-language` endpoint (whisper-asr-webservice) when the node
// names one, else the transcription endpoint on the call's leading 30 s. Another language is a result.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { type Clip, clipLeading, FfmpegMissingError } from '../audio/clip.js';
import { probeAudio } from '../audio/probe.js';
import type { GpuNode } from '../config.js';
import { type FailureContext, stageFailure } from '../errors.js';
import { cutText, postInference } from './http.js';
import { normaliseLanguage } from './languages.js';
import { heardNoSpeech } from './speech.js';
import { transcribeRaw, type VerboseJson } from './stt.js';

export type LanguageId = {
  lang: string;
  confidence: number | null;
  detectedRaw: string;
  supported: boolean;
  source: 'detect-language' | 'transcription';
  /**
   * False when the model heard no speech in what it was given: the language is then Whisper's guess on
   * silence (or `und`), not a finding, and an unsupported guess does not fail the call.
   */
  speech: boolean;
};

export type IdentifyInput = {
  node: GpuNode;
  audioPath: string;
  fileName: string;
  supported: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
};

/** whisper-asr-webservice answers `{detected_language: "english", language_code: "en", confidence}`. */
const detectSchema = z.object({
  detected_language: z.string().optional(),
  language_code: z.string().optional(),
  confidence: z.number().nullish(),
  /** Not in whisper-asr-webservice's shape: cofi's CPU node says `false` when its voice detector heard nobody. */
  speech: z.boolean().nullish(),
});

export const LID_SECONDS = 30;

/**
 * verbose_json carries no language confidence; this one is derived from the segments: the mean of
 * exp(avg_logprob) x (1 - no_speech_prob), clamped to 0..1, or null when the server gave neither.
 */
export function derivedConfidence(body: VerboseJson): number | null {
  const scores = (body.segments ?? [])
    .filter((s) => s.avg_logprob != null || s.no_speech_prob != null)
    .map((s) => Math.exp(Math.min(0, s.avg_logprob ?? 0)) * (1 - (s.no_speech_prob ?? 0)));
  if (scores.length === 0) return null;
  const mean = scores.reduce((a, b) => a + b, 0) / scores.length;
  return Math.max(0, Math.min(1, Math.round(mean * 1000) / 1000));
}

/** whisper-asr-webservice style; a body that breaks the protocol is asked for again (3 requests at most). */
const PROTOCOL_ATTEMPTS = 3;

async function detectLanguage(input: IdentifyInput, path: string) {
  const url = `${input.node.url.replace(/\/$/, '')}${path}`;
  const bytes = (await stat(input.audioPath)).size;
  let context: FailureContext = {};
  for (let attempt = 1; attempt <= PROTOCOL_ATTEMPTS; attempt++) {
    const form = new FormData();
    form.append('audio_file', await openAsBlob(input.audioPath), input.fileName);
    const answer = await postInference({
      url,
      body: form,
      apiKey: input.node.apiKey,
      timeoutMs: input.timeoutMs ?? 120_000,
      signal: input.signal,
      payload: { audio_file: input.fileName, bytes, attempt },
    });
    const parsed = detectSchema.safeParse(parseJson(answer.text));
    const raw = parsed.success ? (parsed.data.language_code ?? parsed.data.detected_language) : undefined;
    if (parsed.success && raw) {
      const c = parsed.data.confidence;
      return {
        raw,
        confidence: c == null ? null : Math.max(0, Math.min(1, c)),
        speech: parsed.data.speech !== false,
      };
    }
    context = { ...answer.context, rawResponse: cutText(answer.text) };
  }
  throw stageFailure(
    'invalid_output',
    `${url} did not answer a detected language (after ${PROTOCOL_ATTEMPTS} attempts)`,
    context,
  );
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function identifyLanguage(input: IdentifyInput): Promise<LanguageId> {
  let raw: string;
  let confidence: number | null;
  let source: LanguageId['source'];
  let speech: boolean;
  if (input.node.lidPath) {
    ({ raw, confidence, speech } = await detectLanguage(input, input.node.lidPath));
    source = 'detect-language';
  } else {
    const body = await transcribeLeading(input);
    raw = body.language ?? '';
    confidence = languageProbability(body) ?? derivedConfidence(body);
    source = 'transcription';
    speech = !heardNoSpeech({
      text: body.text,
      segments: (body.segments ?? []).map((s) => ({
        text: s.text,
        noSpeechProb: s.no_speech_prob,
        avgLogprob: s.avg_logprob,
      })),
    });
  }
  const lang = normaliseLanguage(raw);
  // Silence has no language: whatever the model guessed (or nothing) is kept as it is, marked as no speech.
  if (!speech) return { lang: lang ?? 'und', confidence, detectedRaw: raw, supported: false, source, speech };
  if (!lang)
    throw stageFailure('invalid_output', `unrecognised language "${raw}" from ${input.node.url}`, {
      requestUrl: input.node.url,
      inputPayload: { file: input.fileName },
      rawResponse: cutText(raw),
    });
  return { lang, confidence, detectedRaw: raw, supported: input.supported.includes(lang), source, speech };
}

/**
 * Whisper's probability of the language it chose, where the server gives it: cofi's CPU node and
 * faster-whisper based servers add `language_probability` to verbose_json (OpenAI does not).
 */
function languageProbability(body: VerboseJson): number | null {
  const p = body.language_probability;
  return p == null ? null : Math.max(0, Math.min(1, p));
}

/**
 * Whisper decides the language from the first 30 s, so only those are uploaded: a long call is cut with
 * ffmpeg first. A call of 30 s or less is sent as it is, and so is a long one when this host has no
 * ffmpeg: the answer is the same (the server reads the first 30 s too), only the upload is bigger.
 */
async function transcribeLeading(input: IdentifyInput): Promise<VerboseJson> {
  const { duration } = await probeAudio(input.audioPath);
  let clip: Clip | null = null;
  if (duration > LID_SECONDS) {
    try {
      clip = await clipLeading(input.audioPath, LID_SECONDS, input.signal);
    } catch (err) {
      if (!(err instanceof FfmpegMissingError)) throw err;
    }
  }
  try {
    const { body } = await transcribeRaw({
      ...input,
      audioPath: clip?.path ?? input.audioPath,
      timeoutMs: input.timeoutMs ?? 120_000,
    });
    return body;
  } finally {
    await clip?.dispose();
  }
}
