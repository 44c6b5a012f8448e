// E-mail addresses, written or read out ("john dot smith at gmail dot com", "juan punto pérez arroba
// hotmail punto es", "… at the rate gmail dot com", "… एट जीमेल डॉट कॉम"). The "at" and the domain are
// found by a pattern; the local part is walked back from the "at" word by word (a single pattern for
// both backtracks exponentially on long runs of spelt-out characters).
import { type Candidate, type Detector, NOT_WORD_AFTER } from './candidates.js';

const W = '[\\p{L}\\p{M}\\p{N}]+(?:-[\\p{L}\\p{M}\\p{N}]+)*';
const DOT = '(?:\\s*\\.\\s*|\\s+(?:dot|punto|डॉट|डोट)\\s+)';
const AT =
  '(?:\\s*@\\s*|\\s+(?:at\\s+the\\s+rate\\s+of|at\\s+the\\s+rate|at|arroba|एट\\s+द\\s+रेट|एट|ऐट)\\s+)';
const TLD =
  '(?:com|net|org|edu|gov|info|biz|co|uk|in|es|io|me|us|mx|ar|cl|pe|de|fr|it|ie|au|ca|eu|कॉम|इन|नेट|ओआरजी)';
const AT_DOMAIN = new RegExp(`${AT}${W}(?:${DOT}${W})*${DOT}${TLD}${NOT_WORD_AFTER}`, 'giu');

const WORD_END = /[\p{L}\p{M}\p{N}]+$/u;
const JOIN_END =
  /(?:[+%]|\s*[._-]\s*|\s+(?:dot|punto|underscore|under score|hyphen|dash|gui[oó]n bajo|gui[oó]n|barra baja|डॉट|अंडरस्कोर|डैश)\s+)$/iu;
// A spelt character or a number before the current token ("j o h n", "smith 8 5", "das 69").
const ATOM_END = /(?<![\p{L}\p{M}\p{N}'’])(?:[\p{L}\p{N}]|\d+)\s$/u;
const WORD_BEFORE = /(?<![\p{L}\p{M}\p{N}'’])[\p{L}\p{M}]+\s$/u;
// Words that introduce an address rather than begin it: a name said as two words ("john smith at …",
// for johnsmith@) takes the word before the local part unless it is one of these.
const NOT_A_NAME = new Set(
  (
    "is its it's was be to me my mail email e-mail address id yes yeah sure ok okay please send that this the at on " +
    'es mi correo electrónico electronico sí si a al el la de su ' +
    'है मेरा मेरी ईमेल आईडी जी हाँ हां पर को hai mera meri ji haan'
  ).split(' '),
);

const isAtom = (token: string) => token.length === 1 || /^\d+$/.test(token);

/** Where the local part that ends at `end` starts, or -1 when there is none. */
function localPartStart(text: string, end: number): number {
  const first = WORD_END.exec(text.slice(Math.max(0, end - 80), end));
  if (!first) return -1;
  let start = end - first[0].length;
  let token = first[0];
  for (let steps = 0; steps < 16; steps++) {
    const head = text.slice(Math.max(0, start - 40), start);
    const join = JOIN_END.exec(head);
    const atom = isAtom(token) ? ATOM_END.exec(head) : null;
    const name = /^\d+$/.test(token) ? WORD_BEFORE.exec(head) : null;
    if (join) {
      const word = WORD_END.exec(head.slice(0, head.length - join[0].length));
      if (!word) break;
      start -= join[0].length + word[0].length;
      token = word[0];
    } else if (atom) {
      start -= atom[0].length;
      token = atom[0].trim();
    } else if (name && !NOT_A_NAME.has(name[0].trim().toLowerCase())) {
      start -= name[0].length;
      token = name[0].trim();
    } else break;
  }
  const head = WORD_BEFORE.exec(text.slice(Math.max(0, start - 40), start));
  if (head && !NOT_A_NAME.has(head[0].trim().toLowerCase())) start -= head[0].length;
  return start;
}

export const detectEmails: Detector = (doc) => {
  const found: Candidate[] = [];
  for (const m of doc.text.matchAll(AT_DOMAIN)) {
    const start = localPartStart(doc.text, m.index);
    if (start >= 0) found.push({ type: 'email', start, end: m.index + m[0].length });
  }
  return found;
};
