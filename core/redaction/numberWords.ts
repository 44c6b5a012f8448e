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

const entries = (kind: WordKind, words: Record<string, number>): [string, WordEntry][] =>
  Object.entries(words).map(([w, value]) => [w, { kind, value }]);

const EN: [string, WordEntry][] = [
  ...entries('digit', {
    zero: 0,
    oh: 0,
    nought: 0,
    nil: 0,
    one: 1,
    two: 2,
    three: 3,
    four: 4,
    five: 5,
    six: 6,
    seven: 7,
    eight: 8,
    nine: 9,
  }),
  ...entries('under100', {
    ten: 10,
    eleven: 11,
    twelve: 12,
    thirteen: 13,
    fourteen: 14,
    fifteen: 15,
    sixteen: 16,
    seventeen: 17,
    eighteen: 18,
    nineteen: 19,
  }),
  ...entries('tens', {
    twenty: 20,
    thirty: 30,
    forty: 40,
    fourty: 40,
    fifty: 50,
    sixty: 60,
    seventy: 70,
    eighty: 80,
    ninety: 90,
  }),
  ...entries('hundred', { hundred: 100 }),
  ...entries('thousand', { thousand: 1000 }),
  ...entries('and', { and: 0 }),
  ...entries('repeat', { double: 2, triple: 3 }),
  ...entries('ordinal', {
    first: 1,
    second: 2,
    third: 3,
    fourth: 4,
    fifth: 5,
    sixth: 6,
    seventh: 7,
    eighth: 8,
    ninth: 9,
    tenth: 10,
    eleventh: 11,
    twelfth: 12,
    thirteenth: 13,
    fourteenth: 14,
    fifteenth: 15,
    sixteenth: 16,
    seventeenth: 17,
    eighteenth: 18,
    nineteenth: 19,
    twentieth: 20,
    thirtieth: 30,
  }),
];

const ES: [string, WordEntry][] = [
  ...entries('digit', {
    cero: 0,
    uno: 1,
    un: 1,
    una: 1,
    dos: 2,
    tres: 3,
    cuatro: 4,
    cinco: 5,
    seis: 6,
    siete: 7,
    ocho: 8,
    nueve: 9,
  }),
  ...entries('under100', {
    diez: 10,
    once: 11,
    doce: 12,
    trece: 13,
    catorce: 14,
    quince: 15,
    dieciséis: 16,
    dieciseis: 16,
    diecisiete: 17,
    dieciocho: 18,
    diecinueve: 19,
    veintiuno: 21,
    veintiún: 21,
    veintiun: 21,
    veintiuna: 21,
    veintidós: 22,
    veintidos: 22,
    veintitrés: 23,
    veintitres: 23,
    veinticuatro: 24,
    veinticinco: 25,
    veintiséis: 26,
    veintiseis: 26,
    veintisiete: 27,
    veintiocho: 28,
    veintinueve: 29,
  }),
  ...entries('tens', {
    veinte: 20,
    treinta: 30,
    cuarenta: 40,
    cincuenta: 50,
    sesenta: 60,
    setenta: 70,
    ochenta: 80,
    noventa: 90,
  }),
  ...entries('hundreds', {
    cien: 100,
    ciento: 100,
    doscientos: 200,
    doscientas: 200,
    trescientos: 300,
    trescientas: 300,
    cuatrocientos: 400,
    cuatrocientas: 400,
    quinientos: 500,
    quinientas: 500,
    seiscientos: 600,
    seiscientas: 600,
    setecientos: 700,
    setecientas: 700,
    ochocientos: 800,
    ochocientas: 800,
    novecientos: 900,
    novecientas: 900,
  }),
  ...entries('thousand', { mil: 1000 }),
  ...entries('and', { y: 0 }),
  ...entries('repeat', { doble: 2, triple: 3 }),
  ...entries('ordinal', { primero: 1, primer: 1 }),
];

