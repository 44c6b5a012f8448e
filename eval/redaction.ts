// `npm run eval:redaction`: precision and recall of the PII redaction engine (core/redaction) per entity
// type and language, on generated contact-centre transcripts whose entities are known. Deterministic from
// a seed; writes eval/results/redaction.json and .md stamped with the commit. Not a test: it exits
// non-zero only when the run itself broke, never for poor figures.
//   REDACTION_EVAL_SEED=16   the generator's seed
//   REDACTION_EVAL_N=300     entities per type per language
//
// The generator is written from how people say these things on the phone (and how an STT writes them),
// not from the detector's rules: it draws values from real numbering and identifier schemes, renders them
// written, spoken or split across two segments, and puts non-PII numbers (amounts, orders, references,
// times, other dates) around them as distractors. Its templates are not to be tuned to the figures.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { luhnValid, verhoeffValid } from '../core/redaction/checksums.js';
import { ENTITY_TYPES, type EntityType, type FoundEntity, redact } from '../core/redaction/index.js';

type Lang = 'en' | 'es' | 'hi';
const LANGS: Lang[] = ['en', 'es', 'hi'];
const root = path.resolve(import.meta.dirname, '..');
const outDir = path.join(root, 'eval', 'results');
const seed = Number(process.env.REDACTION_EVAL_SEED ?? 16);
const perType = Number(process.env.REDACTION_EVAL_N ?? 300);

// ---------- randomness ----------
function rng(seedValue: number) {
  let a = seedValue >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const chance = (p: number) => next() < p;
  const digits = (n: number) => Array.from({ length: n }, () => String(int(0, 9))).join('');
  return { next, int, pick, chance, digits };
}
type Rng = ReturnType<typeof rng>;
const R = rng(seed);

// ---------- number words (the generator's own, independent of the engine's lexicon) ----------
const EN_ONES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const EN_TEENS = [
  'ten',
  'eleven',
  'twelve',
  'thirteen',
  'fourteen',
  'fifteen',
  'sixteen',
  'seventeen',
  'eighteen',
  'nineteen',
];
const EN_TENS = ['', '', 'twenty', 'thirty', 'forty', 'fifty', 'sixty', 'seventy', 'eighty', 'ninety'];
const enUnder100 = (n: number, hyphen = R.chance(0.6)) =>
  n < 10
    ? EN_ONES[n]!
    : n < 20
      ? EN_TEENS[n - 10]!
      : `${EN_TENS[Math.floor(n / 10)]}${n % 10 ? `${hyphen ? '-' : ' '}${EN_ONES[n % 10]}` : ''}`;
const EN_ORD = [
  '',
  'first',
  'second',
  'third',
  'fourth',
  'fifth',
  'sixth',
  'seventh',
  'eighth',
  'ninth',
  'tenth',
  'eleventh',
  'twelfth',
  'thirteenth',
  'fourteenth',
  'fifteenth',
  'sixteenth',
  'seventeenth',
  'eighteenth',
  'nineteenth',
  'twentieth',
];
const enOrdinal = (n: number) =>
  n <= 20
    ? EN_ORD[n]!
    : n % 10 === 0
      ? 'thirtieth'
      : `${EN_TENS[Math.floor(n / 10)]}${R.chance(0.5) ? '-' : ' '}${EN_ORD[n % 10]}`;
const enYear = (y: number) => {
  if (y < 2000) return `nineteen ${y % 100 < 10 ? `oh ${EN_ONES[y % 100]}` : enUnder100(y % 100)}`;
  if (y === 2000) return 'two thousand';
  if (y < 2010)
    return R.chance(0.7) ? `two thousand and ${EN_ONES[y % 10]}` : `two thousand ${EN_ONES[y % 10]}`;
  return R.chance(0.5) ? `twenty ${enUnder100(y % 100)}` : `two thousand and ${enUnder100(y % 100)}`;
};
const ES_0_29 = [
  'cero',
  'uno',
  'dos',
  'tres',
  'cuatro',
  'cinco',
  'seis',
  'siete',
  'ocho',
  'nueve',
  'diez',
  'once',
  'doce',
  'trece',
  'catorce',
  'quince',
  'dieciséis',
  'diecisiete',
  'dieciocho',
  'diecinueve',
  'veinte',
  'veintiuno',
  'veintidós',
  'veintitrés',
  'veinticuatro',
  'veinticinco',
  'veintiséis',
  'veintisiete',
  'veintiocho',
  'veintinueve',
];
const ES_TENS = ['', '', '', 'treinta', 'cuarenta', 'cincuenta', 'sesenta', 'setenta', 'ochenta', 'noventa'];
const ES_HUNDREDS = [
  '',
  'ciento',
  'doscientos',
  'trescientos',
  'cuatrocientos',
  'quinientos',
  'seiscientos',
  'setecientos',
  'ochocientos',
  'novecientos',
];
const esUnder100 = (n: number) =>
  n < 30 ? ES_0_29[n]! : `${ES_TENS[Math.floor(n / 10)]}${n % 10 ? ` y ${ES_0_29[n % 10]}` : ''}`;
const esUnder1000 = (n: number) =>
  n < 100
    ? esUnder100(n)
    : n === 100
      ? 'cien'
      : `${ES_HUNDREDS[Math.floor(n / 100)]}${n % 100 ? ` ${esUnder100(n % 100)}` : ''}`;
const esYear = (y: number) =>
  y < 2000 ? `mil ${esUnder1000(y - 1000)}` : `dos mil${y % 100 ? ` ${esUnder100(y % 100)}` : ''}`;
// Hindi 0-99, typed afresh for the generator (spellings as a Hindi STT commonly writes them).
const HI_WORDS =
  'शून्य एक दो तीन चार पांच छह सात आठ नौ दस ग्यारह बारह तेरह चौदह पंद्रह सोलह सत्रह अठारह उन्नीस बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस उनतीस तीस इकतीस बत्तीस तैंतीस चौंतीस पैंतीस छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास पचास इक्यावन बावन तिरेपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उनासी अस्सी इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी नब्बे इक्यानवे बानवे तिरानवे चौरानवे पचानवे छियानवे सत्तानवे अट्ठानवे निन्यानवे'.split(
    ' ',
  );
const HI_ROMAN_DIGITS = ['shunya', 'ek', 'do', 'teen', 'char', 'paanch', 'chhah', 'saat', 'aath', 'nau'];
const hiYear = (y: number) =>
  y < 2000 ? `उन्नीस सौ ${HI_WORDS[y % 100]}` : `दो हज़ार ${y % 100 ? HI_WORDS[y % 100] : ''}`.trim();
/** A space where a speaker may pause (between digits or groups): where a segment may be cut. */
const PAUSE = '\u2063';
const DEVANAGARI_DIGITS = '०१२३४५६७८९';
const toDevanagari = (s: string) => s.replace(/\d/g, (d) => DEVANAGARI_DIGITS[Number(d)]!);

/** Digit by digit in the language; English zero is "oh" or "zero"; "double"/"triple" sometimes. */
function sayDigits(
  digits: string,
  lang: Lang | 'hi-roman' | 'hi-en',
  opts: { repeats?: boolean } = {},
): string {
  const zeroOh = R.chance(0.6);
  const word = (d: number) => {
    if (lang === 'en' || lang === 'hi-en') return d === 0 && zeroOh ? 'oh' : EN_ONES[d]!;
    if (lang === 'es') return ES_0_29[d]!;
    if (lang === 'hi-roman') return HI_ROMAN_DIGITS[d]!;
    return HI_WORDS[d]!;
  };
  const out: string[] = [];
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    let n = 1;
    while (digits[i + n] === digits[i]) n++;
    if (opts.repeats && (lang === 'en' || lang === 'hi-en') && n >= 2 && R.chance(0.7)) {
      const k = Math.min(n, 3);
      out.push(`${k === 3 ? 'triple' : 'double'} ${word(d)}`);
      i += k - 1;
    } else out.push(word(d));
  }
  return out.join(PAUSE);
}
/** Digits said in groups as the speaker groups them, with commas between groups as an STT writes pauses. */
const sayGroups = (groups: string[], lang: Lang | 'hi-roman' | 'hi-en', opts: { repeats?: boolean } = {}) =>
  groups.map((g) => sayDigits(g, lang, opts)).join(R.chance(0.5) ? ', ' : PAUSE);
