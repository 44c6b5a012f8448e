// What every detector returns, and the digit runs and context cues several of them read.
import type { NormalisedDoc } from './normalise.js';
import type { EntityType, RedactionLanguage } from './types.js';

/** A detection in the normalised text: [start, end). */
export type Candidate = { type: EntityType; start: number; end: number };
export type Detector = (doc: NormalisedDoc, language: RedactionLanguage) => Candidate[];

export type DigitGroup = { start: number; end: number; digits: string };
export type DigitRun = {
  start: number;
  end: number;
  plus: boolean;
  groups: DigitGroup[];
  digits: string;
  /** The segment the run starts in. */
  segment: number;
};

// Digits with separators a speaker or an STT puts between groups: spaces, or one of - . , / with a
// space either side at most; a US "(415) 555-2671" too. A run stays within its segment (chains join them).
const RUN = /(?<![\p{L}\p{N}])\+?\(?\d+(?:(?:\)?[ \t]{1,2}\(?|\)?[ \t]?[-.,/][ \t]?)\d+)*/gu;
// What may stand between a run ending one segment and a run opening the next: a comma or a dash, not a
// full stop (a number that ends a sentence is complete: "… on 26 September 2026." | "three five …").
const ACROSS = /^[ \t,;)-]*\n[ \t]*$/;

function runOf(doc: NormalisedDoc, start: number, text: string): DigitRun {
  const groups = [...text.matchAll(/\d+/g)].map((g) => ({
    start: start + g.index,
    end: start + g.index + g[0].length,
    digits: g[0],
  }));
  return {
    start,
    end: start + text.length,
    plus: text.startsWith('+'),
    groups,
    digits: groups.map((g) => g.digits).join(''),
    segment: doc.segment[start] ?? -1,
  };
}

export function digitRuns(doc: NormalisedDoc): DigitRun[] {
  return [...doc.text.matchAll(RUN)].map((m) => runOf(doc, m.index, m[0]));
}

// An amount ("61866 रुपये", "475,22 euros") continues no number into the next segment.
export const CURRENCY_AFTER = /^\s*(?:rupees?|rs\.?|रुपये|रुपए|रुपया|euros?|dollars?|pounds?|pesos?|€|\$|£|₹)/iu;

/**
 * Runs that continue across segment boundaries (a number read out over a pause the STT cut at), joined
 * into one run each; only chains of two or more runs are returned.
 */
export function runChains(doc: NormalisedDoc, runs: DigitRun[] = digitRuns(doc)): DigitRun[] {
  const chains: DigitRun[] = [];
  let chain: DigitRun[] = [];
  const flush = () => {
    if (chain.length > 1) {
      const first = chain[0]!;
      const groups = chain.flatMap((r) => r.groups);
      chains.push({
        start: first.start,
        end: chain.at(-1)!.end,
        plus: first.plus,
        groups,
        digits: groups.map((g) => g.digits).join(''),
        segment: first.segment,
      });
    }
    chain = [];
  };
  for (const run of runs) {
    const last = chain.at(-1);
    const joins =
      last &&
      ACROSS.test(doc.text.slice(last.end, run.start)) &&
      !CURRENCY_AFTER.test(doc.text.slice(run.end, run.end + 10));
    if (!joins) flush();
    chain.push(run);
  }
  flush();
  return chains;
}

/**
 * Digit windows of a run that start and end on group boundaries, left to right: at each start the
 * accepted window that `rank` prefers (lower first), then on after it.
 */
export function windows(
  run: DigitRun,
  min: number,
  max: number,
  accept: (digits: string, from: DigitGroup, to: DigitGroup) => boolean,
  rank: (length: number, wholeRun: boolean) => number = (length) => -length,
): DigitGroup[] {
  const found: DigitGroup[] = [];
  let i = 0;
  while (i < run.groups.length) {
    let best: { j: number; digits: string; score: number } | null = null;
    let digits = '';
    for (let j = i; j < run.groups.length; j++) {
      digits += run.groups[j]!.digits;
      if (digits.length > max) break;
      if (digits.length < min || !accept(digits, run.groups[i]!, run.groups[j]!)) continue;
      const score = rank(digits.length, j === run.groups.length - 1);
      if (!best || score < best.score) best = { j, digits, score };
    }
    if (best) {
      found.push({ start: run.groups[i]!.start, end: run.groups[best.j]!.end, digits: best.digits });
      i = best.j + 1;
    } else i++;
  }
  return found;
}

/** Words that announce a number as something other than personal data (an order, a reference…). */
export const NOT_PERSONAL =
  /(?:order|reference|ref|ticket|invoice|tracking|case|booking|confirmation|transaction|pedido|referencia|factura|expediente|incidencia|ऑर्डर|रेफरेंस|टिकट|ट्रैकिंग|इनवॉइस)(?![\p{L}\p{M}])[^.\n]{0,20}$/iu;

/** The text just before `at` (within `width` characters), for context cues. */
export const before = (doc: NormalisedDoc, at: number, width: number) =>
  doc.text.slice(Math.max(0, at - width), at);
export const after = (doc: NormalisedDoc, at: number, width: number) => doc.text.slice(at, at + width);

/** Boundaries that work for Devanagari too (JavaScript's \b is ASCII-only). */
export const NOT_WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}])';
export const NOT_WORD_AFTER = '(?![\\p{L}\\p{M}\\p{N}])';
