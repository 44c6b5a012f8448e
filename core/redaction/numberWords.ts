// Spoken numbers per language: a lexicon of number words and a parser that turns a run of them into the
// digit chunks a speaker meant ("four five three two" → 4 5 3 2, "nineteen eighty five" → 19 85,
// "four hundred and fifty" → 450, "उन्नीस सौ पचासी" → 1985).
import type { RedactionLanguage } from './types.js';

export type WordKind =
  | 'digit' // 0-9, each its own chunk unless it completes a ten ("forty five")
  | 'under100' // 10-99 said as one word (teens, veintidós, Hindi's 11-99)
  | 'tens' // twenty … ninety: may take a following digit
  | 'hundreds' // Spanish doscientos … novecientos, cien/ciento: a value that takes a following < 100
  | 'hundred' // multiplies what precedes by 100 (hundred, सौ)
  | 'thousand' // multiplies by 1000 (thousand, mil, हज़ार)
  | 'lakh' // multiplies by 100 000 (लाख)
  | 'and' // joins inside a number ("hundred and five", "cuarenta y cinco")
  | 'repeat' // double / triple: the next digit said two or three times
  | 'ordinal'; // twelfth → 12th; only dates use them

export type WordEntry = { kind: WordKind; value: number };

type Lexicon = [string, WordEntry][];
/** Words of one kind; "a|b" are spellings of one value, values counting up from `from` (or `step` apart). */
const words = (kind: WordKind, list: string, from = 0, step = 1): Lexicon =>
  list
    .split(' ')
    .flatMap((spellings, i) =>
      spellings.split('|').map((w): [string, WordEntry] => [w, { kind, value: from + i * step }]),
    );

const EN: Lexicon = [
  ...words('digit', 'zero|oh|nought|nil one two three four five six seven eight nine'),
  ...words('under100', 'ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen', 10),
  ...words('tens', 'twenty thirty forty|fourty fifty sixty seventy eighty ninety', 20, 10),
  ...words('hundred', 'hundred', 100),
  ...words('thousand', 'thousand', 1000),
  ...words('and', 'and'),
  ...words('repeat', 'double triple', 2),
  ...words(
    'ordinal',
    'first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth ' +
      'fifteenth sixteenth seventeenth eighteenth nineteenth twentieth',
    1,
  ),
  ...words('ordinal', 'thirtieth', 30),
];

const ES: Lexicon = [
  ...words('digit', 'cero uno|un|una dos tres cuatro cinco seis siete ocho nueve'),
  ...words(
    'under100',
    'diez once doce trece catorce quince dieciséis|dieciseis diecisiete dieciocho diecinueve veinte ' +
      'veintiuno|veintiún|veintiun|veintiuna veintidós|veintidos veintitrés|veintitres veinticuatro veinticinco ' +
      'veintiséis|veintiseis veintisiete veintiocho veintinueve',
    10,
  ).filter(([w]) => w !== 'veinte'),
  ...words('tens', 'veinte treinta cuarenta cincuenta sesenta setenta ochenta noventa', 20, 10),
  ...words('hundreds', 'cien|ciento', 100),
  ...words(
    'hundreds',
    'doscientos|doscientas trescientos|trescientas cuatrocientos|cuatrocientas quinientos|quinientas ' +
      'seiscientos|seiscientas setecientos|setecientas ochocientos|ochocientas novecientos|novecientas',
    200,
    100,
  ),
  ...words('thousand', 'mil', 1000),
  ...words('and', 'y'),
  ...words('repeat', 'doble triple', 2),
  ...words('ordinal', 'primero|primer', 1),
];

// Hindi says every number below 100 as its own word: 0-99 in Devanagari, "|" between spellings.
const HI_0_99 =
  'शून्य एक दो तीन चार पांच|पाँच छह|छः|छ:|छे सात आठ नौ दस ग्यारह बारह तेरह चौदह पंद्रह|पन्द्रह सोलह सत्रह अठारह उन्नीस ' +
  'बीस इक्कीस बाईस तेईस चौबीस पच्चीस छब्बीस सत्ताईस अट्ठाईस|अठ्ठाईस उनतीस तीस इकतीस|इकत्तीस बत्तीस तैंतीस चौंतीस पैंतीस ' +
  'छत्तीस सैंतीस अड़तीस उनतालीस चालीस इकतालीस बयालीस तैंतालीस चवालीस|चौवालीस पैंतालीस छियालीस सैंतालीस अड़तालीस उनचास ' +
  'पचास इक्यावन बावन तिरेपन|तिरपन चौवन पचपन छप्पन सत्तावन अट्ठावन उनसठ साठ इकसठ बासठ तिरेसठ चौंसठ पैंसठ छियासठ ' +
  'सड़सठ अड़सठ उनहत्तर सत्तर इकहत्तर बहत्तर तिहत्तर चौहत्तर पचहत्तर छिहत्तर सतहत्तर अठहत्तर उन्यासी|उनासी अस्सी ' +
  'इक्यासी बयासी तिरासी चौरासी पचासी छियासी सत्तासी अट्ठासी नवासी नब्बे इक्यानवे बानवे तिरानवे चौरानवे पंचानवे|पचानवे ' +
  'छियानवे सत्तानवे अट्ठानवे निन्यानवे';
// Romanised Hindi: the digits, the teens and the round tens; other tens-and-units words vary too much
// in spelling to list (a documented gap).
const HI_ROMAN_0_20 =
  'shunya|shoonya|sunya ek do teen|tin char|chaar paanch|panch chhah|chhe|chah|che|cheh saat|sat aath|aat nau das ' +
  'gyarah|gyaarah barah|baarah terah chaudah pandrah solah satrah atharah|athaarah unnis|unnees bees';