/** Two digits at a time ("forty-five thirty-two oh one …"), as English speakers often read cards. */
const sayPairsEn = (digits: string) =>
  (digits.match(/\d\d?/g) ?? [])
    .map((p) =>
      p.length === 1
        ? EN_ONES[Number(p)]!
        : p[0] === '0'
          ? `oh ${EN_ONES[Number(p[1])]}`
          : enUnder100(Number(p)),
    )
    // A last digit on its own comes after a pause ("ninety, seven"), or it would be heard as "ninety-seven".
    .map((said, i, all) => (i === all.length - 1 && digits.length % 2 === 1 ? `, ${said}` : said))
    .join(PAUSE)
    .replace(`${PAUSE},`, ',');
const sayPairsEs = (digits: string) =>
  (digits.match(/\d\d?/g) ?? [])
    .map((p) => (p[0] === '0' ? `cero ${ES_0_29[Number(p[1])]}` : esUnder100(Number(p))))
    .join(', ');

const group = (s: string, sizes: number[]) => {
  const out: string[] = [];
  let i = 0;
  for (const n of sizes) {
    out.push(s.slice(i, i + n));
    i += n;
  }
  if (i < s.length) out.push(s.slice(i));
  return out.filter(Boolean);
};

// ---------- values ----------
/** The one check digit that makes `body` + digit pass `valid` (Luhn, Verhoeff: exactly one does). */
const checkDigit = (body: string, valid: (digits: string) => boolean) =>
  [...'0123456789'].find((d) => valid(body + d))!;
const luhnDigit = (body: string) => checkDigit(body, luhnValid);
function cardNumber(r: Rng): string {
  const brand = r.pick([
    ['4', 16],
    ['4', 16],
    ['4', 16],
    [String(r.int(51, 55)), 16],
    [String(r.int(2221, 2720)), 16],
    [r.pick(['34', '37']), 15],
    ['6011', 16],
    [r.pick(['60', '65', '81', '82']), 16],
    ['6759', 19],
    ['35', 16],
  ] as [string, number][]);
  const body = brand[0] + r.digits(brand[1] - brand[0].length - 1);
  return body + luhnDigit(body);
}
/** A 16-digit order number that fails Luhn: a distractor. */
function notACard(r: Rng): string {
  const body = r.pick(['4', '5', '6', '3']) + r.digits(14);
  const good = Number(luhnDigit(body));
  return body + String((good + r.int(1, 9)) % 10);
}
const mod97 = (s: string) => {
  let rem = 0;
  for (const ch of s) rem = (rem * 10 + Number(ch)) % 97;
  return rem;
};
const ibanDigits = (s: string) => s.replace(/[A-Z]/g, (c) => String(c.charCodeAt(0) - 55));
function ibanOf(country: string, bban: string): string {
  const check = 98 - mod97(ibanDigits(`${bban}${country}00`));
  return `${country}${String(check).padStart(2, '0')}${bban}`;
}
function spanishBban(r: Rng): string {
  const bank = r.pick(['2100', '0049', '0182', '2080', '0081', '1465', '0128']) + r.digits(4);
  const account = r.digits(10);
  const dc = (digits: string) => {
    const w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6];
    const s = digits.split('').reduce((acc, d, i) => acc + Number(d) * w[i]!, 0);
    const v = 11 - (s % 11);
    return String(v === 11 ? 0 : v === 10 ? 1 : v);
  };
  return `${bank}${dc(`00${bank}`)}${dc(account)}${account}`;
}
function frenchBban(r: Rng): string {
  const bank = r.digits(5);
  const branch = r.digits(5);
  const account = r.digits(11);
  const key = 97 - ((89 * Number(bank) + 15 * Number(branch) + 3 * Number(account)) % 97);
  return `${bank}${branch}${account}${String(key).padStart(2, '0')}`;
}
function ibanNumber(r: Rng, lang: Lang): string {
  const country =
    lang === 'es' ? r.pick(['ES', 'ES', 'ES', 'FR', 'DE']) : r.pick(['GB', 'GB', 'IE', 'DE', 'FR', 'ES']);
  switch (country) {
    case 'ES':
      return ibanOf('ES', spanishBban(r));
    case 'FR':
      return ibanOf('FR', frenchBban(r));
    case 'DE':
      return ibanOf('DE', r.digits(18));
    default:
      return ibanOf(
        country,
        `${r.pick(['NWBK', 'BARC', 'LOYD', 'HBUK', 'MIDL', 'AIBK', 'BOFI'])}${r.digits(14)}`,
      );
  }
}
const US_AREAS = [
  '212',
  '213',
  '305',
  '312',
  '415',
  '617',
  '702',
  '713',
  '206',
  '404',
  '512',
  '646',
  '303',
  '602',
  '214',
];
type Phone = { national: string[]; intl: string[]; country: string };
function phoneNumber(r: Rng, lang: Lang): Phone {
  const kind =
    lang === 'en'
      ? r.pick(['uk-mobile', 'uk-mobile', 'uk-london', 'us', 'us'])
      : lang === 'es'
        ? r.pick(['es-mobile', 'es-mobile', 'es-fixed'])
        : r.pick(['in-mobile', 'in-mobile', 'in-mobile', 'in-delhi']);
  switch (kind) {
    case 'uk-mobile': {
      const n = `7${r.pick(['4', '5', '7', '8', '9'])}${r.int(1, 9)}${r.digits(7)}`;
      return {
        national: [`0${n.slice(0, 4)}`, n.slice(4)],
        intl: ['+44', n.slice(0, 4), n.slice(4)],
        country: 'GB',
      };
    }
    case 'uk-london': {
      const n = `20${r.pick(['7', '8'])}${r.digits(7)}`;
      return {
        national: ['020', n.slice(2, 6), n.slice(6)],
        intl: ['+44', '20', n.slice(2, 6), n.slice(6)],
        country: 'GB',
      };
    }
    case 'us': {
      const a = r.pick(US_AREAS);
      const ex = `${r.int(2, 9)}${r.int(0, 9)}${r.int(1, 9)}`;
      const line = r.digits(4);
      return { national: [a, ex, line], intl: ['+1', a, ex, line], country: 'US' };
    }
    case 'es-mobile': {
      const n = `6${r.digits(8)}`;
      return {
        national: [n.slice(0, 3), n.slice(3, 6), n.slice(6)],
        intl: ['+34', n.slice(0, 3), n.slice(3, 6), n.slice(6)],
        country: 'ES',
      };
    }
    case 'es-fixed': {
      const n = `9${r.pick(['1', '3', '5', '6'])}${r.digits(7)}`;
      return {
        national: [n.slice(0, 2), n.slice(2, 5), n.slice(5, 7), n.slice(7)],
        intl: ['+34', n.slice(0, 3), n.slice(3, 6), n.slice(6)],
        country: 'ES',
      };
    }
    case 'in-delhi': {
      const n = `11${r.pick(['2', '4'])}${r.digits(7)}`;
      return {
        national: ['011', n.slice(2, 6), n.slice(6)],
        intl: ['+91', '11', n.slice(2, 6), n.slice(6)],
        country: 'IN',
      };
    }
    default: {
      const n = `${r.pick(['9', '8', '7', '6'])}${r.digits(9)}`;
      return {
        national: [n.slice(0, 5), n.slice(5)],
        intl: ['+91', n.slice(0, 5), n.slice(5)],
        country: 'IN',
      };
    }
  }
}
const EN_FIRST = [
  'john',
  'sarah',
  'michael',
  'emma',
  'david',
  'laura',
  'james',
  'olivia',
  'daniel',
  'chloe',
  'peter',
  'aisha',
];
const EN_LAST = [
  'smith',
  'jones',
  'taylor',
  'brown',
  'wilson',
  'evans',
  'thomas',
  'walker',
  'white',
  'hughes',
  'patel',
  'khan',
];
const ES_FIRST = [
  'juan',
  'maria',
  'carlos',
  'lucia',
  'javier',
  'carmen',
  'pablo',
  'elena',
  'sergio',
  'ana',
  'diego',
  'laura',
];
const ES_LAST = [
  'garcia',
  'martinez',
  'lopez',
  'sanchez',
  'perez',
  'gomez',
  'fernandez',
  'ruiz',
  'diaz',
  'moreno',
  'alvarez',
  'romero',
];
const HI_FIRST = [
  'rahul',
  'priya',
  'amit',
  'neha',
  'vikram',
  'anjali',
  'suresh',
  'pooja',
  'arjun',
  'kavita',
  'rohan',
  'sunita',
];
const HI_LAST = [
  'sharma',
  'verma',
  'gupta',
  'singh',
  'kumar',
  'patel',
  'reddy',
  'iyer',
  'mehta',
  'joshi',
  'nair',
  'das',
];
const HI_FIRST_DEV: Record<string, string> = {
  rahul: 'राहुल',
  priya: 'प्रिया',
  amit: 'अमित',
  neha: 'नेहा',
  vikram: 'विक्रम',
  anjali: 'अंजलि',
  suresh: 'सुरेश',
  pooja: 'पूजा',
  arjun: 'अर्जुन',
  kavita: 'कविता',
  rohan: 'रोहन',
  sunita: 'सुनीता',
};
const HI_LAST_DEV: Record<string, string> = {
  sharma: 'शर्मा',
  verma: 'वर्मा',
  gupta: 'गुप्ता',
  singh: 'सिंह',
  kumar: 'कुमार',
  patel: 'पटेल',
  reddy: 'रेड्डी',
  iyer: 'अय्यर',
  mehta: 'मेहता',
  joshi: 'जोशी',
  nair: 'नायर',
  das: 'दास',
};
const DOMAINS: Record<Lang, string[][]> = {
  en: [
    ['gmail', 'com'],
    ['outlook', 'com'],
    ['yahoo', 'co', 'uk'],
    ['hotmail', 'co', 'uk'],
    ['btinternet', 'com'],
    ['icloud', 'com'],
    ['acme-logistics', 'co', 'uk'],
  ],
  es: [
    ['gmail', 'com'],
    ['hotmail', 'es'],
    ['yahoo', 'es'],
    ['telefonica', 'net'],
    ['outlook', 'es'],
    ['correo', 'ugr', 'es'],
  ],
  hi: [
    ['gmail', 'com'],
    ['rediffmail', 'com'],
    ['yahoo', 'co', 'in'],
    ['outlook', 'com'],
    ['infosys', 'com'],
  ],
};
const UK_AREAS = [
  'SW',
  'SE',
  'EC',
  'WC',
  'N',
  'E',
  'W',
  'NW',
  'M',
  'B',
  'L',
  'LS',
  'G',
  'EH',
  'CF',
  'BS',
  'OX',
  'CB',
  'RG',
  'BN',
  'NG',
  'S',
  'SO',
  'KT',
  'TW',
  'CR',
  'HA',
  'IG',
  'RM',
  'AB',
  'DD',
  'NE',
  'YO',
];
const UK_UNIT = 'ABDEFGHJLNPQRSTUWXYZ';
function ukPostcode(r: Rng): [string, string] {
  const area = r.pick(UK_AREAS);
  const district =
    ['EC', 'WC'].includes(area) || (['SW', 'W', 'N', 'E'].includes(area) && r.chance(0.3))
      ? `${r.int(1, 4)}${r.pick(['A', 'M', 'N', 'R', 'V', 'Y'])}`
      : String(r.int(1, 28));
  return [`${area}${district}`, `${r.int(0, 9)}${r.pick([...UK_UNIT])}${r.pick([...UK_UNIT])}`];
}
const US_STATES: [string, string, number][] = [
  ['Austin', 'TX', 78701],
  ['Houston', 'TX', 77002],
  ['Chicago', 'IL', 60601],
  ['Denver', 'CO', 80202],
  ['Seattle', 'WA', 98101],
  ['Miami', 'FL', 33130],
  ['Boston', 'MA', 2108],
  ['Phoenix', 'AZ', 85004],
  ['Atlanta', 'GA', 30303],
  ['San Francisco', 'CA', 94110],
];
const ES_CITIES: [string, number][] = [
  ['Madrid', 28],
  ['Barcelona', 8],
  ['Sevilla', 41],
  ['Valencia', 46],
  ['Bilbao', 48],
  ['Málaga', 29],
  ['Zaragoza', 50],
  ['Granada', 18],
];
const IN_CITIES: [string, string, string][] = [
  ['नई दिल्ली', 'New Delhi', '110'],
  ['मुंबई', 'Mumbai', '400'],
  ['बेंगलुरु', 'Bengaluru', '560'],
  ['चेन्नई', 'Chennai', '600'],
  ['कोलकाता', 'Kolkata', '700'],
  ['पुणे', 'Pune', '411'],
  ['जयपुर', 'Jaipur', '302'],
  ['लखनऊ', 'Lucknow', '226'],
];
const DNI_LETTERS = 'TRWAGMYFPDXBNJZSQVHLCKE';
const ES_LETTER_NAMES: Record<string, string> = {
  A: 'a',
  B: 'be',
  C: 'ce',
  D: 'de',
  E: 'e',
  F: 'efe',
  G: 'ge',
  H: 'hache',
  J: 'jota',
  K: 'ka',
  L: 'ele',
  M: 'eme',
  N: 'ene',
  P: 'pe',
  Q: 'cu',
  R: 'erre',
  S: 'ese',
  T: 'te',
  V: 'uve',
  W: 'uve doble',
  X: 'equis',
  Y: 'i griega',
  Z: 'zeta',
};
const verhoeffDigit = (body: string) => checkDigit(body, verhoeffValid);

