// Language names and codes as servers report them ("english", "English", "en", "en-US") -> ISO 639-1.
const NAMES: Record<string, string> = {
  english: 'en',
  hindi: 'hi',
  spanish: 'es',
  castilian: 'es',
  french: 'fr',
  german: 'de',
  portuguese: 'pt',
  italian: 'it',
  dutch: 'nl',
  russian: 'ru',
  arabic: 'ar',
  chinese: 'zh',
  mandarin: 'zh',
  japanese: 'ja',
  korean: 'ko',
  turkish: 'tr',
  polish: 'pl',
  ukrainian: 'uk',
  vietnamese: 'vi',
  indonesian: 'id',
  thai: 'th',
  bengali: 'bn',
  tamil: 'ta',
  telugu: 'te',
  marathi: 'mr',
  urdu: 'ur',
  gujarati: 'gu',
  kannada: 'kn',
  malayalam: 'ml',
  punjabi: 'pa',
  panjabi: 'pa',
  swedish: 'sv',
  greek: 'el',
  hebrew: 'he',
  persian: 'fa',
  romanian: 'ro',
  czech: 'cs',
  hungarian: 'hu',
  danish: 'da',
  finnish: 'fi',
  norwegian: 'no',
  malay: 'ms',
  tagalog: 'tl',
  filipino: 'tl',
};
const CODES = new Set(Object.values(NAMES));

/** ISO 639-1 code of a language name or code; `null` when it is not recognised. */
export function normaliseLanguage(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.trim().toLowerCase();
  if (NAMES[v]) return NAMES[v];
  const code = v.split(/[-_]/)[0] ?? '';
  if (CODES.has(code) || /^[a-z]{2}$/.test(code)) return code;
  return null;
}

/** The English name of a code, for prompts and display. */
export function languageName(code: string): string {
  return Object.entries(NAMES).find(([, c]) => c === code)?.[0] ?? code;
}
