// E-mail addresses, written or read out ("john dot smith at gmail dot com", "juan punto pérez arroba
// hotmail punto es", "… at the rate gmail dot com", "… एट जीमेल डॉट कॉम").
import { type Candidate, type Detector, NOT_WORD_AFTER, NOT_WORD_BEFORE } from './candidates.js';

const W = '[\\p{L}\\p{M}\\p{N}]+';
// Spelt out letter by letter ("j o h n"), or a word.
const PART = `(?:[\\p{L}\\p{N}](?:\\s[\\p{L}\\p{N}])+(?![\\p{L}\\p{M}\\p{N}])|${W})`;
const DOT = '(?:\\s*\\.\\s*|\\s+(?:dot|punto|डॉट|डोट)\\s+)';
const JOIN = `(?:${DOT}|\\s*[_-]\\s*|\\s+(?:underscore|under score|hyphen|dash|gui[oó]n bajo|gui[oó]n|barra baja|अंडरस्कोर|डैश)\\s+|\\s+(?=\\d))`;
const AT = '(?:\\s*@\\s*|\\s+(?:at the rate of|at the rate|at|arroba|एट द रेट|एट|ऐट)\\s+)';
const TLD =
  '(?:com|net|org|edu|gov|info|biz|co|uk|in|es|io|me|us|mx|ar|cl|pe|de|fr|it|ie|au|ca|eu|kom|कॉम|इन|नेट|ओआरजी)';
const EMAIL = new RegExp(
  `${NOT_WORD_BEFORE}${PART}(?:${JOIN}${PART})*${AT}${W}(?:${DOT}${W})*${DOT}${TLD}${NOT_WORD_AFTER}`,
  'giu',
);

export const detectEmails: Detector = (doc) =>
  [...doc.text.matchAll(EMAIL)].map(
    (m): Candidate => ({ type: 'email', start: m.index, end: m.index + m[0].length }),
  );
