// What the simulated speech-to-text "hears": a sample call's script, or a synthetic agent/customer
// conversation seeded by the audio's hash, so the same audio always gives the same transcript.

export type Speaker = 'agent' | 'customer';
/** Times are known for sample calls (samples/*.script.json); synthetic ones are spread over the call. */
export type ScriptSegment = { speaker: Speaker; text: string; start?: number; end?: number };
export type Script = { language: string; segments: ScriptSegment[] };

/** mulberry32: a small seeded generator, so the same seed always gives the same sequence. */
export function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Line =
  | 'greeting'
  | 'noGreeting'
  | 'identity'
  | 'identityReply'
  | 'empathy'
  | 'hold'
  | 'thanksHold'
  | 'disclosure'
  | 'resolved'
  | 'unresolved'
  | 'closing'
  | 'bye';

const LINES: Record<string, Record<Line, string>> = {
  en: {
    greeting: 'Thank you for calling Acme Telecom, my name is Priya, how can I help you today?',
    noGreeting: 'Yes, hello.',
    identity: 'Before we continue, can you verify your date of birth and the postcode on the account?',
    identityReply: 'Sure, it is the twelfth of March, and the postcode is M1 4BT.',
    empathy: 'I am sorry about that, I understand how frustrating this must be.',
    hold: 'May I put you on hold for a moment while I check?',
    thanksHold: 'Thank you for holding.',
    disclosure: 'Please note this call is recorded, and the change carries a fee described in our terms.',
    resolved: 'I have fixed it now and you will see the change within 24 hours.',
    unresolved: 'I cannot fix that today, you will need to call back later.',
    closing: 'To summarise, the issue is sorted. Is there anything else I can help you with? Goodbye.',
    bye: 'Okay, bye.',
  },
  es: {
    greeting: 'Gracias por llamar a Acme Telecom, mi nombre es Lucía, ¿en qué puedo ayudarle hoy?',
    noGreeting: 'Sí, dígame.',
    identity: 'Antes de continuar, ¿puede verificar su fecha de nacimiento y el código postal de la cuenta?',
    identityReply: 'Claro, el doce de marzo, y el código postal es 28001.',
    empathy: 'Lo siento mucho, entiendo lo frustrante que es esto.',
    hold: '¿Puedo ponerle en espera un momento mientras lo reviso?',
    thanksHold: 'Gracias por esperar.',
    disclosure:
      'Le informo que esta llamada se graba, y el cambio tiene una tarifa descrita en las condiciones.',
    resolved: 'Ya lo he solucionado y verá el cambio en 24 horas.',
    unresolved: 'Hoy no puedo solucionarlo, tendrá que volver a llamar.',
    closing: 'En resumen, el problema está resuelto. ¿Hay algo más en lo que pueda ayudarle? Adiós.',
    bye: 'Vale, adiós.',
  },
  hi: {
    greeting: 'एक्मी टेलीकॉम में कॉल करने के लिए धन्यवाद, मेरा नाम प्रिया है, मैं आपकी क्या मदद कर सकती हूँ?',
    noGreeting: 'हाँ, बोलिए।',
    identity: 'आगे बढ़ने से पहले, क्या आप अपनी जन्म तिथि और खाते का पिन कोड बता सकते हैं?',
    identityReply: 'जी, मेरी जन्म तिथि बारह मार्च है।',
    empathy: 'इस परेशानी के लिए मुझे खेद है, मैं समझ सकती हूँ।',
    hold: 'क्या मैं आपको एक मिनट के लिए होल्ड पर रख सकती हूँ?',
    thanksHold: 'होल्ड करने के लिए धन्यवाद।',
    disclosure: 'कृपया ध्यान दें, यह कॉल रिकॉर्ड की जा रही है।',
    resolved: 'मैंने इसे ठीक कर दिया है, आपको चौबीस घंटे में बदलाव दिखेगा।',
    unresolved: 'मैं आज इसे ठीक नहीं कर सकती, आपको बाद में फिर से कॉल करना होगा।',
    closing: 'क्या मैं आपकी और किसी चीज़ में मदद कर सकती हूँ? नमस्ते।',
    bye: 'ठीक है, नमस्ते।',
  },
};

const ISSUES: Record<string, string[]> = {
  en: [
    'I was charged twice on my last bill and I want the extra charge refunded.',
    'My order has not been delivered, it is a week late.',
    'My internet has been down since yesterday, is there an outage?',
    'I want to cancel my contract, the service has been unacceptable.',
    'I would like to upgrade my plan to include more data.',
  ],
  es: [
    'Me cobraron dos veces en la última factura y quiero el reembolso del cargo.',
    'Mi pedido no ha llegado, la entrega lleva una semana de retraso.',
    'Mi internet no funciona desde ayer, ¿hay una avería?',
    'Quiero cancelar mi contrato, el servicio ha sido inaceptable.',
    'Quiero cambiar mi plan para tener más datos.',
  ],
  hi: [
    'मेरे पिछले बिल में दो बार पैसे कटे हैं, मुझे रिफंड चाहिए।',
    'मेरा ऑर्डर अभी तक नहीं आया, डिलीवरी एक हफ्ते लेट है।',
    'कल से मेरा इंटरनेट बंद है, क्या कोई खराबी है?',
    'मैं अपना कॉन्ट्रैक्ट रद्द करना चाहता हूँ, सेवा बहुत खराब रही है।',
    'मैं अपना प्लान अपग्रेड करना चाहता हूँ।',
  ],
};