// ---------- entity renderings and the turns around them ----------
type Rendering = { text: string; form: string };
/** An entity's turn: the caller's sentence with {X} where the entity goes, and maybe the agent's question before. */
type EntityTurn = { agent?: string; caller: string; value: Rendering };
const MONTHS_EN = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const MONTHS_ES = [
  'enero',
  'febrero',
  'marzo',
  'abril',
  'mayo',
  'junio',
  'julio',
  'agosto',
  'septiembre',
  'octubre',
  'noviembre',
  'diciembre',
];
const MONTHS_HI = [
  'जनवरी',
  'फरवरी',
  'मार्च',
  'अप्रैल',
  'मई',
  'जून',
  'जुलाई',
  'अगस्त',
  'सितंबर',
  'अक्टूबर',
  'नवंबर',
  'दिसंबर',
];
const pad2 = (n: number) => String(n).padStart(2, '0');
const ordSuffix = (d: number) =>
  d % 10 === 1 && d !== 11 ? 'st' : d % 10 === 2 && d !== 12 ? 'nd' : d % 10 === 3 && d !== 13 ? 'rd' : 'th';
const spellLetters = (s: string) => s.split('').join(' ');
const either = (...forms: [number, () => Rendering][]) => {
  const total = forms.reduce((a, [w]) => a + w, 0);
  let x = R.next() * total;
  for (const [w, f] of forms) {
    x -= w;
    if (x < 0) return f();
  }
  return forms.at(-1)![1]();
};
const mark = (text: string, form: string): Rendering => ({ text, form });

