// The text the detectors read: every segment with spoken numbers turned into digits and Devanagari digits
// into ASCII, joined into one document, with each character mapped back to its segment and its span in
// the original text (so a match, even one across segments, maps back exactly).
import { lexiconKey, lookupNumberWord, parseNumberRun, type WordEntry } from './numberWords.js';
import type { RedactionLanguage, SegmentInput } from './types.js';

export type NormalisedDoc = {
  text: string;
  /** Per character of `text`: the segment it came from, or -1 for the separator between segments. */
  segment: Int32Array;
  /** Per character: its span [from, to) in that segment's original text. */
  from: Int32Array;
  to: Int32Array;
};

/** Words that are numbers only in a run of number words; alone they are ordinary words. */
const LONE_AMBIGUOUS = new Set(
  [
    'oh',
    'nil',
    'un',
    'una',
    'do',
    'sat',
    'tin',
    'char',
    'teen',
    'das',
    'che',
    'chah',
    'nau',
    'aat',
    'second',
    'primer',
  ].map(lexiconKey),
);

const WORD = /[\p{L}\p{M}]+/gu;
/** What may stand between two number words of one run: spaces, a hyphen, a comma. */
const RUN_GAP = /^[\s,-]{1,4}$/u;
const DEVANAGARI_ZERO = 0x0966;

export function normalise(segments: readonly SegmentInput[], language: RedactionLanguage): NormalisedDoc {
  const text: string[] = [];
  const seg: number[] = [];
  const from: number[] = [];
  const to: number[] = [];
  const push = (s: string, segment: number, a: number, b: number) => {
    for (let k = 0; k < s.length; k++) {
      text.push(s[k]!);
      seg.push(segment);
      from.push(a);
      to.push(b);
    }
  };
  // Copies original text, one character per character (Devanagari digits become ASCII digits).
  const copy = (source: string, segment: number, a: number, b: number) => {
    for (let i = a; i < b; i++) {
      const code = source.charCodeAt(i);
      const ch =
        code >= DEVANAGARI_ZERO && code <= DEVANAGARI_ZERO + 9 ? String(code - DEVANAGARI_ZERO) : source[i]!;
      text.push(ch);
      seg.push(segment);
      from.push(i);
      to.push(i + 1);
    }
  };

  segments.forEach((segment, si) => {
    if (si > 0) push('\n', -1, 0, 0);
    const source = segment.text;
    const words = [...source.matchAll(WORD)].map((m) => ({
      start: m.index,
      end: m.index + m[0].length,
      word: m[0],
      entry: lookupNumberWord(language, m[0]),
    }));
    let cursor = 0;
    let i = 0;
    while (i < words.length) {
      if (!words[i]!.entry) {
        i++;
        continue;
      }
      // A run: consecutive number words with only spaces, commas or hyphens between them.
      let j = i;
      while (
        j + 1 < words.length &&
        words[j + 1]!.entry &&
        RUN_GAP.test(source.slice(words[j]!.end, words[j + 1]!.start))
      )
        j++;
      const run = words.slice(i, j + 1);
      const lone =
        run.length === 1 &&
        LONE_AMBIGUOUS.has(lexiconKey(run[0]!.word)) &&
        !amongDigits(segments, si, run[0]!.start, run[0]!.end, language);
      const theSecond =
        lone && lexiconKey(run[0]!.word) === 'second' && /\bthe\s+$/i.test(source.slice(0, run[0]!.start));
      if (!lone || theSecond) {
        const pauses = run.map((w, k) => k > 0 && source.slice(run[k - 1]!.end, w.start).includes(','));
        const chunks = parseNumberRun(
          run.map((w) => w.entry as WordEntry),
          pauses,
        );
        for (const chunk of chunks) {
          const a = run[chunk.first]!.start;
          const b = run[chunk.last]!.end;
          copy(source, si, cursor, a);
          push(chunk.text, si, a, b);
          cursor = b;
        }
      }
      i = j + 1;
    }
    copy(source, si, cursor, source.length);
  });
  return {
    text: text.join(''),
    segment: Int32Array.from(seg),
    from: Int32Array.from(from),
    to: Int32Array.from(to),
  };
}

const TOKEN_BEFORE = /([\p{L}\p{M}\p{N}]+)[\s,-]*$/u;
const TOKEN_AFTER = /^[\s,-]*([\p{L}\p{M}\p{N}]+)/u;

/**
 * Whether the word at [start, end) of segment `si` stands among digits, spelt capitals or number words
 * ("C E oh two", "… char" | "shunya paanch …"), looking across the segment boundary at either end.
 */
function amongDigits(
  segments: readonly SegmentInput[],
  si: number,
  start: number,
  end: number,
  language: RedactionLanguage,
): boolean {
  const text = segments[si]!.text;
  const previous =
    TOKEN_BEFORE.exec(text.slice(0, start))?.[1] ??
    (text.slice(0, start).trim() === '' && si > 0
      ? TOKEN_BEFORE.exec(segments[si - 1]!.text)?.[1]
      : undefined);
  const next =
    TOKEN_AFTER.exec(text.slice(end))?.[1] ??
    (text.slice(end).trim() === '' && si + 1 < segments.length
      ? TOKEN_AFTER.exec(segments[si + 1]!.text)?.[1]
      : undefined);
  const numeric = (token: string | undefined) =>
    token != null &&
    (/^[\d\u0966-\u096F]+$/.test(token) ||
      /^[A-Z]$/.test(token) ||
      (lookupNumberWord(language, token) != null && !LONE_AMBIGUOUS.has(lexiconKey(token))));
  return numeric(previous) || numeric(next);
}

export type SegmentSpan = { segment: number; start: number; end: number };

/** Maps [start, end) of the normalised text back to one original span per segment it touches. */
export function toOriginal(doc: NormalisedDoc, start: number, end: number): SegmentSpan[] {
  const spans: SegmentSpan[] = [];
  for (let i = start; i < end; i++) {
    const s = doc.segment[i]!;
    if (s < 0 || /\s/u.test(doc.text[i]!)) continue;
    const last = spans.at(-1);
    if (last && last.segment === s) {
      last.start = Math.min(last.start, doc.from[i]!);
      last.end = Math.max(last.end, doc.to[i]!);
    } else spans.push({ segment: s, start: doc.from[i]!, end: doc.to[i]! });
  }
  return spans;
}
