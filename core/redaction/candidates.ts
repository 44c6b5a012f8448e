// What every detector returns, and the digit runs and context cues several of them read.
import type { NormalisedDoc } from './normalise.js';
import type { EntityType, RedactionLanguage } from './types.js';

/** A detection in the normalised text: [start, end). */
export type Candidate = { type: EntityType; start: number; end: number };
export type Detector = (doc: NormalisedDoc, language: RedactionLanguage) => Candidate[];

export type DigitGroup = { start: number; end: number; digits: string };
export type DigitRun = { start: number; end: number; plus: boolean; groups: DigitGroup[]; digits: string };

// Digits with separators a speaker or an STT puts between groups: spaces (a segment break is a
// newline), or one of - . , / with a space either side at most.
const RUN = /(?<![\p{L}\p{N}])\+?\d+(?:(?:[ \t\n]{1,2}|[ \t\n]?[-.,/][ \t\n]?)\d+)*/gu;

export function digitRuns(doc: NormalisedDoc): DigitRun[] {
  return [...doc.text.matchAll(RUN)].map((m) => {
    const groups = [...m[0].matchAll(/\d+/g)].map((g) => ({
      start: m.index + g.index,
      end: m.index + g.index + g[0].length,
      digits: g[0],
    }));
    return {
      start: m.index,
      end: m.index + m[0].length,
      plus: m[0].startsWith('+'),
      groups,
      digits: groups.map((g) => g.digits).join(''),
    };
  });
}

/**
 * Digit windows of a run that start and end on group boundaries, left to right: at each start the
 * accepted window that `rank` prefers (lower first), then on after it.
 */
export function windows(
  run: DigitRun,
  min: number,
  max: number,
  accept: (digits: string) => boolean,
  rank: (length: number) => number = (length) => -length,
): DigitGroup[] {
  const found: DigitGroup[] = [];
  let i = 0;
  while (i < run.groups.length) {
    let best: { j: number; digits: string } | null = null;
    let digits = '';
    for (let j = i; j < run.groups.length; j++) {
      digits += run.groups[j]!.digits;
      if (digits.length > max) break;
      if (digits.length < min || !accept(digits)) continue;
      if (!best || rank(digits.length) < rank(best.digits.length)) best = { j, digits };
    }
    if (best) {
      found.push({ start: run.groups[i]!.start, end: run.groups[best.j]!.end, digits: best.digits });
      i = best.j + 1;
    } else i++;
  }
  return found;
}

/** The text just before `at` (within `width` characters), for context cues. */
export const before = (doc: NormalisedDoc, at: number, width: number) =>
  doc.text.slice(Math.max(0, at - width), at);
export const after = (doc: NormalisedDoc, at: number, width: number) => doc.text.slice(at, at + width);

/** Boundaries that work for Devanagari too (JavaScript's \b is ASCII-only). */
export const NOT_WORD_BEFORE = '(?<![\\p{L}\\p{M}\\p{N}])';
export const NOT_WORD_AFTER = '(?![\\p{L}\\p{M}\\p{N}])';