function cardTurn(lang: Lang): EntityTurn {
  const n = cardNumber(R);
  const groups = n.length === 15 ? group(n, [4, 6, 5]) : group(n, [4, 4, 4, 4]);
  const exp = `${pad2(R.int(1, 12))}/${R.int(25, 31)}`;
  if (lang === 'en') {
    const value = either(
      [30, () => mark(groups.join(' '), 'written')],
      [8, () => mark(n, 'written')],
      [5, () => mark(groups.join('-'), 'written')],
      [25, () => mark(sayGroups(groups, 'en'), 'spoken')],
      [12, () => mark(sayPairsEn(n), 'spoken')],
      [8, () => mark(sayGroups(groups, 'en', { repeats: true }), 'spoken')],
      [7, () => mark(`${groups.slice(0, 2).join(' ')} ${sayGroups(groups.slice(2), 'en')}`, 'mixed')],
    );
    return {
      agent: R.pick([
        'Can I take the long number on the card, please?',
        'And the card number?',
        "Whenever you're ready, the number across the front of the card.",
        'Could you read me the card number?',
        undefined,
      ]),
      caller: R.pick([
        "Yes, it's {X}.",
        '{X}',
        'Okay, the card number is {X}.',
        `It's a Visa, {X}, expiry ${exp}.`,
        'Sure. {X}',
        'Right, so that is {X}, and the expiry is next year.',
        'Let me get my wallet. Okay, {X}.',
      ]),
      value,
    };
  }
  if (lang === 'es') {
    const value = either(
      [30, () => mark(groups.join(' '), 'written')],
      [10, () => mark(n, 'written')],
      [30, () => mark(sayGroups(groups, 'es'), 'spoken')],
      [15, () => mark(sayPairsEs(n), 'spoken')],
      [7, () => mark(`${groups.slice(0, 2).join(' ')} ${sayGroups(groups.slice(2), 'es')}`, 'mixed')],
    );
    return {
      agent: R.pick([
        '¿Me indica el número de la tarjeta, por favor?',
        'Dígame los dígitos de la tarjeta.',
        '¿Cuál es el número de tarjeta?',
        undefined,
      ]),
      caller: R.pick([
        'Sí, es la {X}.',
        'El número es {X}.',
        '{X}',
        `Vale, apunte: {X}, caduca en ${exp}.`,
        'Es una Visa, {X}.',
        'A ver, un momento... {X}.',
      ]),
      value,
    };
  }
  const roman = R.chance(0.15);
  const value = roman
    ? either(
        [50, () => mark(sayGroups(groups, 'hi-roman'), 'spoken')],
        [50, () => mark(groups.join(' '), 'written')],
      )
    : either(
        [30, () => mark(groups.join(' '), 'written')],
        [10, () => mark(toDevanagari(groups.join(' ')), 'written')],
        [35, () => mark(sayGroups(groups, 'hi'), 'spoken')],
        [15, () => mark(sayGroups(groups, 'hi-en'), 'spoken')],
      );
  return {
    agent: roman
      ? 'Apna card number bataiye please.'
      : R.pick(['कृपया अपना कार्ड नंबर बताइए।', 'कार्ड के सोलह अंक बता दीजिए।', undefined]),
    caller: roman
      ? R.pick(['Card number hai {X}.', 'Haan ji, {X}.'])
      : R.pick(['मेरा कार्ड नंबर {X} है।', 'जी, {X}', 'हाँ, नंबर है {X}।', `{X} और एक्सपायरी ${exp} है।`]),
    value,
  };
}

function ibanTurn(lang: Lang): EntityTurn {
  const iban = ibanNumber(R, lang);
  const groups = group(iban, [4, 4, 4, 4, 4, 4, 4, 4]);
  const spoken = (digitsLang: Lang | 'hi-en') =>
    groups
      .map((g) =>
        g
          .split('')
          .map((c) => (/\d/.test(c) ? sayDigits(c, digitsLang) : c))
          .join(' '),
      )
      .join(R.chance(0.5) ? ', ' : ' ');
  if (lang === 'en') {
    return {
      agent: R.pick([
        'For the refund, can I take your IBAN?',
        'Which account should the refund go to? I need the IBAN.',
        undefined,
      ]),
      caller: R.pick(["It's {X}.", 'The IBAN is {X}.', '{X}', 'Sure, {X}, that is my current account.']),
      value: either(
        [45, () => mark(groups.join(' '), 'written')],
        [20, () => mark(iban, 'written')],
        [35, () => mark(spoken('en'), 'spoken')],
      ),
    };
  }
  if (lang === 'es') {
    return {
      agent: R.pick(['Para la devolución necesito su IBAN.', '¿Me da el IBAN de la cuenta?', undefined]),
      caller: R.pick(['Sí, es {X}.', 'El IBAN es {X}.', 'Mi cuenta es la {X}.', '{X}']),
      value: either(
        [45, () => mark(groups.join(' '), 'written')],
        [20, () => mark(iban, 'written')],
        [35, () => mark(spoken('es'), 'spoken')],
      ),
    };
  }
  return {
    agent: R.pick(['रिफंड के लिए अपना IBAN बताइए।', 'किस खाते में पैसे भेजें? IBAN बता दीजिए।', undefined]),
    caller: R.pick(['मेरा IBAN {X} है।', 'जी, {X}', 'IBAN है {X}।']),
    value: either(
      [55, () => mark(groups.join(' '), 'written')],
      [15, () => mark(iban, 'written')],
      [30, () => mark(spoken('hi-en'), 'spoken')],
    ),
  };
}

function phoneTurn(lang: Lang): EntityTurn {
  const p = phoneNumber(R, lang);
  const intlSpoken = (digitsLang: Lang | 'hi-en') =>
    `${lang === 'es' ? 'más' : 'plus'} ${sayDigits(p.intl[0]!.slice(1), digitsLang)} ${sayGroups(p.intl.slice(1), digitsLang, { repeats: true })}`;
  if (lang === 'en') {
    const us = p.country === 'US';
    return {
      agent: R.pick([
        "What's the best number to call you back on?",
        'Can I take a contact number?',
        'And a phone number, in case we get cut off?',
        undefined,
      ]),
      caller: R.pick([
        "It's {X}.",
        'You can reach me on {X}.',
        'My mobile is {X}.',
        'Call me on {X}, any time after five.',
        '{X}, that is my work number.',
      ]),
      value: either(
        [
          30,
          () =>
            mark(
              us ? `(${p.national[0]}) ${p.national[1]}-${p.national[2]}` : p.national.join(' '),
              'written',
            ),
        ],
        [10, () => mark(p.national.join(''), 'written')],
        [10, () => mark(p.intl.join(' '), 'written')],
        [40, () => mark(sayGroups(p.national, 'en', { repeats: true }), 'spoken')],
        [10, () => mark(intlSpoken('en'), 'spoken')],
      ),
    };
  }
  if (lang === 'es') {
    const digits = p.national.join('');
    return {
      agent: R.pick(['¿En qué teléfono le podemos llamar?', '¿Me deja un teléfono de contacto?', undefined]),
      caller: R.pick([
        'Mi móvil es el {X}.',
        'Llámeme al {X}.',
        'Es el {X}.',
        '{X}',
        'Apunte: {X}, por las tardes.',
      ]),
      value: either(
        [30, () => mark(p.national.join(' '), 'written')],
        [10, () => mark(digits, 'written')],
        [10, () => mark(p.intl.join(' '), 'written')],
        [30, () => mark(sayGroups(p.national, 'es'), 'spoken')],
        [
          12,
          () => mark(`${esUnder1000(Number(digits.slice(0, 3)))}, ${sayPairsEs(digits.slice(3))}`, 'spoken'),
        ],
        [8, () => mark(intlSpoken('es'), 'spoken')],
      ),
    };
  }
  const roman = R.chance(0.15);
  return {
    agent: roman
      ? 'Aapka mobile number kya hai?'
      : R.pick(['आपका मोबाइल नंबर क्या है?', 'कॉल बैक के लिए नंबर बताइए।', undefined]),
    caller: roman
      ? R.pick(['Mera number hai {X}.', 'Ji, {X}.'])
      : R.pick(['मेरा नंबर {X} है।', 'मुझे {X} पर कॉल कीजिए।', 'जी, {X}', 'नंबर लिखिए, {X}।']),
    value: roman
      ? either(
          [60, () => mark(sayGroups(p.national, 'hi-roman'), 'spoken')],
          [40, () => mark(p.national.join(' '), 'written')],
        )
      : either(
          [25, () => mark(p.national.join(' '), 'written')],
          [10, () => mark(toDevanagari(p.national.join(' ')), 'written')],
          [10, () => mark(p.intl.join(' '), 'written')],
          [35, () => mark(sayGroups(p.national, 'hi'), 'spoken')],
          [15, () => mark(sayGroups(p.national, 'hi-en', { repeats: true }), 'spoken')],
          [5, () => mark(intlSpoken('hi-en'), 'spoken')],
        ),
  };
}

