// Phone numbers: a digit run (with its + or a spoken "plus") that libphonenumber-js, with Google's full
// metadata, calls a valid number of one of the language's countries, or of any country when it has +.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import {
  before,
  type Candidate,
  type Detector,
  type DigitRun,
  digitRuns,
  NOT_PERSONAL,
  runChains,
} from './candidates.js';
import type { RedactionLanguage } from './types.js';

const COUNTRIES: Record<RedactionLanguage, CountryCode[]> = {
  en: ['GB', 'US', 'IN', 'IE', 'AU'],
  es: ['ES', 'MX', 'US', 'AR', 'CO'],
  hi: ['IN'],
};

const SPOKEN_PLUS = /(?:plus|más|mas|प्लस)\s*$/iu;
const PHONE_CUE =
  /(?:phone|mobile|cell|landline|call|ring|text|número|tel[eé]fono|m[oó]vil|celular|llam|फ़ोन|फोन|मोबाइल|कॉल)[^.\n]{0,30}$/iu;
// A date (12/03/1985, 12.03.85) or a ZIP+4 (33145-5115) is not a phone number, whatever its digits.
const NOT_PHONE_SHAPE = /^\d{1,4}\s?([/.-])\s?\d{1,2}\s?\1\s?\d{2,4}$|\/|^\d{5}-\d{4}$/;

export const detectPhones: Detector = (doc, language) => {
  const found: Candidate[] = [];
  const runs = digitRuns(doc);
  const taken: DigitRun[] = [];
  const consider = (run: DigitRun) => {
    const digits = run.digits;
    if (digits.length < 7 || digits.length > 15) return;
    if (NOT_PHONE_SHAPE.test(doc.text.slice(run.start, run.end))) return;
    const context = before(doc, run.start, 40);
    // A number announced as an order, a reference or a case is not a phone, even when its digits could be.
    if (NOT_PERSONAL.test(context) && !PHONE_CUE.test(context.slice(-15))) return;
    const spokenPlus = !run.plus ? SPOKEN_PLUS.exec(context) : null;
    const valid =
      run.plus || spokenPlus
        ? parsePhoneNumberFromString(`+${digits}`)?.isValid() === true
        : COUNTRIES[language].some(
            (country) => parsePhoneNumberFromString(digits, country)?.isValid() === true,
          );
    if (!valid) return;
    taken.push(run);
    found.push({
      type: 'phone',
      start: spokenPlus ? run.start - spokenPlus[0].length : run.start,
      end: run.end,
    });
  };
  // A number cut by a segment boundary first: the whole chain, when it is a valid number, rather than
  // a part of it that happens to be one (a UK mobile's last ten digits are a valid Indian mobile).
  for (const chain of runChains(doc, runs)) consider(chain);
  for (const run of runs) {
    if (!taken.some((t) => t.start <= run.start && run.end <= t.end)) consider(run);
  }
  return found;
};
