// The simulator's stand-in for an LLM: plain keyword rules over the transcript, shaped by the JSON schema
// the request carries (its enums list the category and answer codes). Explainable, deterministic.

type JsonSchema = { properties?: Record<string, JsonSchema>; enum?: (string | null)[]; required?: string[] };

const has = (text: string, words: string[]) => words.some((w) => text.includes(w));
const KEYWORDS = {
  greeting: ['thank you for calling', 'gracias por llamar', 'call karne ke liye dhanyavaad'],
  identity: ['date of birth', 'fecha de nacimiento', 'janm tithi', 'verify'],
  empathy: ['sorry', 'understand', 'lo siento', 'entiendo', 'khed hai', 'samajh'],
  hold: ['on hold', 'en espera', 'hold par'],
  thanksHold: ['thank you for holding', 'gracias por esperar', 'hold karne ke liye dhanyavaad'],
  disclosure: ['recorded', 'se graba', 'record ho rahi'],
  resolved: ['fixed it', 'solucionado', 'theek kar diya'],
  closing: ['anything else', 'algo más', 'aur kisi cheez'],
  negative: ['unacceptable', 'inaceptable', 'kharab', 'charged twice', 'dos veces'],
};
const TOPICS: [string[], string, string][] = [
  [['charged twice', 'bill', 'factura', 'refund', 'reembolso'], 'billing', 'billing_dispute'],
  [['deliver', 'order', 'pedido', 'entrega'], 'orders', 'delivery_problem'],
  [['internet', 'outage', 'avería', 'down'], 'technical_support', 'service_outage'],
  [['cancel', 'cancelar'], 'account', 'cancellation'],
  [['upgrade', 'plan'], 'account', 'plan_change'],
];

export function transcriptOf(messages: { role: string; content: string }[]): string {
  const user = messages
    .filter((m) => m.role === 'user')
    .map((m) => m.content)
    .join('\n');
  const match = /<transcript>([\s\S]*?)<\/transcript>/.exec(user);
  return (match?.[1] ?? user).trim();
}

const pick = (options: (string | null)[] | undefined, wanted: string | null, fallback?: string | null) =>
  options?.includes(wanted)
    ? wanted
    : fallback !== undefined && options?.includes(fallback)
      ? fallback
      : (options?.[0] ?? wanted);

export function analysisAnswer(schema: JsonSchema, transcript: string) {
  const text = transcript.toLowerCase();
  const topic = TOPICS.find(([words]) => has(text, words));
  const categories = schema.properties?.category?.enum;
  const category = pick(categories, topic?.[1] ?? 'general_enquiry');
  const sub = topic && category === topic[1] ? topic[2] : null;
  const firstCustomer = transcript
    .split('\n')
    .find((l) => /customer:/i.test(l))
    ?.replace(/^.*customer:\s*/i, '');
  const resolved = has(text, KEYWORDS.resolved);
  return {
    summary: `The customer called about: ${firstCustomer ?? 'an enquiry'} The agent ${resolved ? 'resolved it on the call' : 'could not resolve it on the call'}.`,
    category,
    sub_category: schema.properties?.sub_category?.enum?.includes(sub) ? sub : null,
    sentiment: has(text, KEYWORDS.negative) ? (resolved ? 'neutral' : 'negative') : 'positive',
    key_facts: [
      topic ? `topic: ${topic[2]}` : 'topic: general',
      resolved ? 'resolved on the call' : 'not resolved',
    ],
  };
}

/** The line of the transcript that contains one of `words`, as evidence. */
function evidence(transcript: string, words: string[]): string | null {
  const line = transcript.split('\n').find((l) => has(l.toLowerCase(), words));
  return line ? line.replace(/^\[[\d.]+s\]\s*/, '').trim() : null;
}

export function questionnaireAnswer(schema: JsonSchema, transcript: string) {
  const text = transcript.toLowerCase();
  const questions = schema.properties?.answers?.properties ?? {};
  const answers: Record<string, { answer: string | null; evidence: string | null }> = {};
  for (const [code, q] of Object.entries(questions)) {
    const options = q.properties?.answer?.enum;
    const yesNo = (words: string[]) => {
      const found = evidence(transcript, words);
      return { answer: pick(options, found ? 'yes' : 'no'), evidence: found };
    };
    const scale = (words: string[], strong: number) => {
      const found = evidence(transcript, words);
      return { answer: pick(options, found ? String(strong) : '2'), evidence: found };
    };
    switch (code) {
      case 'greeting':
        answers[code] = yesNo(KEYWORDS.greeting);
        break;
      case 'identity_verification':
        answers[code] = yesNo(KEYWORDS.identity);
        break;
      case 'active_listening':
        answers[code] = scale(KEYWORDS.identity, has(text, KEYWORDS.empathy) ? 5 : 4);
        break;
      case 'empathy':
        answers[code] = scale(KEYWORDS.empathy, 5);
        break;
      case 'resolution':
        answers[code] = yesNo(KEYWORDS.resolved);
        break;
      case 'compliance_disclosure':
        answers[code] = yesNo(KEYWORDS.disclosure);
        break;
      case 'hold_etiquette':
        answers[code] = has(text, KEYWORDS.hold)
          ? yesNo(KEYWORDS.thanksHold)
          : { answer: pick(options, 'na', 'yes'), evidence: null };
        break;
      case 'accurate_information':
        answers[code] = { answer: pick(options, 'yes'), evidence: evidence(transcript, KEYWORDS.resolved) };
        break;
      case 'closing':
        answers[code] = yesNo(KEYWORDS.closing);
        break;
      default:
        answers[code] = { answer: pick(options, 'yes'), evidence: null };
    }
  }
  return { answers };
}
