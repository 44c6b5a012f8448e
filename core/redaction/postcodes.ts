// Postcodes: UK postcodes by their shape (written or read out letter by letter); US ZIP, Spanish código
// postal (5 digits, 01-52) and Indian PIN (6 digits) only when announced as one, or (US) after a state.
import {
  before,
  type Candidate,
  CURRENCY_AFTER,
  type Detector,
  digitRuns,
  NOT_WORD_AFTER,
  NOT_WORD_BEFORE,
  runChains,
} from './candidates.js';

// Outward code: area (1-2 letters) and district; inward: sector digit and unit (two letters).
const UK_SHAPE = /^[A-PR-UWYZ][A-HK-Y]?\d[A-HJKMNPR-Y\d]?\d[ABD-HJLNP-UW-Z]{2}$/;
const UK = new RegExp(
  `${NOT_WORD_BEFORE}([A-Z](?:\\s?[A-Z])?\\s?\\d(?:\\s?[A-Z\\d])?)[\\s,-]{0,2}(\\d\\s?[A-Z]\\s?[A-Z])${NOT_WORD_AFTER}`,
  'gu',
);
// Written in lower case ("sw1a 1aa") only in its usual two-part form.
const UK_LOWER = new RegExp(`${NOT_WORD_BEFORE}[a-z]{1,2}\\d[a-z\\d]?\\s\\d[a-z]{2}${NOT_WORD_AFTER}`, 'gu');
// The cue may be in the agent's question, the segment before; it must announce this run, not an earlier one.
const NUMERIC_CUE =
  /(?:zip|post\s?code|postal|c[oó]digo postal|c\.\s?p\.?|\bcp\b|pin\s?code|pincode|\bpin\b|पिन|पिनकोड|पिन कोड|डाक)(?=[^.]{0,40}$)/iu;
// In an address the postcode follows the street (and the house number), often without a cue.
const ADDRESS_CUE = new RegExp(
  `${NOT_WORD_BEFORE}(?:street|st|road|rd|lane|avenue|ave|drive|close|way|boulevard|blvd|apartment|apt|flat|suite|calle|c/|avenida|avda|plaza|paseo|carretera|camino|piso|portal|ronda|nagar|marg|road|sector|colony|enclave|vihar|chowk|layout|रोड|नगर|मार्ग|सेक्टर|कॉलोनी|गली|मोहल्ला|विहार|चौक|फ्लैट|मकान)${NOT_WORD_AFTER}[^.।?!\\n]{0,60}$`,
  'iu',
);
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
  const runs = digitRuns(doc);
  // A run, a chain of runs over a segment boundary, or one group of a run ("Mayor 8, 28013").
  const pieces = [
    ...runs,
    ...runChains(doc, runs),
    ...runs.flatMap((r) =>
      r.groups.length > 1
        ? r.groups.map((g) => ({ ...r, start: g.start, end: g.end, groups: [g], digits: g.digits }))
        : [],
    ),
  ];
  for (const piece of pieces) {
    if (piece.plus || !numericPostcode(piece.digits, doc.text.slice(piece.start, piece.end))) continue;
    if (CURRENCY_AFTER.test(doc.text.slice(piece.end, piece.end + 10))) continue;
    const context = before(doc, piece.start, 50);
    const cue = NUMERIC_CUE.exec(context);
    // The cue must announce this number, not one said between them.
    const cueAt = cue ? piece.start - context.length + cue.index + cue[0].length : -1;
    const cued = cue != null && !runs.some((r) => r.start >= cueAt && r.end <= piece.start);
    const announced =
      cued || AFTER_STATE.test(before(doc, piece.start, 5)) || ADDRESS_CUE.test(before(doc, piece.start, 80));
    if (announced) found.push({ type: 'postcode', start: piece.start, end: piece.end });
  }
  return found;
};