function emailTurn(lang: Lang): EntityTurn {
  const [firsts, lasts] =
    lang === 'en' ? [EN_FIRST, EN_LAST] : lang === 'es' ? [ES_FIRST, ES_LAST] : [HI_FIRST, HI_LAST];
  const first = R.pick(firsts);
  const last = R.pick(lasts);
  const num = R.chance(0.3) ? String(R.int(1, 99)) : '';
  const sep = R.pick(['.', '.', '_', '']);
  const domain = R.pick(DOMAINS[lang]);
  const written = `${first}${sep}${last}${num}@${domain.join('.')}`;
  const sepWord: Record<string, Record<Lang, string>> = {
    '.': { en: 'dot', es: 'punto', hi: 'dot' },
    _: { en: 'underscore', es: 'guion bajo', hi: 'underscore' },
  };
  const spokenLatin = (at: string, dot: string) => {
    const local = `${first}${sep ? ` ${sepWord[sep]![lang]} ` : ' '}${last}${num ? ` ${lang === 'es' ? sayDigits(num, 'es') : sayDigits(num, 'en')}` : ''}`;
    return `${local} ${at} ${domain.join(` ${dot} `)}`;
  };
  if (lang === 'en') {
    return {
      agent: R.pick(['Can I confirm your email address?', 'What email should the receipt go to?', undefined]),
      caller: R.pick(["It's {X}.", 'Yes, {X}.', 'Send it to {X}, please.', 'My email is {X}.']),
      value: either(
        [45, () => mark(written, 'written')],
        [55, () => mark(spokenLatin('at', 'dot'), 'spoken')],
      ),
    };
  }
  if (lang === 'es') {
    return {
      agent: R.pick([
        '¿Me confirma su correo electrónico?',
        '¿A qué correo le enviamos la factura?',
        undefined,
      ]),
      caller: R.pick(['Es {X}.', 'Mi correo es {X}.', 'Sí, {X}.', '{X}']),
      value: either(
        [45, () => mark(written, 'written')],
        [55, () => mark(spokenLatin('arroba', 'punto'), 'spoken')],
      ),
    };
  }
  const devDomain: Record<string, string> = {
    gmail: 'जीमेल',
    rediffmail: 'रेडिफमेल',
    yahoo: 'याहू',
    outlook: 'आउटलुक',
    infosys: 'इंफोसिस',
    com: 'कॉम',
    co: 'को',
    in: 'इन',
  };
  const devanagari = () =>
    `${HI_FIRST_DEV[first]}${sep === '.' ? ' डॉट ' : ' '}${HI_LAST_DEV[last]} एट ${domain.map((d) => devDomain[d] ?? d).join(' डॉट ')}`;
  return {
    agent: R.pick(['अपना ईमेल आईडी बताइए।', 'रसीद किस ईमेल पर भेजें?', undefined]),
    caller: R.pick(['मेरा ईमेल {X} है।', 'जी, {X}', 'ईमेल आईडी है {X}।']),
    value: either(
      [45, () => mark(written, 'written')],
      [30, () => mark(spokenLatin(R.pick(['at the rate', 'at']), 'dot'), 'spoken')],
      [25, () => mark(devanagari(), 'spoken')],
    ),
  };
}

function dobTurn(lang: Lang): EntityTurn {
  const y = R.int(1938, 2006);
  const m = R.int(1, 12);
  const d = R.int(1, 28);
  const weak = R.chance(0.12);
  if (lang === 'en') {
    const month = MONTHS_EN[m - 1]!;
    const us = R.chance(0.3);
    const value = either(
      [18, () => mark(us ? `${pad2(m)}/${pad2(d)}/${y}` : `${pad2(d)}/${pad2(m)}/${y}`, 'written')],
      [5, () => mark(`${d}-${m}-${y}`, 'written')],
      [15, () => mark(`${d} ${month} ${y}`, 'written')],
      [10, () => mark(`${d}${ordSuffix(d)} ${month} ${y}`, 'written')],
      [10, () => mark(`${month} ${d}, ${y}`, 'written')],
      [20, () => mark(`the ${enOrdinal(d)} of ${month}, ${enYear(y)}`, 'spoken')],
      [12, () => mark(`${month} the ${enOrdinal(d)}, ${enYear(y)}`, 'spoken')],
      [10, () => mark(`${enUnder100(d)}${PAUSE}${month}${PAUSE}${enYear(y)}`, 'spoken')],
    );
    if (weak)
      return {
        agent: "Just to confirm who I'm speaking to, the date we hold for you?",
        caller: R.pick(['{X}', "That'd be {X}."]),
        value,
      };
    return R.pick<EntityTurn>([
      {
        agent: 'Can I take your date of birth, please?',
        caller: R.pick(['{X}.', "It's {X}.", 'Sure, {X}.']),
        value,
      },
      { caller: 'My date of birth is {X}.', value },
      { caller: 'I was born on {X}.', value },
      { agent: 'And your DOB?', caller: '{X}', value },
      { caller: '{X}, that is my birthday.', value },
    ]);
  }
  if (lang === 'es') {
    const month = MONTHS_ES[m - 1]!;
    const value = either(
      [25, () => mark(`${pad2(d)}/${pad2(m)}/${y}`, 'written')],
      [5, () => mark(`${d}-${m}-${y}`, 'written')],
      [25, () => mark(`${d} de ${month} de ${y}`, 'written')],
      [35, () => mark(`${esUnder100(d)} de ${month}${PAUSE}de ${esYear(y)}`, 'spoken')],
      [
        10,
        () =>
          mark(
            `${esUnder100(d)} de ${month}${PAUSE}del ${y < 2000 ? esUnder100(y % 100) : esYear(y)}`,
            'spoken',
          ),
      ],
    );
    if (weak)
      return {
        agent: 'Para verificar su identidad, ¿me dice la fecha que tenemos registrada?',
        caller: R.pick(['El {X}.', '{X}']),
        value,
      };
    return R.pick<EntityTurn>([
      { caller: 'Mi fecha de nacimiento es el {X}.', value },
      { caller: 'Nací el {X}.', value },
      {
        agent: '¿Su fecha de nacimiento, por favor?',
        caller: R.pick(['El {X}.', '{X}', 'Sí, el {X}.']),
        value,
      },
      { caller: 'Fecha de nacimiento: {X}.', value },
    ]);
  }
  const month = MONTHS_HI[m - 1]!;
  const value = either(
    [20, () => mark(`${pad2(d)}/${pad2(m)}/${y}`, 'written')],
    [10, () => mark(toDevanagari(`${pad2(d)}/${pad2(m)}/${y}`), 'written')],
    [20, () => mark(`${d} ${month} ${y}`, 'written')],
    [10, () => mark(`${d} ${MONTHS_EN[m - 1]} ${y}`, 'written')],
    [40, () => mark(`${HI_WORDS[d]}${PAUSE}${month}${PAUSE}${hiYear(y)}`, 'spoken')],
  );
  if (weak)
    return {
      agent: 'वेरिफिकेशन के लिए, हमारे रिकॉर्ड वाली तारीख बताइए।',
      caller: R.pick(['{X}', 'जी, {X}।']),
      value,
    };
  return R.pick<EntityTurn>([
    { caller: 'मेरी जन्मतिथि {X} है।', value },
    { caller: 'मेरा जन्म {X} को हुआ था।', value },
    { agent: 'आपकी डेट ऑफ बर्थ क्या है?', caller: R.pick(['{X}', 'जी, {X} है।']), value },
    { agent: 'अपनी जन्म तिथि बताइए।', caller: '{X}', value },
  ]);
}

