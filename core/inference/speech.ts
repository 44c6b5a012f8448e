// Whether a recording holds speech at all, from what the speech model answered. A call without speech is an
// outcome of its own (`no_speech`), not a transcript of noise for the LLMs to analyse.

/**
 * Whisper's own silence rule, per window: the model gives a no-speech probability over 0.6 and decodes its
 * text with an average log-probability under -1 (faster-whisper and openai-whisper drop such windows).
 */
export const NO_SPEECH_PROB = 0.6;
export const LOW_LOGPROB = -1;

type Segment = { text: string; noSpeechProb?: number | null; avgLogprob?: number | null };

/** Any letter or digit, in any script: punctuation and symbols alone ("...", "♪") are not words. */
const WORD = /[\p{L}\p{N}]/u;

/** True when a segment is Whisper's silence: both of its figures say so (a server that gives neither: no). */
export function silentSegment(s: Segment): boolean {
  return (
    s.noSpeechProb != null &&
    s.avgLogprob != null &&
    s.noSpeechProb > NO_SPEECH_PROB &&
    s.avgLogprob < LOW_LOGPROB
  );
}

/**
 * No speech in an answer: its text has no word, or every segment is Whisper's silence (a model that
 * "hears" a courtesy phrase in a silent line gives it a high no-speech probability and a low log-probability).
 */
export function heardNoSpeech(answer: { text: string; segments: readonly Segment[] }): boolean {
  if (!WORD.test(answer.text) && answer.segments.every((s) => !WORD.test(s.text))) return true;
  return answer.segments.length > 0 && answer.segments.every(silentSegment);
}
