// IBANs: two letters, two check digits and the country's BBAN, written grouped or not, or read out
// character by character; ibantools checks the country's length and format, mod-97 and, where a
// country has them, the BBAN's own check digits (Spain's among them).
import { getCountrySpecifications, isValidIBAN } from 'ibantools';
import { type Candidate, type Detector, NOT_WORD_BEFORE } from './candidates.js';

const SPECS = getCountrySpecifications();
// A start: two letters (maybe apart) and two digits; then letters and digits with single separators.
const START = new RegExp(`${NOT_WORD_BEFORE}[A-Za-z]\\s?[A-Za-z]\\s?\\d`, 'gu');
const MAX_IBAN = 34;

export const detectIbans: Detector = (doc) => {
  const found: Candidate[] = [];
  let after = 0;
  for (const m of doc.text.matchAll(START)) {
    if (m.index < after) continue;
    // Collect up to 34 alphanumerics from here, allowing one or two separators between them.
    const chars: { ch: string; at: number }[] = [];
    let i = m.index;
    while (i < doc.text.length && chars.length < MAX_IBAN) {
      const ch = doc.text[i]!;
      if (/[A-Za-z0-9]/.test(ch)) {
        chars.push({ ch: ch.toUpperCase(), at: i });
        i++;
      } else if (/[\s.,-]/.test(ch) && /^[\s.,-]{0,2}[A-Za-z0-9]/.test(doc.text.slice(i + 1, i + 4))) i++;
      else break;
    }
    const country = chars
      .slice(0, 2)
      .map((c) => c.ch)
      .join('');
    const length = SPECS[country]?.chars;
    if (!length || chars.length < length) continue;
    const iban = chars
      .slice(0, length)
      .map((c) => c.ch)
      .join('');
    if (!isValidIBAN(iban)) continue;
    const end = chars[length - 1]!.at + 1;
    found.push({ type: 'iban', start: m.index, end });
    after = end;
  }
  return found;
};
