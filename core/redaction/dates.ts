// Dates of birth: a date announced by a birth cue (born, date of birth, nacimiento, जन्म …) in the
// text just before it (the agent's question in the previous segment counts) or just after it; a full
// date with a month name and a year from 1900 to 2012 counts without a cue (in a contact-centre call
// such a date is nearly always someone's birth date). Written, numeric or spoken dates.
import { type Candidate, type Detector, digitRuns, NOT_WORD_AFTER, NOT_WORD_BEFORE } from './candidates.js';
import type { NormalisedDoc } from './normalise.js';

const MONTHS: Record<string, number> = {};
const addMonths = (names: string[]) =>
  names.forEach((list, i) => {
    for (const name of list.split(' ')) MONTHS[name] = i + 1;
  });
addMonths([
  'january jan enero ene जनवरी',
  'february feb febrero फरवरी फ़रवरी',
  'march mar marzo मार्च',
  'april apr abril abr अप्रैल अप्रेल',
  'may mayo मई',
  'june jun junio जून',
  'july jul julio जुलाई',
  'august aug agosto ago अगस्त',
  'september sep sept septiembre setiembre सितंबर सितम्बर',
  'october oct octubre अक्टूबर अक्तूबर',
  'november nov noviembre नवंबर नवम्बर',
  'december dec diciembre dic दिसंबर दिसम्बर',
]);
const MONTH = `(${Object.keys(MONTHS)
  .sort((a, b) => b.length - a.length)
  .join('|')})\\.?`;
const DAY = '([0-3]?\\d)(?:\\s?(?:st|nd|rd|th|º|ª|°))?';
// "1985", "19 85" (nineteen eighty five), "2005"; after "de"/"of"/"सन".
const YEAR = '((?:1[89]|20)\\s?\\d\\d)';
const YEAR_LEAD = '(?:\\s*,?\\s*(?:(?:of|de|del|सन)\\s+)?)';
// "del 75", "of '75": a two-digit year after a word that marks it as one.
const SHORT_YEAR = "(?:\\s*,?\\s*(?:del|of|de)\\s+'?(\\d\\d))";

const DAY_MONTH = new RegExp(
  `${NOT_WORD_BEFORE}(?:the\\s+)?${DAY}(?:\\s+(?:of|de))?\\s+${MONTH}(?:${YEAR_LEAD}${YEAR}|${SHORT_YEAR})?${NOT_WORD_AFTER}`,
  'giu',
);
const MONTH_DAY = new RegExp(
  `${NOT_WORD_BEFORE}${MONTH}\\s+(?:the\\s+)?${DAY}(?:\\s*,?\\s*${YEAR})?${NOT_WORD_AFTER}`,
  'giu',
);
const NUMERIC = new RegExp(
  `${NOT_WORD_BEFORE}([0-3]?\\d)\\s?([/.-])\\s?([01]?\\d)\\s?\\2\\s?((?:1[89]|20)\\d\\d|\\d\\d)${NOT_WORD_AFTER}`,
  'gu',
);
const ISO = new RegExp(`${NOT_WORD_BEFORE}((?:19|20)\\d\\d)-([01]\\d)-([0-3]\\d)${NOT_WORD_AFTER}`, 'gu');

const BIRTH_CUE =
  /(?<![\p{L}\p{M}])(?:born|birth|birthday|d\.?\s?o\.?\s?b\.?|nacimiento|naci[óo]|nac[ií]|nacid[oa]|cumpleaños|जन्म\S*|पैदा|बर्थ|डीओबी|janm|janam|paida)(?![\p{L}])/giu;

type DateSpan = { start: number; end: number; year: number | null; named: boolean };

const validDay = (d: number, m: number) => m >= 1 && m <= 12 && d >= 1 && d <= 31;
const yearOf = (y: string | undefined) => {
  if (!y) return null;
  const digits = y.replace(/\s/g, '');
  return digits.length === 2 ? null : Number(digits);
};