const HI_ROMAN_TENS = 'tees chalis|chaalis pachas|pachaas saath sattar assi nabbe';
const HI: Lexicon = [
  ...[...words('digit', HI_0_99), ...words('digit', HI_ROMAN_0_20)].map(([w, e]): [string, WordEntry] => [
    w,
    { kind: e.value < 10 ? 'digit' : 'under100', value: e.value },
  ]),
  ...words('under100', HI_ROMAN_TENS, 30, 10),
  ...words('hundred', 'सौ|sau', 100),
  ...words('thousand', 'हज़ार|हजार|hazaar|hazar|hajar', 1000),
  ...words('lakh', 'लाख|lakh|lac', 100000),
  ...words('repeat', 'डबल ट्रिपल', 2),
];

/** Devanagari spellings vary in nukta and in chandrabindu vs anusvara; both sides are keyed without them. */
export const lexiconKey = (word: string) =>
  word
    .normalize('NFC')
    .toLowerCase()
    .replace(/\u093C/g, '')
    .replace(/\u0901/g, '\u0902');

const build = (...lists: Lexicon[]) => new Map(lists.flat().map(([w, e]) => [lexiconKey(w), e]));
// Indian speakers mix English numbers into Hindi freely, so Hindi knows the English words too.
const LEXICONS: Record<RedactionLanguage, Map<string, WordEntry>> = {
  en: build(EN),
  es: build(ES),
  hi: build(
    EN.filter(([w]) => w !== 'and'),
    HI,
  ),
};

export const lookupNumberWord = (language: RedactionLanguage, word: string): WordEntry | undefined =>
  LEXICONS[language].get(lexiconKey(word));

export type Chunk = { text: string; first: number; last: number };

/**
 * Parses the number words of one run (entries[i] belongs to word i) into chunks, each a number the
 * speaker said as a unit; a chunk's text is its decimal digits ("th" appended for an ordinal).
 * Joiners and repeats that join nothing are left out of every chunk (they stay as words).
 */
export function parseNumberRun(run: readonly WordEntry[], pauseBefore: readonly boolean[] = []): Chunk[] {
  type Open = { value: number; first: number; last: number; open: WordKind | null; ordinal: boolean };
  const chunks: Chunk[] = [];
  const state: { cur: Open | null } = { cur: null };
  const close = () => {
    const c = state.cur;
    if (c) chunks.push({ text: `${c.value}${c.ordinal ? 'th' : ''}`, first: c.first, last: c.last });
    state.cur = null;
  };
  const start = (value: number, i: number, open: WordKind | null): Open => {
    close();
    state.cur = { value, first: i, last: i, open, ordinal: false };
    return state.cur;
  };
  // `open` says what the current chunk can still take: after a ten a digit; after hundred/thousand
  // (or a Spanish hundreds word) anything below that place.
  for (let i = 0; i < run.length; i++) {
    const e = run[i]!;
    const next = run[i + 1];
    // A comma (a pause) ends a number: "treinta, ocho" is 30 and 8, not 38.
    if (pauseBefore[i]) close();
    const c = state.cur;
    switch (e.kind) {
      case 'digit':
        if (c && e.value !== 0 && (c.open === 'tens' || c.open === 'hundred' || c.open === 'thousand')) {
          c.value += e.value;
          c.last = i;
          c.open = null;
        } else start(e.value, i, null);
        break;
      case 'ordinal':
        if (c && (c.open === 'tens' || c.open === 'hundred') && e.value < 10) {
          c.value += e.value;
          c.last = i;
          c.ordinal = true;
        } else start(e.value, i, null).ordinal = true;
        close();
        break;
      case 'under100':
        if (c && (c.open === 'hundred' || c.open === 'thousand')) {
          c.value += e.value;
          c.last = i;
          c.open = null;
        } else start(e.value, i, null);
        break;
      case 'tens':
        if (c && (c.open === 'hundred' || c.open === 'thousand')) {
          c.value += e.value;
          c.last = i;
          c.open = 'tens';
        } else start(e.value, i, 'tens');
        break;
      case 'hundreds':
        if (c && c.open === 'thousand' && c.value % 1000 === 0) {
          c.value += e.value;
          c.last = i;
          c.open = 'hundred';
        } else start(e.value, i, 'hundred');
        break;
      case 'hundred':
        if (c && c.value > 0 && c.value < 100 && c.open !== 'hundred') {
          c.value *= 100;
          c.last = i;
          c.open = 'hundred';
        } else start(100, i, 'hundred');
        break;
      case 'thousand':
      case 'lakh':
        if (c && c.value > 0 && c.value < 1000) {
          c.value *= e.value;
          c.last = i;
          c.open = 'thousand';
        } else start(e.value, i, 'thousand');
        break;
      case 'and': {
        // "hundred and five", "cuarenta y cinco": only between parts of one number.
        const joins =
          c &&
          next &&
          (c.open === 'hundred' || c.open === 'thousand' || (c.open === 'tens' && c.value % 10 === 0));
        if (joins && (next.kind === 'digit' || next.kind === 'under100' || next.kind === 'tens')) c.last = i;
        else close();
        break;
      }
      case 'repeat':
        // "double four" is 44, "triple oh" is 000: digits said again, one chunk.
        if (next && next.kind === 'digit') {
          close();
          chunks.push({ text: String(next.value).repeat(e.value), first: i, last: i + 1 });
          i++;
        } else close();
        break;
      default:
        assertNever(e.kind);
    }
  }
  close();
  return chunks;
}

function assertNever(value: never): never {
  throw new Error(`unexpected number word kind ${String(value)}`);
}
