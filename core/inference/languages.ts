// Language names and codes as servers report them ("english", "Hindi", "en", "EN", "en-US") -> ISO 639-1.

/** ISO 639-1 code -> English name, then other spellings servers use (ISO 639-2 codes, Whisper's aliases). */
const TABLE: Record<string, readonly string[]> = {
  en: ['English', 'eng'],
  zh: ['Chinese', 'zho', 'chi', 'mandarin'],
  de: ['German', 'deu', 'ger'],
  es: ['Spanish', 'spa', 'castilian'],
  ru: ['Russian', 'rus'],
  ko: ['Korean', 'kor'],
  fr: ['French', 'fra', 'fre'],
  ja: ['Japanese', 'jpn'],
  pt: ['Portuguese', 'por'],
  tr: ['Turkish', 'tur'],
  pl: ['Polish', 'pol'],
  ca: ['Catalan', 'cat', 'valencian'],
  nl: ['Dutch', 'nld', 'dut', 'flemish'],
  ar: ['Arabic', 'ara'],
  sv: ['Swedish', 'swe'],
  it: ['Italian', 'ita'],
  id: ['Indonesian', 'ind'],
  hi: ['Hindi', 'hin'],
  fi: ['Finnish', 'fin'],
  vi: ['Vietnamese', 'vie'],
  he: ['Hebrew', 'heb', 'iw'],
  uk: ['Ukrainian', 'ukr'],
  el: ['Greek', 'ell', 'gre'],
  ms: ['Malay', 'msa', 'may'],
  cs: ['Czech', 'ces', 'cze'],
  ro: ['Romanian', 'ron', 'rum', 'moldavian', 'moldovan'],
  da: ['Danish', 'dan'],
  hu: ['Hungarian', 'hun'],
  ta: ['Tamil', 'tam'],
  no: ['Norwegian', 'nor', 'nb', 'nob', 'nn', 'nno'],
  th: ['Thai', 'tha'],
  ur: ['Urdu', 'urd'],
  hr: ['Croatian', 'hrv'],
  bg: ['Bulgarian', 'bul'],
  lt: ['Lithuanian', 'lit'],
  la: ['Latin', 'lat'],
  ml: ['Malayalam', 'mal'],
  cy: ['Welsh', 'cym', 'wel'],
  sk: ['Slovak', 'slk', 'slo'],
  te: ['Telugu', 'tel'],
  fa: ['Persian', 'fas', 'per', 'farsi'],
  bn: ['Bengali', 'ben', 'bangla'],
  sr: ['Serbian', 'srp'],
  mr: ['Marathi', 'mar'],
  gu: ['Gujarati', 'guj'],
  kn: ['Kannada', 'kan'],
  pa: ['Punjabi', 'pan', 'panjabi'],
  ne: ['Nepali', 'nep'],
  sw: ['Swahili', 'swa'],
  tl: ['Tagalog', 'tgl', 'filipino', 'fil'],
};

/** Lower-case spelling -> code. A Map, so a name like "constructor" cannot hit Object.prototype. */
const LOOKUP = new Map<string, string>();
for (const [code, [name, ...aliases]] of Object.entries(TABLE)) {
  LOOKUP.set(code, code);
  for (const spelling of [name, ...aliases]) if (spelling) LOOKUP.set(spelling.toLowerCase(), code);
}

/** The ISO 639-1 codes this table knows (at least Whisper's ~30 most common languages). */
export const KNOWN_LANGUAGES: readonly string[] = Object.keys(TABLE);

/**
 * ISO 639-1 code of a language name or code; `null` when it is not recognised. A two-letter code missing
 * from the table is kept as it is (servers only send real codes), region and script subtags are dropped.
 */
export function normaliseLanguage(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  const known = LOOKUP.get(v);
  if (known) return known;
  const primary = v.split(/[-_]/)[0] ?? '';
  const code = LOOKUP.get(primary);
  if (code && primary.length <= 3) return code;
  return /^[a-z]{2}$/.test(primary) ? primary : null;
}

/** The English name of a code ("en" -> "English"), for prompts and display; the code itself if unknown. */
export function languageName(code: string): string {
  return TABLE[code]?.[0] ?? code;
}