// Hindi says every number below 100 as its own word; in Devanagari and in common romanisations.
const HI_DEVANAGARI = [
  'शून्य',
  'एक',
  'दो',
  'तीन',
  'चार',
  'पांच पाँच',
  'छह छः छ: छे',
  'सात',
  'आठ',
  'नौ',
  'दस',
  'ग्यारह',
  'बारह',
  'तेरह',
  'चौदह',
  'पंद्रह पन्द्रह',
  'सोलह',
  'सत्रह',
  'अठारह',
  'उन्नीस',
  'बीस',
  'इक्कीस',
  'बाईस',
  'तेईस',
  'चौबीस',
  'पच्चीस',
  'छब्बीस',
  'सत्ताईस',
  'अट्ठाईस अठ्ठाईस',
  'उनतीस',
  'तीस',
  'इकतीस इकत्तीस',
  'बत्तीस',
  'तैंतीस',
  'चौंतीस',
  'पैंतीस',
  'छत्तीस',
  'सैंतीस',
  'अड़तीस',
  'उनतालीस',
  'चालीस',
  'इकतालीस',
  'बयालीस',
  'तैंतालीस',
  'चवालीस चौवालीस',
  'पैंतालीस',
  'छियालीस',
  'सैंतालीस',
  'अड़तालीस',
  'उनचास',
  'पचास',
  'इक्यावन',
  'बावन',
  'तिरेपन तिरपन',
  'चौवन',
  'पचपन',
  'छप्पन',
  'सत्तावन',
  'अट्ठावन',
  'उनसठ',
  'साठ',
  'इकसठ',
  'बासठ',
  'तिरेसठ',
  'चौंसठ',
  'पैंसठ',
  'छियासठ',
  'सड़सठ',
  'अड़सठ',
  'उनहत्तर',
  'सत्तर',
  'इकहत्तर',
  'बहत्तर',
  'तिहत्तर',
  'चौहत्तर',
  'पचहत्तर',
  'छिहत्तर',
  'सतहत्तर',
  'अठहत्तर',
  'उन्यासी उनासी',
  'अस्सी',
  'इक्यासी',
  'बयासी',
  'तिरासी',
  'चौरासी',
  'पचासी',
  'छियासी',
  'सत्तासी',
  'अट्ठासी',
  'नवासी',
  'नब्बे',
  'इक्यानवे',
  'बानवे',
  'तिरानवे',
  'चौरानवे',
  'पंचानवे पचानवे',
  'छियानवे',
  'सत्तानवे',
  'अट्ठानवे',
  'निन्यानवे',
];
// Romanised Hindi: the digits, the teens and the round tens; other tens-and-units words vary too much
// in spelling to list (a documented gap).
const HI_ROMAN: Record<string, number> = {
  shunya: 0,
  shoonya: 0,
  sunya: 0,
  ek: 1,
  do: 2,
  teen: 3,
  tin: 3,
  char: 4,
  chaar: 4,
  paanch: 5,
  panch: 5,
  chhah: 6,
  chhe: 6,
  chah: 6,
  che: 6,
  cheh: 6,
  saat: 7,
  sat: 7,
  aath: 8,
  aat: 8,
  nau: 9,
  das: 10,
  gyarah: 11,
  gyaarah: 11,
  barah: 12,
  baarah: 12,
  terah: 13,
  chaudah: 14,
  pandrah: 15,
  solah: 16,
  satrah: 17,
  atharah: 18,
  athaarah: 18,
  unnis: 19,
  unnees: 19,
  bees: 20,
  tees: 30,
  chalis: 40,
  chaalis: 40,
  pachas: 50,
  pachaas: 50,
  saath: 60,
  sattar: 70,
  assi: 80,
  nabbe: 90,
};
const HI: [string, WordEntry][] = [
  ...HI_DEVANAGARI.flatMap((words, value) =>
    words
      .split(' ')
      .map(
        (w) => [w, { kind: value < 10 ? 'digit' : 'under100', value } as WordEntry] as [string, WordEntry],
      ),
  ),
  ...Object.entries(HI_ROMAN).map(
    ([w, value]) =>
      [w, { kind: value < 10 ? 'digit' : 'under100', value } as WordEntry] as [string, WordEntry],
  ),
  ...entries('hundred', { सौ: 100, sau: 100 }),
  ...entries('thousand', { हज़ार: 1000, हजार: 1000, hazaar: 1000, hazar: 1000, hajar: 1000 }),
  ...entries('lakh', { लाख: 100000, lakh: 100000, lac: 100000 }),
  ...entries('repeat', { डबल: 2, ट्रिपल: 3 }),
];

/** Devanagari spellings vary in nukta and in chandrabindu vs anusvara; both sides are keyed without them. */
export const lexiconKey = (word: string) =>
  word
    .normalize('NFC')
    .toLowerCase()
    .replace(/\u093C/g, '')
    .replace(/\u0901/g, '\u0902');

const build = (...lists: [string, WordEntry][][]) =>
  new Map(lists.flat().map(([w, e]) => [lexiconKey(w), e]));
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
