// Word error rate of a transcript against a reference: word-level Levenshtein over normalised words.

export type WordErrors = {
  /** (substitutions + deletions + insertions) / reference words; 0 or 1 when the reference is empty. */
  wer: number;
  substitutions: number;
  deletions: number;
  insertions: number;
  referenceWords: number;
  hypothesisWords: number;
};

/**
 * Lower-case words with punctuation stripped, in any script: apostrophes inside a word are dropped
 * ("don't" -> "dont"), every other character that is not a letter, mark or digit separates words
 * (combining marks are kept, so Devanagari words stay whole).
 */
export function normaliseWords(text: string): string[] {
  return text
    .normalize('NFC')
    .toLowerCase()
    .replace(/['\u2019\u02bc]/gu, '')
    .replace(/[^\p{L}\p{M}\p{N}]+/gu, ' ')
    .split(' ')
    .filter((w) => w !== '');
}

/** Minimum edits turning the reference's words into the hypothesis's, split by kind. */
export function wordErrors(reference: string, hypothesis: string): WordErrors {
  const ref = normaliseWords(reference);
  const hyp = normaliseWords(hypothesis);
  type Cell = { cost: number; sub: number; del: number; ins: number };
  // One row of the edit-distance table at a time: memory is O(hypothesis words).
  let prev: Cell[] = hyp.map((_, j) => ({ cost: j + 1, sub: 0, del: 0, ins: j + 1 }));
  prev.unshift({ cost: 0, sub: 0, del: 0, ins: 0 });
  for (let i = 1; i <= ref.length; i++) {
    const row: Cell[] = [{ cost: i, sub: 0, del: i, ins: 0 }];
    for (let j = 1; j <= hyp.length; j++) {
      const diag = prev[j - 1] as Cell;
      const up = prev[j] as Cell;
      const left = row[j - 1] as Cell;
      const same = ref[i - 1] === hyp[j - 1];
      const options: Cell[] = [
        { ...diag, cost: diag.cost + (same ? 0 : 1), sub: diag.sub + (same ? 0 : 1) },
        { ...up, cost: up.cost + 1, del: up.del + 1 },
        { ...left, cost: left.cost + 1, ins: left.ins + 1 },
      ];
      row.push(options.reduce((best, o) => (o.cost < best.cost ? o : best)));
    }
    prev = row;
  }
  const last = prev[hyp.length] as Cell;
  return {
    wer: ref.length === 0 ? (hyp.length === 0 ? 0 : 1) : last.cost / ref.length,
    substitutions: last.sub,
    deletions: last.del,
    insertions: last.ins,
    referenceWords: ref.length,
    hypothesisWords: hyp.length,
  };
}

/** The word error rate alone (see wordErrors). */
export function wordErrorRate(reference: string, hypothesis: string): number {
  return wordErrors(reference, hypothesis).wer;
}
