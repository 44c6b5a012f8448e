// Payment cards: 13-19 digits that pass Luhn and start like an issuer's number (2-6, or 8 for RuPay),
// written, spoken digit by digit or in pairs, and across segments (a chain of runs over a pause).
import {
  before,
  type Candidate,
  type Detector,
  type DigitGroup,
  digitRuns,
  NOT_PERSONAL,
  runChains,
  windows,
} from './candidates.js';
import { luhnValid } from './checksums.js';

// A card read out whole is the whole run; when a run holds more (a card read with its expiry), the
// window is cut at the most common length: 16 digits, then Amex's 15, then 19 (Maestro, UnionPay).
const LENGTH_RANK = [16, 15, 19, 13, 14, 17, 18];
const rank = (length: number, wholeRun: boolean) => (wholeRun ? -1 : LENGTH_RANK.indexOf(length));

// The card's security code is sensitive authentication data, which PCI DSS forbids storing at all: 3 or 4
// digits right after a cue ("CVV", "security code", "código de seguridad", "सीवीवी") go as [CARD] too.
const SECURITY_CODE_CUE =
  /(?<![\p{L}])(?:cvv2?|cvc2?|csc|cid|(?<!social )security code|three digits on the back|c[oó]digo de seguridad|c[oó]digo cvv|सीवीवी|सिक्योरिटी कोड)(?![\p{L}])[^.\d]{0,25}$/iu;

export const detectCards: Detector = (doc) => {
  const found: Candidate[] = [];
  // A number announced as an order or a reference is not a card, whatever its digits.
  const accept = (digits: string, from: DigitGroup) =>
    /^[2-68]/.test(digits) && luhnValid(digits) && !NOT_PERSONAL.test(before(doc, from.start, 40));
  const add = (w: { start: number; end: number }) => found.push({ type: 'card', start: w.start, end: w.end });
  const runs = digitRuns(doc);
  for (const run of runs) {
    if (
      (run.digits.length === 3 || run.digits.length === 4) &&
      SECURITY_CODE_CUE.test(before(doc, run.start, 50))
    ) {
      add(run);
      continue;
    }
    if (run.digits.length < 13) continue;
    for (const w of windows(run, 13, 19, accept, rank)) add(w);
  }
  for (const chain of runChains(doc, runs)) {
    // Over a boundary a card is read from its first digit: a window starts where a run starts.
    const runStarts = new Set(runs.map((r) => r.groups[0]!.start));
    const chainAccept = (digits: string, from: DigitGroup) =>
      runStarts.has(from.start) && accept(digits, from);
    for (const w of windows(chain, 13, 19, chainAccept, rank)) {
      // Only what crosses a segment boundary is new here; the rest was seen run by run.
      if (doc.segment[w.start] !== doc.segment[w.end - 1]) add(w);
    }
  }
  return found;
};