/**
 * A conversation for `seed` in `language`: greeting, the issue, identity check, empathy, hold, disclosure,
 * resolution and closing, each present or not by the seed, so calls (and their audit answers) differ.
 */
export function syntheticScript(seed: number, language: string): Script {
  const r = rng(seed);
  const l = LINES[language] ?? LINES.en!;
  const issues = ISSUES[language] ?? ISSUES.en!;
  const agent = (line: Line) => ({ speaker: 'agent' as const, text: l[line] });
  const segments: ScriptSegment[] = [agent(r() < 0.85 ? 'greeting' : 'noGreeting')];
  segments.push({ speaker: 'customer', text: issues[Math.floor(r() * issues.length)]! });
  if (r() < 0.75) segments.push(agent('identity'), { speaker: 'customer', text: l.identityReply });
  if (r() < 0.6) segments.push(agent('empathy'));
  if (r() < 0.4) {
    segments.push(agent('hold'));
    if (r() < 0.7) segments.push(agent('thanksHold'));
  }
  if (r() < 0.7) segments.push(agent('disclosure'));
  segments.push(agent(r() < 0.8 ? 'resolved' : 'unresolved'));
  segments.push(agent(r() < 0.8 ? 'closing' : 'bye'));
  return { language, segments };
}

/** Codes a file name may carry to choose the language (those of drizzle/reference/languages.json). */
const HINTS = ['en', 'es', 'hi', 'fr', 'de', 'pt', 'ar', 'ta', 'bn'];

/**
 * A language from the file name (`call_es.wav`, `fr-001.mp3`: a way to simulate an unsupported language),
 * else mostly English, seeded by the audio.
 */
export function languageHint(name: string, seed: number): string {
  for (const [, code] of name.matchAll(/(?:^|[^a-z])([a-z]{2})(?=[^a-z]|$)/gi)) {
    const lower = code?.toLowerCase() ?? '';
    if (HINTS.includes(lower)) return lower;
  }
  const x = rng(seed ^ 0x9e3779b9)();
  return x < 0.8 ? 'en' : x < 0.9 ? 'es' : 'hi';
}

/**
 * A call full of personal data, for testing redaction: a card number read out digit by digit and cut across
 * two segments at a pause, an e-mail address and a phone number. Its times are fixed (17 s), so a test knows
 * where each value is spoken; the values are well-formed (the card passes Luhn, the phone number is valid).
 */
const PII_LINES: Record<'en' | 'es', [Speaker, string][]> = {
  en: [
    ['agent', 'Thank you for calling Acme Telecom, how can I help you today?'],
    ['customer', 'I would like to pay my bill by card, the number is four five three two zero one five one,'],
    ['customer', 'one two eight three zero three six six.'],
    ['agent', 'Thank you. Where should I send the receipt?'],
    [
      'customer',
      'To jane.doe@example.com please, or call me on oh seven seven zero zero nine zero zero one two three.',
    ],
    ['agent', 'Payment done. Is there anything else I can help you with? Goodbye.'],
  ],
  es: [
    ['agent', 'Gracias por llamar a Acme Telecom, ¿en qué puedo ayudarle?'],
    ['customer', 'Quiero pagar con tarjeta, el número es cuatro cinco tres dos cero uno cinco uno,'],
    ['customer', 'uno dos ocho tres cero tres seis seis.'],
    ['agent', 'Gracias. ¿A dónde le envío el recibo?'],
    [
      'customer',
      'A jane.doe@example.com por favor, o llámeme al seis uno dos, tres cuatro cinco, seis siete ocho.',
    ],
    ['agent', 'Pago hecho. ¿Algo más en lo que pueda ayudarle? Adiós.'],
  ],
};
const PII_TIMES: [number, number][] = [
  [0, 2],
  [2, 6],
  [6, 8],
  [8, 10],
  [10, 15],
  [15, 17],
];
/** The card number, e-mail and phone number PII_LINES speak, as a test looks for them. */
export const PII_VALUES = {
  card: '4532015112830366',
  email: 'jane.doe@example.com',
  phone: { en: '07700900123', es: '612345678' },
} as const;

/** A file name that asks for the PII call: `pii` as a word of it (`pii-call.wav`, `call_pii_es.mp3`). */
export function wantsPiiScript(fileName: string): boolean {
  return /(?:^|[^a-z])pii(?=[^a-z]|$)/i.test(fileName);
}

/** The PII call in English, or in Spanish when the file name says `es`. */
export function piiScript(fileName: string): Script {
  const language = /(?:^|[^a-z])es(?=[^a-z]|$)/i.test(fileName) ? 'es' : 'en';
  return {
    language,
    segments: PII_LINES[language].map(([speaker, text], i) => ({
      speaker,
      text,
      start: PII_TIMES[i]![0],
      end: PII_TIMES[i]![1],
    })),
  };
}
