// Phone numbers: a digit run (with its + or a spoken "plus") that libphonenumber-js, with Google's full
// metadata, calls a valid number of one of the language's countries, or of any country when it has +.
import { type CountryCode, parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { before, type Candidate, type Detector, digitRuns } from './candidates.js';
import type { RedactionLanguage } from './types.js';

const COUNTRIES: Record<RedactionLanguage, CountryCode[]> = {
  en: ['GB', 'US', 'IN', 'IE', 'AU'],
  es: ['ES', 'MX', 'US', 'AR', 'CO'],
  hi: ['IN'],
};

const SPOKEN_PLUS = /(?:plus|más|mas|प्लस)\s*$/iu;
// A number announced as an order, a reference or a case is not a phone, even when its digits could be.
const NOT_A_PHONE =
  /(?:order|reference|ref|ticket|invoice|tracking|case|booking|confirmation|transaction|pedido|referencia|factura|expediente|incidencia|ऑर्डर|रेफरेंस|टिकट|ट्रैकिंग)\b[^.\n]{0,20}$/iu;
const PHONE_CUE =
  /(?:phone|mobile|cell|landline|call|ring|text|número|tel[eé]fono|m[oó]vil|celular|llam|फ़ोन|फोन|मोबाइल|कॉल)[^.\n]{0,30}$/iu;

const DATE_SHAPE = /^\d{1,4}\s?([/.-])\s?\d{1,2}\s?\1\s?\d{2,4}$|\//;

export const detectPhones: Detector = (doc, language) => {
  const found: Candidate[] = [];
  for (const run of digitRuns(doc)) {
    const digits = run.digits;
    if (digits.length < 7 || digits.length > 15) continue;
    // A date written with separators (12/03/1985, 12.03.85) is not a phone number, whatever its digits.
    if (DATE_SHAPE.test(doc.text.slice(run.start, run.end))) continue;
    const context = before(doc, run.start, 40);
    const spokenPlus = !run.plus ? SPOKEN_PLUS.exec(context) : null;
    const international = run.plus || spokenPlus != null;
    if (NOT_A_PHONE.test(context) && !PHONE_CUE.test(context.slice(-15))) continue;
    const valid = international
      ? parsePhoneNumberFromString(`+${digits}`)?.isValid() === true
      : COUNTRIES[language].some(
          (country) => parsePhoneNumberFromString(digits, country)?.isValid() === true,
        );
    if (!valid) continue;
    const start = spokenPlus ? run.start - spokenPlus[0].length : run.start;
    found.push({ type: 'phone', start, end: run.end });
  }
  return found;
};