function postcodeTurn(lang: Lang): EntityTurn {
  if (lang === 'en') {
    if (R.chance(0.6)) {
      const [out, inw] = ukPostcode(R);
      const spoken = `${spellLetters(out).replace(/\d+/g, (n) => enUnder100(Number(n)))}, ${spellLetters(inw).replace(/\d/, (n) => EN_ONES[Number(n)]!)}`;
      const value = either([60, () => mark(`${out} ${inw}`, 'written')], [40, () => mark(spoken, 'spoken')]);
      return R.pick<EntityTurn>([
        { agent: 'And the postcode?', caller: R.pick(['{X}', "It's {X}."]), value },
        { caller: 'My postcode is {X}.', value },
        {
          caller: `It's ${R.int(1, 120)} ${R.pick(['Baker Street', 'Mill Lane', 'Church Road', 'Station Road'])}, ${R.pick(['London', 'Leeds', 'Bristol', 'Glasgow'])}, {X}.`,
          value,
        },
      ]);
    }
    const [city, st, base] = R.pick(US_STATES);
    const zip = String(base + R.int(0, 40)).padStart(5, '0');
    const value = either(
      [55, () => mark(zip, 'written')],
      [10, () => mark(`${zip}-${R.digits(4)}`, 'written')],
      [35, () => mark(sayDigits(zip, 'en'), 'spoken')],
    );
    return R.pick<EntityTurn>([
      { caller: 'My zip code is {X}.', value },
      { agent: "What's the zip code on the account?", caller: R.pick(['{X}', "It's {X}."]), value },
      {
        caller: `${R.int(10, 999)} Main Street, ${city}, ${st} {X}.`,
        value: value.form === 'spoken' ? mark(zip, 'written') : value,
      },
    ]);
  }
  if (lang === 'es') {
    const [city, prov] = R.pick(ES_CITIES);
    const cp = `${pad2(prov)}${String(R.int(1, 99)).padStart(3, '0')}`;
    const value = either(
      [55, () => mark(cp, 'written')],
      [30, () => mark(sayDigits(cp, 'es'), 'spoken')],
      [
        15,
        () =>
          mark(
            `${cp[0] === '0' ? `cero ${ES_0_29[Number(cp[1])]}` : esUnder100(Number(cp.slice(0, 2)))}${PAUSE}${cp.startsWith('00', 2) ? `cero cero ${ES_0_29[Number(cp[4])]}` : cp[2] === '0' ? `cero ${esUnder100(Number(cp.slice(3)))}` : esUnder1000(Number(cp.slice(2)))}`,
            'spoken',
          ),
      ],
    );
    return R.pick<EntityTurn>([
      { caller: 'Mi código postal es el {X}.', value },
      { caller: 'El CP es {X}.', value },
      { agent: '¿Y el código postal?', caller: R.pick(['El {X}.', '{X}']), value },
      {
        caller: `Vivo en la calle ${R.pick(['Mayor', 'de Alcalá', 'Gran Vía', 'del Sol'])} ${R.int(1, 90)}, {X} ${city}.`,
        value: mark(cp, 'written'),
      },
    ]);
  }
  const [city, cityEn, prefix] = R.pick(IN_CITIES);
  const pin = `${prefix}${String(R.int(1, 99)).padStart(3, '0')}`;
  const value = either(
    [45, () => mark(pin, 'written')],
    [10, () => mark(toDevanagari(pin), 'written')],
    [30, () => mark(sayDigits(pin, 'hi'), 'spoken')],
    [15, () => mark(sayDigits(pin, 'hi-en'), 'spoken')],
  );
  return R.pick<EntityTurn>([
    { caller: 'मेरा पिन कोड {X} है।', value },
    { caller: 'Pincode {X} hai.', value },
    { agent: 'पिन कोड बताइए।', caller: R.pick(['{X}', 'जी, {X}']), value },
    {
      caller: `पता है ${R.int(1, 300)}, ${R.pick(['एमजी रोड', 'सेक्टर 15', 'गांधी नगर'])}, ${R.chance(0.5) ? city : cityEn} {X}।`,
      value: mark(pin, 'written'),
    },
  ]);
}

function nationalIdTurn(lang: Lang): EntityTurn {
  if (lang === 'en') {
    if (R.chance(0.5)) {
      let area = R.int(1, 899);
      if (area === 666) area = 667;
      const ssn = [
        String(area).padStart(3, '0'),
        pad2(R.int(1, 99)),
        String(R.int(1, 9999)).padStart(4, '0'),
      ];
      const value = either(
        [50, () => mark(ssn.join('-'), 'written')],
        [15, () => mark(ssn.join(' '), 'written')],
        [35, () => mark(sayGroups(ssn, 'en'), 'spoken')],
      );
      return R.pick<EntityTurn>([
        { caller: 'My social security number is {X}.', value },
        {
          agent: 'Can I have your Social Security number to verify?',
          caller: R.pick(['{X}', "Sure, it's {X}."]),
          value,
        },
        { caller: 'SSN {X}.', value },
      ]);
    }
    const nino = `${R.pick(['AB', 'CE', 'JH', 'KL', 'PR', 'SW', 'TB', 'WX', 'YZ', 'EH'])}${R.digits(6)}${R.pick(['A', 'B', 'C', 'D'])}`;
    const value = either(
      [
        45,
        () =>
          mark(
            `${nino.slice(0, 2)} ${nino.slice(2, 4)} ${nino.slice(4, 6)} ${nino.slice(6, 8)} ${nino[8]}`,
            'written',
          ),
      ],
      [20, () => mark(nino, 'written')],
      [
        35,
        () =>
          mark(
            `${spellLetters(nino.slice(0, 2))} ${sayGroups(group(nino.slice(2, 8), [2, 2, 2]), 'en')} ${nino[8]}`,
            'spoken',
          ),
      ],
    );
    return R.pick<EntityTurn>([
      { agent: "What's your National Insurance number?", caller: R.pick(["It's {X}.", '{X}']), value },
      { caller: 'My NI number is {X}.', value },
      { caller: 'National Insurance, {X}.', value },
    ]);
  }
  if (lang === 'es') {
    if (R.chance(0.7)) {
      const digits = String(R.int(1000000, 99999999)).padStart(8, '0');
      const letter = DNI_LETTERS[Number(digits) % 23]!;
      const value = either(
        [35, () => mark(`${digits}${letter}`, 'written')],
        [15, () => mark(`${digits}-${letter}`, 'written')],
        [
          10,
          () => mark(`${digits.slice(0, 2)}.${digits.slice(2, 5)}.${digits.slice(5)}-${letter}`, 'written'),
        ],
        [
          25,
          () =>
            mark(
              `${sayDigits(digits, 'es')}, ${R.chance(0.5) ? 'letra ' : ''}${ES_LETTER_NAMES[letter]}`,
              'spoken',
            ),
        ],
        [15, () => mark(`${sayPairsEs(digits)}, ${ES_LETTER_NAMES[letter]}`, 'spoken')],
      );
      return R.pick<EntityTurn>([
        { caller: 'Mi DNI es el {X}.', value },
        { agent: '¿Me dice su DNI, por favor?', caller: R.pick(['{X}', 'Sí, {X}.']), value },
        { caller: 'El documento es {X}.', value },
      ]);
    }
    const p = R.int(0, 2);
    const digits = R.digits(7);
    const letter = DNI_LETTERS[Number(`${p}${digits}`) % 23]!;
    const prefix = 'XYZ'[p]!;
    const value = either(
      [40, () => mark(`${prefix}${digits}${letter}`, 'written')],
      [25, () => mark(`${prefix}-${digits}-${letter}`, 'written')],
      [
        35,
        () =>
          mark(`${ES_LETTER_NAMES[prefix]} ${sayDigits(digits, 'es')} ${ES_LETTER_NAMES[letter]}`, 'spoken'),
      ],
    );
    return R.pick<EntityTurn>([
      { caller: 'Mi NIE es {X}.', value },
      { agent: '¿Su número de NIE?', caller: R.pick(['{X}', 'Es {X}.']), value },
    ]);
  }
  if (R.chance(0.65)) {
    const body = `${R.int(2, 9)}${R.digits(10)}`;
    const aadhaar = body + verhoeffDigit(body);
    const groups = group(aadhaar, [4, 4, 4]);
    const value = either(
      [35, () => mark(groups.join(' '), 'written')],
      [10, () => mark(aadhaar, 'written')],
      [10, () => mark(toDevanagari(groups.join(' ')), 'written')],
      [30, () => mark(sayGroups(groups, 'hi'), 'spoken')],
      [15, () => mark(sayGroups(groups, 'hi-en'), 'spoken')],
    );
    return R.pick<EntityTurn>([
      { caller: 'मेरा आधार नंबर {X} है।', value },
      { agent: 'अपना आधार नंबर बताइए।', caller: R.pick(['{X}', 'जी, {X}']), value },
      { caller: 'Aadhaar number hai {X}.', value },
    ]);
  }
  const letters = 'ABCDEFGHJKLMNPRSTUVWXYZ';
  const pan = `${R.pick([...letters])}${R.pick([...letters])}${R.pick([...letters])}${R.pick(['P', 'P', 'P', 'C', 'H', 'F'])}${R.pick([...letters])}${R.digits(4)}${R.pick([...letters])}`;
  const value = either(
    [60, () => mark(pan, 'written')],
    [
      40,
      () =>
        mark(
          `${spellLetters(pan.slice(0, 5))} ${R.chance(0.5) ? sayDigits(pan.slice(5, 9), 'hi-en') : spellLetters(pan.slice(5, 9))} ${pan[9]}`,
          'spoken',
        ),
    ],
  );
  return R.pick<EntityTurn>([
    { caller: 'मेरा पैन नंबर {X} है।', value },
    { agent: 'पैन कार्ड नंबर बताइए।', caller: R.pick(['{X}', 'जी, {X}']), value },
    { caller: 'PAN card number {X}.', value },
  ]);
}

