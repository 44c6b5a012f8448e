// Payment cards: 13-19 digits that pass Luhn and start like an issuer's number (2-6, or 8 for RuPay),
// written, spoken digit by digit or in pairs, and across segments (the joined document carries them).
import { type Candidate, type Detector, digitRuns, windows } from './candidates.js';
import { luhnValid } from './checksums.js';

// Most cards are 16 digits, Amex 15, some Maestro/UnionPay 19: a run that holds more than one valid
// window (a card read with its expiry) is cut at the most common length.
const LENGTH_RANK = [16, 15, 19, 13, 14, 17, 18];

export const detectCards: Detector = (doc) => {
  const found: Candidate[] = [];
  for (const run of digitRuns(doc)) {
    if (run.digits.length < 13) continue;
    const accept = (digits: string) => /^[2-68]/.test(digits) && luhnValid(digits);
    for (const w of windows(run, 13, 19, accept, (length) => LENGTH_RANK.indexOf(length))) {
      found.push({ type: 'card', start: w.start, end: w.end });
    }
  }
  return found;
};
