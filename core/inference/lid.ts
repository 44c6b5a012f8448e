// Language identification: a dedicated `/detect-language` endpoint when the node names one, else the
// transcription endpoint on the call's leading seconds (Whisper decides the language from the first 30 s).
import { openAsBlob } from 'node:fs';
import { z } from 'zod';
import { clipLeading } from '../audio/clip.js';
import type { GpuNode } from '../config.js';
import { stageFailure } from '../errors.js';
import { cutText, postInference } from './http.js';
import { normaliseLanguage } from './languages.js';
import { transcribeRaw, type VerboseJson } from './stt.js';

export type LanguageId = {
  lang: string;
  confidence: number | null;
  detectedRaw: string;
  supported: boolean;
  source: 'detect-language' | 'transcription';
};

export type IdentifyInput = {
  node: GpuNode;
  audioPath: string;
  fileName: string;
  supported: readonly string[];
  timeoutMs?: number;
  signal?: AbortSignal;
};

const detectSchema = z.object({
  detected_language: z.string().optional(),
  language_code: z.string().optional(),
  confidence: z.number().min(0).max(1).optional(),
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

async function detectLanguage(input: IdentifyInput, path: string) {
  const url = `${input.node.url.replace(/\/$/, '')}${path}`;
  const form = new FormData();
  form.append('audio_file', await openAsBlob(input.audioPath), input.fileName);
  const { text, context } = await postInference({
    url,
    body: form,
    apiKey: input.node.apiKey,
    timeoutMs: input.timeoutMs ?? 120_000,
    signal: input.signal,
    payload: { audio_file: input.fileName },
  });
  const parsed = detectSchema.safeParse(
    (() => {
      try {
        return JSON.parse(text);
      } catch {
        return null;
      }
    })(),
  );
  const raw = parsed.success ? (parsed.data.language_code ?? parsed.data.detected_language) : undefined;
  if (!parsed.success || !raw) {
    throw stageFailure('invalid_output', `${url} did not answer a detected language`, {
      ...context,
      rawResponse: cutText(text),
    });
  }
  return { raw, confidence: parsed.data.confidence ?? null };
}

export async function identifyLanguage(input: IdentifyInput): Promise<LanguageId> {
  let raw: string;
  let confidence: number | null;
  let source: LanguageId['source'];
  if (input.node.lidPath) {
    ({ raw, confidence } = await detectLanguage(input, input.node.lidPath));
    source = 'detect-language';
  } else {
    // Only the leading seconds are sent; a shorter call (or a host without ffmpeg) is sent as it is.
    const clip = await clipLeading(input.audioPath, LID_SECONDS);
    try {
      const { body } = await transcribeRaw({
        ...input,
        audioPath: clip.path,
        timeoutMs: input.timeoutMs ?? 120_000,
      });
      raw = body.language ?? '';
      confidence = derivedConfidence(body);
    } finally {
      await clip.dispose();
    }
    source = 'transcription';
  }
  const lang = normaliseLanguage(raw);
  if (!lang) throw stageFailure('invalid_output', `unrecognised language "${raw}" from ${input.node.url}`);
  return { lang, confidence, detectedRaw: raw, supported: input.supported.includes(lang), source };
}