function findDates(doc: NormalisedDoc): DateSpan[] {
  const dates: DateSpan[] = [];
  const push = (start: number, end: number, year: number | null, named: boolean) =>
    dates.push({ start, end, year, named });
  for (const m of doc.text.matchAll(DAY_MONTH)) {
    if (validDay(Number(m[1]), MONTHS[m[2]!.toLowerCase()] ?? 0))
      push(m.index, m.index + m[0].length, yearOf(m[3]), true);
  }
  for (const m of doc.text.matchAll(MONTH_DAY)) {
    if (validDay(Number(m[2]), MONTHS[m[1]!.toLowerCase()] ?? 0))
      push(m.index, m.index + m[0].length, yearOf(m[3]), true);
  }
  for (const m of doc.text.matchAll(NUMERIC)) {
    const [a, b] = [Number(m[1]), Number(m[3])];
    if (validDay(a, b) || validDay(b, a)) push(m.index, m.index + m[0].length, yearOf(m[4]), false);
  }
  for (const m of doc.text.matchAll(ISO)) {
    if (validDay(Number(m[3]), Number(m[2]))) push(m.index, m.index + m[0].length, Number(m[1]), false);
  }
  // Read out as digits ("one two oh three nineteen eighty five"): 6 or 8 digits that make a date.
  for (const run of digitRuns(doc)) {
    const d = run.digits;
    const asDate =
      (d.length === 8 &&
        ((validDay(Number(d.slice(0, 2)), Number(d.slice(2, 4))) && /^(19|20)/.test(d.slice(4))) ||
          (validDay(Number(d.slice(2, 4)), Number(d.slice(0, 2))) && /^(19|20)/.test(d.slice(4))) ||
          (/^(19|20)/.test(d) && validDay(Number(d.slice(6)), Number(d.slice(4, 6)))))) ||
      (d.length === 6 && validDay(Number(d.slice(0, 2)), Number(d.slice(2, 4))));
    if (asDate && run.groups.length > 1)
      push(run.start, run.end, d.length === 8 ? Number(d.slice(4)) : null, false);
  }
  // Overlapping finds of one date: the longest.
  dates.sort((x, y) => x.start - y.start || y.end - x.end);
  return dates.filter((d, i) => !dates.slice(0, i).some((e) => e.start <= d.start && e.end >= d.end));
}

export const detectBirthDates: Detector = (doc) => {
  const dates = findDates(doc);
  const cues = [...doc.text.matchAll(BIRTH_CUE)].map((m) => ({ start: m.index, end: m.index + m[0].length }));
  const birth = new Set<DateSpan>();
  // Each cue names one date: the first after it (within 100 characters, none between), or one just
  // before it in the same segment ("12 March 1985, that's my birthday"); the nearer when both exist.
  for (const cue of cues) {
    const after = dates.find((d) => d.start >= cue.end && d.start - cue.end <= 100);
    const before = dates.findLast(
      (d) =>
        d.end <= cue.start && cue.start - d.end <= 30 && doc.segment[d.end - 1] === doc.segment[cue.start],
    );
    const crossesSegment = after && doc.segment[after.start] !== doc.segment[cue.start];
    const afterDistance = after
      ? after.start - cue.end + (crossesSegment ? 30 : 0)
      : Number.POSITIVE_INFINITY;
    const beforeDistance = before ? cue.start - before.end : Number.POSITIVE_INFINITY;
    const named = afterDistance <= beforeDistance ? after : before;
    if (named) birth.add(named);
  }
  const found: Candidate[] = [];
  for (const date of dates) {
    const plausibleBirthYear = date.named && date.year != null && date.year >= 1900 && date.year <= 2012;
    if (birth.has(date) || plausibleBirthYear) found.push({ type: 'dob', start: date.start, end: date.end });
  }
  return found;
};
