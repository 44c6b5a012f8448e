// Postcodes: UK postcodes by their shape (written or read out letter by letter); US ZIP, Spanish código
// postal (5 digits, 01-52) and Indian PIN (6 digits) only when announced as one, or (US) after a state.
import {
  before,
  type Candidate,
  type Detector,
  digitRuns,
  NOT_WORD_AFTER,
  NOT_WORD_BEFORE,
} from './candidates.js';

// Outward code: area (1-2 letters) and district; inward: sector digit and unit (two letters).
const UK_SHAPE = /^[A-PR-UWYZ][A-HK-Y]?\d[A-HJKMNPR-Y\d]?\d[ABD-HJLNP-UW-Z]{2}$/;
const UK = new RegExp(
  `${NOT_WORD_BEFORE}([A-Z](?:\\s?[A-Z])?\\s?\\d(?:\\s?[A-Z\\d])?)[\\s,-]{0,2}(\\d\\s?[A-Z]\\s?[A-Z])${NOT_WORD_AFTER}`,
  'gu',
);
// Written in lower case ("sw1a 1aa") only in its usual two-part form.
const UK_LOWER = new RegExp(`${NOT_WORD_BEFORE}[a-z]{1,2}\\d[a-z\\d]?\\s\\d[a-z]{2}${NOT_WORD_AFTER}`, 'gu');
const NUMERIC_CUE =
  /(?:zip|post\s?code|postal|c[oó]digo postal|c\.\s?p\.?|\bcp\b|pin\s?code|pincode|\bpin\b|पिन|पिनकोड|पिन कोड|डाक)[^.\n]{0,40}$/iu;
const US_STATES =
  'AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY';
const AFTER_STATE = new RegExp(`(?:${US_STATES}),?\\s$`, 'u');

const numericPostcode = (digits: string, written: string) =>
  (digits.length === 5 && Number(digits) >= 501) || // US ZIP, or Spanish 01000-52999 (a subset)
  (digits.length === 9 && /^\d{5}-\d{4}$/.test(written)) || // ZIP+4
  (digits.length === 6 && /^[1-9]/.test(digits)); // Indian PIN

export const detectPostcodes: Detector = (doc) => {
  const found: Candidate[] = [];
  for (const m of doc.text.matchAll(UK)) {
    if (UK_SHAPE.test(`${m[1]}${m[2]}`.replace(/\s/g, ''))) {
      found.push({ type: 'postcode', start: m.index, end: m.index + m[0].length });
    }
  }
  for (const m of doc.text.matchAll(UK_LOWER)) {
    if (UK_SHAPE.test(m[0].replace(/\s/g, '').toUpperCase())) {
      found.push({ type: 'postcode', start: m.index, end: m.index + m[0].length });
    }
  }
  let previousEnd = 0;
  for (const run of digitRuns(doc)) {
    const written = doc.text.slice(run.start, run.end);
    const context = before(doc, run.start, 50);
    const cue = NUMERIC_CUE.exec(context);
    // The cue must announce this run, not one before it.
    const cueFor = cue != null && run.start - context.length + cue.index >= previousEnd;
    previousEnd = run.end;
    if (
      !run.plus &&
      numericPostcode(run.digits, written) &&
      (cueFor || AFTER_STATE.test(before(doc, run.start, 5)))
    ) {
      found.push({ type: 'postcode', start: run.start, end: run.end });
    }
  }
  return found;
};
