// Deterministic content of the GPU-node simulator: a synthetic agent/customer conversation seeded by the
// audio's hash (or a sample's script), and rule-based "LLM" answers derived from the transcript, so
// different calls get different, explainable results. Nothing here is a model.

export type ScriptSegment = { speaker: 'agent' | 'customer'; text: string };
export type Script = { language: string; segments: ScriptSegment[] };

/** mulberry32: a small seeded generator, so the same audio always gets the same conversation. */
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

type Lines = Record<
  | 'greeting'
  | 'noGreeting'
  | 'identity'
  | 'empathy'
  | 'hold'
  | 'disclosure'
  | 'resolved'
  | 'unresolved'
  | 'closing'
  | 'bye',
  string
>;
const LINES: Record<string, Lines> = {
  en: {
    greeting: 'Thank you for calling Acme Telecom, my name is Priya, how can I help you today?',
    noGreeting: 'Yes, hello.',
    identity: 'Before we continue, can you verify your date of birth and the postcode on the account?',
    empathy: 'I am sorry about that, I understand how frustrating this must be.',
    hold: 'May I put you on hold for a moment while I check? Thank you for holding.',
    disclosure: 'Please note this call is recorded, and the change carries a fee described in our terms.',
    resolved: 'I have fixed it now and you will see the change within 24 hours.',
    unresolved: 'I cannot fix that today, you will need to call back later.',
    closing:
      'To summarise, the issue is sorted. Is there anything else I can help you with? Thank you for calling.',
    bye: 'Okay, bye.',
  },
  es: {
    greeting: 'Gracias por llamar a Acme Telecom, mi nombre es Lucía, ¿en qué puedo ayudarle hoy?',
    noGreeting: 'Sí, dígame.',
    identity: 'Antes de continuar, ¿puede verificar su fecha de nacimiento y el código postal de la cuenta?',
    empathy: 'Lo siento mucho, entiendo lo frustrante que es esto.',
    hold: '¿Puedo ponerle en espera un momento mientras lo reviso? Gracias por esperar.',
    disclosure:
      'Le informo que esta llamada se graba, y el cambio tiene una tarifa descrita en nuestras condiciones.',
    resolved: 'Ya lo he solucionado y verá el cambio en 24 horas.',
    unresolved: 'Hoy no puedo solucionarlo, tendrá que volver a llamar.',
    closing:
      'En resumen, el problema está resuelto. ¿Hay algo más en lo que pueda ayudarle? Gracias por llamar.',
    bye: 'Vale, adiós.',
  },
  hi: {
    greeting:
      'Acme Telecom mein call karne ke liye dhanyavaad, mera naam Priya hai, main aapki kya madad kar sakti hoon?',
    noGreeting: 'Haan, boliye.',
    identity: 'Aage badhne se pehle, kya aap apni janm tithi aur account ka pin code verify kar sakte hain?',
    empathy: 'Mujhe iske liye khed hai, main samajh sakti hoon yeh kitna pareshan karne wala hai.',
    hold: 'Kya main aapko ek minute hold par rakh sakti hoon? Hold karne ke liye dhanyavaad.',
    disclosure:
      'Kripya dhyan dein yeh call record ho rahi hai, aur is badlav par hamari sharton ke anusaar fee lagegi.',
    resolved: 'Maine ise theek kar diya hai, aapko 24 ghante mein badlav dikhega.',
    unresolved: 'Main aaj ise theek nahin kar sakti, aapko baad mein phir call karna hoga.',
    closing:
      'Saaransh mein, samasya hal ho gayi hai. Kya main aur kisi cheez mein madad kar sakti hoon? Call karne ke liye dhanyavaad.',
    bye: 'Theek hai, bye.',
  },
};

const ISSUES: Record<string, string[]> = {
  en: [
    'I was charged twice on my last bill and I want the extra charge refunded.',
    'My order has not been delivered, it is a week late.',
    'My internet has been down since yesterday, there is an outage.',
    'I want to cancel my contract, the service has been unacceptable.',
    'I would like to upgrade my plan to include more data.',
  ],
  es: [
    'Me cobraron dos veces en la última factura y quiero el reembolso del cargo.',
    'Mi pedido no ha llegado, la entrega lleva una semana de retraso.',
    'Mi internet no funciona desde ayer, hay una avería.',
    'Quiero cancelar mi contrato, el servicio ha sido inaceptable.',
    'Quiero cambiar mi plan para tener más datos.',
  ],
  hi: [
    'Mere pichhle bill mein do baar charge laga hai, mujhe refund chahiye.',
    'Mera order deliver nahin hua, delivery ek hafta late hai.',
    'Kal se mera internet band hai, outage hai.',
    'Main apna contract cancel karna chahta hoon, service kharab rahi hai.',
    'Main apna plan upgrade karna chahta hoon.',
  ],
};

/** A conversation for `seed`, in `language` (en, es, hi; other codes get English text tagged with them). */
export function syntheticScript(seed: number, language: string): Script {
  const r = rng(seed);
  const l = LINES[language] ?? LINES.en!;
  const issues = ISSUES[language] ?? ISSUES.en!;
  const segments: ScriptSegment[] = [{ speaker: 'agent', text: r() < 0.85 ? l.greeting : l.noGreeting }];
  segments.push({ speaker: 'customer', text: issues[Math.floor(r() * issues.length)]! });
  if (r() < 0.75) segments.push({ speaker: 'agent', text: l.identity });
  if (r() < 0.6) segments.push({ speaker: 'agent', text: l.empathy });
  if (r() < 0.4) segments.push({ speaker: 'agent', text: l.hold });
  if (r() < 0.7) segments.push({ speaker: 'agent', text: l.disclosure });
  segments.push({ speaker: 'agent', text: r() < 0.8 ? l.resolved : l.unresolved });
  segments.push({ speaker: 'agent', text: r() < 0.8 ? l.closing : l.bye });
  return { language, segments };
}

/** Segments spread over the call's duration, with plausible confidence fields. */
export function timedSegments(script: Script, duration: number, seed: number) {
  const r = rng(seed ^ 0x5bd1e995);
  const weights = script.segments.map((s) => s.text.length + 20);
  const total = weights.reduce((a, b) => a + b, 0);
  let t = 0;
  return script.segments.map((s, i) => {
    const length = (duration * weights[i]!) / total;
    const segment = {
      id: i,
      seek: Math.floor(t * 100),
      start: Math.round(t * 100) / 100,
      end: Math.round((t + length) * 100) / 100,
      text: ` ${s.text}`,
      tokens: [] as number[],
      temperature: 0,
      avg_logprob: -0.1 - r() * 0.3,
      compression_ratio: 1.2 + r() * 0.4,
      no_speech_prob: r() * 0.05,
      speaker: s.speaker,
    };
    t += length;
    return segment;
  });
}