const TURNS: Record<EntityType, (lang: Lang) => EntityTurn> = {
  card: cardTurn,
  iban: ibanTurn,
  phone: phoneTurn,
  email: emailTurn,
  dob: dobTurn,
  postcode: postcodeTurn,
  national_id: nationalIdTurn,
};
/** How often an entity is cut across two segments (an STT segment boundary at a pause). */
const SPLIT_RATE: Record<EntityType, number> = {
  card: 0.25,
  iban: 0.15,
  phone: 0.15,
  national_id: 0.1,
  email: 0.05,
  dob: 0.05,
  postcode: 0.05,
};

// ---------- distractors and filler: numbers that are not personal data ----------
function distractor(lang: Lang): string {
  const order = group(notACard(R), [4, 4, 4, 4]).join(' ');
  const ref = R.digits(10);
  const amount = R.int(20, 990);
  if (lang === 'en')
    return R.pick([
      `That comes to ${enUnder100(Math.floor(amount / 100) || 1)} hundred and ${enUnder100(amount % 100 || 50)} dollars.`,
      `The total is £${amount}.${pad2(R.int(0, 99))}.`,
      `Your order number is ${order}.`,
      `The reference is ${ref}.`,
      `I'll call you back at half past ${EN_ONES[R.int(2, 9)]}.`,
      `Your payment of ${R.int(20, 300)} pounds is due on the ${((d) => `${d}${ordSuffix(d)}`)(R.int(1, 28))} of ${R.pick(MONTHS_EN)}.`,
      `The last payment was on ${R.int(1, 28)} ${R.pick(MONTHS_EN)} ${R.int(2019, 2026)}.`,
      `I've been with you for ${enUnder100(R.int(2, 20))} years.`,
      `The case number is ${sayDigits(R.digits(8), 'en')}.`,
      `Please hold, I'm transferring you to extension ${R.digits(4)}.`,
      `My card ends in ${R.digits(4)}.`,
      `We ordered ${R.int(2, 60)} units on the ${R.int(1, 28)}th.`,
      `The invoice ${ref} was for ${R.int(1000, 25000)} dollars.`,
    ]);
  if (lang === 'es')
    return R.pick([
      `Son ${esUnder1000(amount)} euros.`,
      `El total es de ${amount},${pad2(R.int(0, 99))} euros.`,
      `El número de pedido es el ${order}.`,
      `La referencia es ${ref}.`,
      `Le llamo a las ${ES_0_29[R.int(2, 9)]} y media.`,
      `El recibo de ${R.int(20, 300)} euros vence el ${R.int(1, 28)} de ${R.pick(MONTHS_ES)}.`,
      `El último pago fue el ${R.int(1, 28)} de ${R.pick(MONTHS_ES)} de ${R.int(2019, 2026)}.`,
      `Llevo ${esUnder100(R.int(2, 20))} años con ustedes.`,
      `El número de incidencia es ${sayDigits(R.digits(8), 'es')}.`,
      `Le paso con la extensión ${R.digits(4)}.`,
      `Mi tarjeta termina en ${R.digits(4)}.`,
      `La factura ${ref} era de ${R.int(1000, 25000)} euros.`,
    ]);
  return R.pick([
    `कुल ${R.int(200, 9000)} रुपये हुए।`,
    `आपका ऑर्डर नंबर ${order} है।`,
    `रेफरेंस नंबर ${ref} है।`,
    `मैं ${HI_WORDS[R.int(2, 9)]} बजे कॉल करूंगा।`,
    `आपकी किस्त ${R.int(1, 28)} ${R.pick(MONTHS_HI)} ${R.int(2019, 2026)} को है।`,
    `Total ${R.int(1000, 9000)} rupees hai.`,
    `मैंने पिछले महीने ${R.int(1, 9)},${R.int(100, 999)} रुपये दिए थे।`,
    `मैं ${HI_WORDS[R.int(2, 20)]} साल से आपका ग्राहक हूँ।`,
    `टिकट नंबर ${sayDigits(R.digits(8), 'hi')} है।`,
    `मेरे कार्ड के आखिरी चार अंक ${R.digits(4)} हैं।`,
    `${R.int(25000, 99000)} रुपये का लोन बाकी है।`,
  ]);
}
const GREETING: Record<Lang, string[]> = {
  en: [
    'Thank you for calling, my name is Sam, how can I help?',
    "Hi, I'm calling about a payment on my account.",
    'Good morning, accounts team.',
  ],
  es: [
    'Gracias por llamar, le atiende Marta, ¿en qué puedo ayudarle?',
    'Hola, llamo por un cargo en mi cuenta.',
    'Buenas tardes, departamento de facturación.',
  ],
  hi: [
    'नमस्ते, मैं प्रिया बोल रही हूँ, मैं आपकी क्या मदद कर सकती हूँ?',
    'हेलो, मेरे अकाउंट में एक पेमेंट के बारे में बात करनी है।',
    'नमस्कार, बिलिंग विभाग।',
  ],
};
const CLOSING: Record<Lang, string[]> = {
  en: ["Thanks, that's all confirmed.", 'Is there anything else I can help with?', 'Perfect, thank you.'],
  es: ['Perfecto, queda confirmado.', '¿Puedo ayudarle en algo más?', 'Muchas gracias.'],
  hi: ['धन्यवाद, सब कन्फर्म हो गया।', 'क्या मैं और कुछ मदद कर सकती हूँ?', 'ठीक है, शुक्रिया।'],
};

// ---------- calls with known entities ----------
type Segment = { text: string; start: number; end: number };
type GoldPart = { segment: number; start: number; end: number };
type Gold = { type: EntityType; form: string; split: boolean; parts: GoldPart[] };
type Call = { lang: Lang; segments: Segment[]; gold: Gold[] };

function makeCall(lang: Lang, type: EntityType): Call {
  const texts: string[] = [];
  const gold: Gold[] = [];
  if (R.chance(0.5)) texts.push(R.pick(GREETING[lang]));
  if (R.chance(0.6)) texts.push(distractor(lang));
  const turn = TURNS[type](lang);
  if (turn.agent) texts.push(turn.agent);
  const at = turn.caller.indexOf('{X}');
  const before = turn.caller.slice(0, at);
  const after = turn.caller.slice(at + 3);
  // A split where a speaker pauses: between digits, groups or spelt characters, after a comma; never
  // inside a number said as words ("forty | six", "उन्नीस | सौ"). With no such place, any space.
  const marked = turn.value.text;
  const value = marked.replaceAll(PAUSE, ' ');
  const inside = (i: number) => i > 2 && i < value.length - 3;
  const pauses = [...marked.matchAll(/\u2063|(?<=,) |(?<=\d) (?=\d)|(?<=(?:^|\s)\S) (?=\S(?:\s|,|$))/gu)].map(
    (m) => m.index,
  );
  const spaces = pauses.some(inside)
    ? pauses.filter(inside)
    : [...value.matchAll(/ /g)].map((m) => m.index).filter(inside);
  const split = spaces.length > 0 && R.chance(SPLIT_RATE[type]);
  if (split) {
    const cut = R.pick(spaces);
    const first = `${before}${value.slice(0, cut)}`;
    const second = `${value.slice(cut + 1)}${after}`;
    const s = texts.length;
    texts.push(first, second);
    gold.push({
      type,
      form: turn.value.form,
      split: true,
      parts: [
        { segment: s, start: before.length, end: first.length },
        { segment: s + 1, start: 0, end: value.length - cut - 1 },
      ],
    });
  } else {
    gold.push({
      type,
      form: turn.value.form,
      split: false,
      parts: [{ segment: texts.length, start: before.length, end: before.length + value.length }],
    });
    texts.push(turn.caller.replace('{X}', value));
  }
  if (R.chance(0.5)) texts.push(distractor(lang));
  if (R.chance(0.5)) texts.push(R.pick(CLOSING[lang]));
  // Times as an STT would give them: about 14 characters a second, a short pause between segments.
  let t = R.int(0, 20) + R.next();
  const segments = texts.map((marked) => {
    const text = marked.replaceAll(PAUSE, ' ');
    const start = t;
    const end = start + Math.max(0.6, text.length / 14);
    t = end + 0.2 + R.next();
    return { text, start: Math.round(start * 100) / 100, end: Math.round(end * 100) / 100 };
  });
  return { lang, segments, gold };
}

