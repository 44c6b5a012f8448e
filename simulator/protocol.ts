// The simulator's answer bodies, shaped as the real servers document them: OpenAI verbose_json and chat
// completion objects, whisper-asr-webservice's /detect-language answer, and the /v1/models list.
import { languageName } from '../core/inference/languages.js';
import { rng, type Script } from './content.js';

/** The simulator's own model ids: whatever a client asks for, the answers name what really answered. */
export const SIMULATED_MODELS = { gpu: 'cofi-simulated-whisper', llm: 'cofi-simulated-llm' } as const;

export type LanguageStyle = 'name' | 'code';

/** OpenAI names the language ("english"); most self-hosted servers give the code ("en"). */
export function spokenLanguage(code: string, style: LanguageStyle): string {
  return style === 'code' ? code : languageName(code).toLowerCase();
}

/** Stand-in token ids (Whisper's vocabulary has 51,865): one per word, stable for the same word. */
function tokens(text: string): number[] {
  return text
    .split(/\s+/)
    .filter(Boolean)
    .map((word) => {
      let h = 2166136261;
      for (const ch of word) h = Math.imul(h ^ (ch.codePointAt(0) ?? 0), 16777619);
      return (h >>> 0) % 50257;
    });
}

const round2 = (x: number) => Math.round(x * 100) / 100;

/**
 * verbose_json for a script: scripted times when the sample has them, else the segments are spread over
 * the call in proportion to their length. The `speaker` label is an addition some diarising servers make.
 */
export function verboseJson(script: Script, duration: number, seed: number, style: LanguageStyle) {
  const r = rng(seed ^ 0x5bd1e995);
  const weights = script.segments.map((s) => s.text.length + 20);
  const total = weights.reduce((a, b) => a + b, 0);
  let t = 0;
  const segments = script.segments.map((s, i) => {
    const length = (duration * weights[i]!) / total;
    const start = s.start ?? t;
    const end = s.end ?? t + length;
    t += length;
    return {
      id: i,
      seek: Math.floor(start * 100),
      start: round2(start),
      end: round2(end),
      text: ` ${s.text}`,
      tokens: tokens(s.text),
      temperature: 0,
      avg_logprob: -0.1 - r() * 0.3,
      compression_ratio: 1.2 + r() * 0.4,
      no_speech_prob: r() * 0.05,
      speaker: s.speaker,
    };
  });
  return {
    task: 'transcribe',
    language: spokenLanguage(script.language, style),
    duration,
    text: segments
      .map((s) => s.text)
      .join('')
      .trim(),
    segments,
  };
}

/** whisper-asr-webservice: `{detected_language: <name>, language_code: <code>, confidence}`. */
export function detectLanguageBody(script: Script, seed: number) {
  return {
    detected_language: languageName(script.language).toLowerCase(),
    language_code: script.language,
    confidence: Math.round((0.9 + rng(seed)() * 0.09) * 1000) / 1000,
  };
}

export function chatCompletion(input: { id: string; model: string; content: string; promptChars: number }) {
  const completion = Math.ceil(input.content.length / 4);
  const prompt = Math.ceil(input.promptChars / 4);
  return {
    id: input.id,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: input.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: input.content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
  };
}

export function modelList(ids: string[]) {
  return {
    object: 'list',
    data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'cofi-simulator' })),
  };
}

/** The error body OpenAI-compatible servers send with a 4xx/5xx. */
export function errorBody(message: string, type: string, code: string | null = null) {
  return { error: { message, type, param: null, code } };
}
