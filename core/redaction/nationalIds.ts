// National identifiers: US SSN, UK National Insurance number, Spanish DNI/NIE (check letter), Indian
// Aadhaar (Verhoeff) and PAN. Letters may be spoken one by one ("Q Q 1 2 …", Spanish letter names).
import {
  before,
  type Candidate,
  type Detector,
  type DigitRun,
  digitRuns,
  NOT_PERSONAL,
  NOT_WORD_AFTER,
  NOT_WORD_BEFORE,
  runChains,
} from './candidates.js';
import { panValid, spanishIdValid, ssnValid, ukNinoValid, verhoeffValid } from './checksums.js';

// A cue may sit in the agent's question, the segment before.
const SSN_CUE = /(?:social security|social|ssn|s\.s\.n|seguro social)(?=[^.]{0,50}$)/iu;
const SPOKEN_PLUS = /(?:\+|plus|más|प्लस)\s*$/iu;
const AADHAAR_CUE = /(?:aadhaar|aadhar|adhar|आधार|uid)(?=[^.]{0,50}$)/iu;

// Spanish names of letters, as a DNI's letter is often read out ("… ocho, zeta").
const ES_LETTER_NAMES: Record<string, string> = {
  a: 'A',
  be: 'B',
  ce: 'C',
  de: 'D',
  e: 'E',
  efe: 'F',
  ge: 'G',
  hache: 'H',
  i: 'I',
  jota: 'J',
  ka: 'K',
  ele: 'L',
  eme: 'M',
  ene: 'N',
  o: 'O',
  pe: 'P',
  cu: 'Q',
  erre: 'R',
  ese: 'S',
  te: 'T',
  u: 'U',
  uve: 'V',
  'uve doble': 'W',
  equis: 'X',
  'i griega': 'Y',
  ye: 'Y',
  zeta: 'Z',
  zeda: 'Z',
};
const LETTER_NAME = Object.keys(ES_LETTER_NAMES)
  .sort((a, b) => b.length - a.length)
  .join('|');
const letterOf = (said: string) =>
  said.length === 1 ? said.toUpperCase() : ES_LETTER_NAMES[said.toLowerCase()];

const SPANISH_ID = new RegExp(
  `${NOT_WORD_BEFORE}(?:([XYZxyz]|equis|i griega|ye|zeta)[\\s,-]{0,3})?((?:\\d[\\s.,]{0,2}){7,8})[\\s,-]{0,3}(?:(?:la\\s+)?letra\\s+)?(${LETTER_NAME}|[A-Za-z])${NOT_WORD_AFTER}`,
  'giu',
);
// Letters and digits may stand apart when read out.
const UK_NINO = new RegExp(
  `${NOT_WORD_BEFORE}([A-Z]\\s?[A-Z](?:[\\s,.-]{0,2}\\d){6}[\\s,.-]{0,2}[A-D])${NOT_WORD_AFTER}`,
  'gu',
);
const PAN = new RegExp(
  `${NOT_WORD_BEFORE}((?:[A-Z][\\s,]{0,2}){5}(?:\\d[\\s,]{0,2}){4}[A-Z])${NOT_WORD_AFTER}`,
  'gu',
);
const COMPACT_ID = new RegExp(
  `${NOT_WORD_BEFORE}(?:[A-Za-z]{2}\\d{6}[A-Da-d]|[A-Za-z]{5}\\d{4}[A-Za-z])${NOT_WORD_AFTER}`,
  'gu',
);
const SSN_WRITTEN = /(?<![\p{L}\p{N}])\d{3}-\d{2}-\d{4}(?![\p{L}\p{N}])/gu;

const compact = (s: string) => s.replace(/[\s.,-]/g, '').toUpperCase();

export const detectNationalIds: Detector = (doc) => {
  const found: Candidate[] = [];
  const add = (start: number, end: number) => found.push({ type: 'national_id', start, end });

  for (const m of doc.text.matchAll(SSN_WRITTEN))
    if (ssnValid(compact(m[0]))) add(m.index, m.index + m[0].length);
  const runs = digitRuns(doc);
  // A cue announces the number right after it, not one said later.
  const announced = (cue: RegExp, run: DigitRun) => {
    const context = before(doc, run.start, 60);
    const m = cue.exec(context);
    if (!m) return false;
    const at = run.start - context.length + m.index + m[0].length;
    return !runs.some((r) => r.start >= at && r.end <= run.start);
  };
  for (const run of [...runs, ...runChains(doc, runs)]) {
    if (NOT_PERSONAL.test(before(doc, run.start, 40))) continue;
    if (run.digits.length === 9 && announced(SSN_CUE, run) && ssnValid(run.digits)) add(run.start, run.end);
    // Aadhaar: 12 digits, never starting 0 or 1, Verhoeff-checked; a run of exactly 12 (not a phone
    // number's +91 and ten digits), or the first 12 of a longer run announced as an Aadhaar number.
    if (run.plus || SPOKEN_PLUS.test(before(doc, run.start, 8))) continue;
    if (run.digits.length === 12 && /^[2-9]/.test(run.digits) && verhoeffValid(run.digits))
      add(run.start, run.end);
    else if (run.digits.length > 12 && announced(AADHAAR_CUE, run)) {
      const first = run.groups[0]!;
      let digits = '';
      for (const g of run.groups) {
        digits += g.digits;
        if (digits.length === 12 && /^[2-9]/.test(digits) && verhoeffValid(digits)) add(first.start, g.end);
        if (digits.length >= 12) break;
      }
    }
  }
  for (const m of doc.text.matchAll(SPANISH_ID)) {
    const prefix = m[1] ? letterOf(m[1]) : '';
    const letter = letterOf(m[3]!);
    const digits = compact(m[2]!);
    if (!letter || prefix === undefined) continue;
    if (spanishIdValid(`${prefix}${digits}${letter}`)) add(m.index, m.index + m[0].length);
  }
  for (const m of doc.text.matchAll(UK_NINO))
    if (ukNinoValid(compact(m[1]!))) add(m.index, m.index + m[0].length);
  for (const m of doc.text.matchAll(PAN)) if (panValid(compact(m[1]!))) add(m.index, m.index + m[0].length);
  for (const m of doc.text.matchAll(COMPACT_ID)) {
    const id = m[0].toUpperCase();
    if (ukNinoValid(id) || panValid(id)) add(m.index, m.index + m[0].length);
  }
  return found;
};