// ---------- scoring ----------
const covered = (parts: GoldPart[], found: FoundEntity[], segments: Segment[]) =>
  parts.every((g) => {
    const text = segments[g.segment]!.text;
    for (let i = g.start; i < g.end; i++) {
      if (!/[\p{L}\p{N}]/u.test(text[i]!)) continue;
      const hit = found.some((f) =>
        f.parts.some((p) => p.segment === g.segment && p.start <= i && i < p.end),
      );
      if (!hit) return false;
    }
    return true;
  });
const overlaps = (a: GoldPart[], b: { segment: number; start: number; end: number }[]) =>
  a.some((x) => b.some((y) => x.segment === y.segment && x.start < y.end && y.start < x.end));

type Tally = { gold: number; found: number; predicted: number; correct: number };
const emptyTally = (): Tally => ({ gold: 0, found: 0, predicted: 0, correct: 0 });
type Example = { lang: Lang; type: EntityType; form?: string; text: string; call: string[] };

function evaluate() {
  const byCell = new Map<string, Tally>();
  const byForm = new Map<string, Tally>();
  const misses: Example[] = [];
  const falsePositives: Example[] = [];
  const cell = (m: Map<string, Tally>, key: string) => m.get(key) ?? m.set(key, emptyTally()).get(key)!;
  let calls = 0;
  let segmentsSeen = 0;
  const started = performance.now();
  for (const lang of LANGS) {
    for (const type of ENTITY_TYPES) {
      for (let k = 0; k < perType; k++) {
        const call = makeCall(lang, type);
        calls++;
        segmentsSeen += call.segments.length;
        const { entities } = redact(call.segments, { language: lang });
        for (const g of call.gold) {
          const mine = entities.filter((e) => e.type === g.type);
          const ok = covered(g.parts, mine, call.segments);
          const c = cell(byCell, `${lang}|${g.type}`);
          c.gold++;
          if (ok) c.found++;
          const f = cell(byForm, `${g.type}|${g.split ? `${g.form}, split` : g.form}`);
          f.gold++;
          if (ok) f.found++;
          if (!ok && misses.filter((x) => x.lang === lang && x.type === g.type).length < 4) {
            misses.push({
              lang,
              type: g.type,
              form: g.form,
              text: g.parts.map((p) => call.segments[p.segment]!.text).join(' | '),
              call: call.segments.map((s) => s.text),
            });
          }
        }
        for (const e of entities) {
          const c = cell(byCell, `${lang}|${e.type}`);
          c.predicted++;
          const right = call.gold.some((g) => g.type === e.type && overlaps(g.parts, e.parts));
          if (right) c.correct++;
          else if (falsePositives.filter((x) => x.lang === lang && x.type === e.type).length < 4) {
            falsePositives.push({
              lang,
              type: e.type,
              text: e.parts.map((p) => call.segments[p.segment]!.text.slice(p.start, p.end)).join(' | '),
              call: call.segments.map((s) => s.text),
            });
          }
        }
      }
    }
  }
  return {
    byCell,
    byForm,
    misses,
    falsePositives,
    calls,
    segmentsSeen,
    seconds: (performance.now() - started) / 1000,
  };
}

// ---------- report ----------
const ratio = (a: number, b: number) => (b === 0 ? null : a / b);
const fmt = (x: number | null) => (x == null ? '–' : x.toFixed(3));
const TARGET: Record<EntityType, number> = {
  card: 0.98,
  iban: 0.95,
  phone: 0.95,
  email: 0.95,
  dob: 0.95,
  postcode: 0.95,
  national_id: 0.95,
};

function gitCommit() {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  try {
    const dirty = git('status', '--porcelain', '--', 'core/redaction', 'eval/redaction.ts') !== '';
    return { commit: git('rev-parse', 'HEAD'), dirty };
  } catch {
    return { commit: null, dirty: null };
  }
}

function main() {
  const result = evaluate();
  const rows = LANGS.flatMap((lang) =>
    ENTITY_TYPES.map((type) => {
      const t = result.byCell.get(`${lang}|${type}`) ?? emptyTally();
      const recall = ratio(t.found, t.gold);
      return {
        lang,
        type,
        ...t,
        recall,
        precision: ratio(t.correct, t.predicted),
        meetsTarget: recall != null && recall >= TARGET[type],
      };
    }),
  );
  const totals = ENTITY_TYPES.map((type) => {
    const t = rows
      .filter((r) => r.type === type)
      .reduce(
        (a, r) => ({
          gold: a.gold + r.gold,
          found: a.found + r.found,
          predicted: a.predicted + r.predicted,
          correct: a.correct + r.correct,
        }),
        emptyTally(),
      );
    return {
      type,
      ...t,
      recall: ratio(t.found, t.gold),
      precision: ratio(t.correct, t.predicted),
      target: TARGET[type],
    };
  });
  const forms = [...result.byForm.entries()]
    .map(([key, t]) => {
      const [type, form] = key.split('|') as [EntityType, string];
      return { type, form, gold: t.gold, found: t.found, recall: ratio(t.found, t.gold) };
    })
    .sort(
      (a, b) => ENTITY_TYPES.indexOf(a.type) - ENTITY_TYPES.indexOf(b.type) || a.form.localeCompare(b.form),
    );
  const run = {
    ...gitCommit(),
    seed,
    perTypePerLanguage: perType,
    calls: result.calls,
    segments: result.segmentsSeen,
    seconds: Math.round(result.seconds * 10) / 10,
    at: new Date().toISOString(),
  };

  const md: string[] = [
    '# Redaction eval',
    '',
    `Commit \`${run.commit?.slice(0, 12) ?? 'unknown'}\`${run.dirty ? ' (with uncommitted changes)' : ''}, ${run.at}. Made by \`npm run eval:redaction\` (eval/redaction.ts): seed ${seed}, ${perType} entities per type per language in ${run.calls} generated calls (${run.segments} segments), redacted in ${run.seconds} s. An entity is found when every letter and digit of it is inside a redaction of its type; a redaction is correct when it overlaps a known entity of its type. The calls also carry non-PII numbers (amounts, Luhn-failing order numbers, references, times, other dates), so precision counts their false alarms.`,
    '',
    '## Per language',
    '',
    '| language | type | entities | found | recall | redactions | correct | precision | recall target |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.lang} | ${r.type} | ${r.gold} | ${r.found} | ${fmt(r.recall)} | ${r.predicted} | ${r.correct} | ${fmt(r.precision)} | ${TARGET[r.type]} ${r.meetsTarget ? 'met' : '**missed**'} |`,
    ),
    '',
    '## Per type, all languages',
    '',
    '| type | entities | recall | redactions | precision | recall target |',
    '| --- | --- | --- | --- | --- | --- |',
    ...totals.map(
      (t) =>
        `| ${t.type} | ${t.gold} | ${fmt(t.recall)} | ${t.predicted} | ${fmt(t.precision)} | ${t.target} |`,
    ),
    '',
    '## Recall by form (all languages)',
    '',
    '| type | form | entities | recall |',
    '| --- | --- | --- | --- |',
    ...forms.map((f) => `| ${f.type} | ${f.form} | ${f.gold} | ${fmt(f.recall)} |`),
    '',
    '## Examples of misses (generated data)',
    '',
    ...result.misses.map((m) => `- ${m.lang} ${m.type} (${m.form}): ${m.text.replace(/\|/g, '¦')}`),
    '',
    '## Examples of false alarms (generated data)',
    '',
    ...(result.falsePositives.length
      ? result.falsePositives.map((m) => `- ${m.lang} ${m.type}: \`${m.text.replace(/`/g, "'")}\``)
      : ['- none']),
    '',
  ];
  mkdirSync(outDir, { recursive: true });
  writeFileSync(
    path.join(outDir, 'redaction.json'),
    `${JSON.stringify({ run, rows, totals, forms, misses: result.misses, falsePositives: result.falsePositives }, null, 2)}\n`,
  );
  writeFileSync(path.join(outDir, 'redaction.md'), md.join('\n'));
  // Biome checks committed .json and .md: lay them out as it wants.
  try {
    execFileSync(
      path.join(root, 'node_modules', '.bin', 'biome'),
      ['format', '--write', path.join(outDir, 'redaction.json'), path.join(outDir, 'redaction.md')],
      { cwd: root, stdio: 'ignore' },
    );
  } catch {
    // Formatting is cosmetic; the figures are written either way.
  }
  process.stdout.write(readFileSync(path.join(outDir, 'redaction.md'), 'utf8'));
}

main();
