// Audio redaction: the spans of a recording where personal data was spoken, silenced or covered by a tone,
// with ffmpeg. The output is a 16-bit PCM WAV with the input's rate and channels.
import { ffmpeg } from './cleanup.js';

export type MaskAction = 'silence' | 'beep';
export type Span = { start: number; end: number };

/**
 * Seconds added on each side of a span: redaction's times are interpolated from character offsets (STT
 * segments carry no word times), so they are right to within a word or so.
 */
export const MASK_PAD_SEC = 0.3;
/** The tone over a beeped span. */
export const BEEP_HZ = 1000;

/** Pads the spans, drops empty ones and merges those that overlap, in time order. */
export function maskSpans(spans: readonly Span[], pad = MASK_PAD_SEC): Span[] {
  const padded = spans
    .filter((s) => Number.isFinite(s.start) && Number.isFinite(s.end) && s.end >= s.start)
    .map((s) => ({ start: Math.max(0, s.start - pad), end: s.end + pad }))
    .sort((a, b) => a.start - b.start);
  const out: Span[] = [];
  for (const s of padded) {
    const last = out.at(-1);
    if (last && s.start <= last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** ffmpeg's expression that is true inside any of the spans. */
export function spanExpression(spans: readonly Span[]): string {
  return spans.map((s) => `between(t,${s.start.toFixed(3)},${s.end.toFixed(3)})`).join('+');
}

/** Writes `output`: `input` with every span silenced or beeped. `spans` are used as given (see maskSpans). */
export async function maskAudio(
  input: string,
  output: string,
  spans: readonly Span[],
  action: MaskAction,
  signal?: AbortSignal,
): Promise<void> {
  if (spans.length === 0) throw new Error('maskAudio needs at least one span');
  const inside = spanExpression(spans);
  const silence = `volume=volume=0:enable='${inside}'`;
  const filter =
    action === 'silence'
      ? ['-af', silence]
      : [
          '-filter_complex',
          `[0:a]${silence}[muted];` +
            `sine=frequency=${BEEP_HZ}:sample_rate=16000,volume=volume=0:enable='not(${inside})'[tone];` +
            '[muted][tone]amix=inputs=2:duration=first:normalize=0',
        ];
  await ffmpeg(['-i', input, ...filter, '-c:a', 'pcm_s16le', '-f', 'wav', output], signal);
}
