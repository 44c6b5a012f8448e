// The simulator's stand-in for an LLM: plain keyword rules over the transcript in cofi's prompt, with the
// category and question codes read from the prompt's JSON block. Explainable and deterministic; not a model.

type Line = { speaker: string | null; text: string };
export type PromptCategory = {
  code: string;
  name: string;
  sub_categories?: { code: string; name: string }[];
};
export type PromptQuestion = { code: string; type: string; question: string };
export type PromptTask =
  | { kind: 'analysis'; categories: PromptCategory[]; lines: Line[] }
  | { kind: 'questionnaire'; questions: PromptQuestion[]; lines: Line[] };

/** Keywords in English, Spanish and Hindi (the languages of the synthetic conversations and samples). */
const KEYWORDS = {
  greeting: [
    'thank you for calling',
    'my name is',
    'gracias por llamar',
    'mi nombre es',
    'मेरा नाम',
    'धन्यवाद',
  ],
  identity: [
    'date of birth',
    'verify',
    'postcode',
    'fecha de nacimiento',
    'verificar',
    'código postal',
    'जन्म तिथि',
    'पिन कोड',
  ],
  empathy: ['sorry', 'understand', 'lo siento', 'entiendo', 'खेद', 'समझ सकती'],
  summarise: ['to summarise', 'en resumen', 'सारांश'],
  hold: ['on hold', 'en espera', 'होल्ड पर'],
  thanksHold: ['thank you for holding', 'thanks for holding', 'gracias por esperar', 'होल्ड करने के लिए धन्यवाद'],
  disclosure: ['recorded', 'se graba', 'grabada', 'रिकॉर्ड'],
  resolved: [
    'fixed it',
    'i have fixed',
    'refund is on its way',
    'solucionado',
    'resuelto',
    'ठीक कर दिया',
    'अपग्रेड कर दिया',
  ],
  closing: ['anything else', 'algo más', 'और किसी'],
  negative: ['unacceptable', 'charged twice', 'terrible', 'inaceptable', 'dos veces', 'खराब', 'दो बार'],
};
/** Call reason by keyword: [keywords, category code, sub-category code]. */
const TOPICS: [string[], string, string][] = [
  [
    ['charged twice', 'bill', 'refund', 'factura', 'cobraron', 'reembolso', 'बिल', 'रिफंड'],
    'billing',
    'billing_dispute',
  ],
  [['deliver', 'order', 'pedido', 'entrega', 'ऑर्डर', 'डिलीवरी'], 'orders', 'delivery_problem'],
  [['internet', 'outage', 'avería', 'इंटरनेट'], 'technical_support', 'service_outage'],
  [['cancel', 'cancelar', 'रद्द'], 'account', 'cancellation'],
  [['upgrade', 'plan', 'प्लान'], 'account', 'plan_change'],
];

const has = (text: string, words: string[]) => words.some((w) => text.toLowerCase().includes(w));
const find = (lines: Line[], words: string[]) => lines.find((l) => has(l.text, words)) ?? null;

/** Reads cofi's prompt: the JSON block says the task and its codes, <transcript> holds the call. */
export function readPrompt(messages: { role: string; content: string }[]): PromptTask | null {
  const all = messages.map((m) => m.content).join('\n');
  const block = /```json\s*([\s\S]*?)```/.exec(all)?.[1];
  const transcript = /<transcript>([\s\S]*?)<\/transcript>/.exec(all)?.[1] ?? '';
  if (!block) return null;
  let data: { categories?: PromptCategory[]; questions?: PromptQuestion[] };
  try {
    data = JSON.parse(block) as typeof data;
  } catch {
    return null;
  }
  const lines = transcript
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => {
      const m = /^(?:\[[\d.]+s\]\s*)?(?:(agent|customer|[\w-]+):\s)?(.*)$/i.exec(l);
      return { speaker: m?.[1]?.toLowerCase() ?? null, text: (m?.[2] ?? l).trim() };
    });
  if (data.categories) return { kind: 'analysis', categories: data.categories, lines };
  if (data.questions) return { kind: 'questionnaire', questions: data.questions, lines };
  return null;
}

export function analysisAnswer(categories: PromptCategory[], lines: Line[]) {
  const text = lines.map((l) => l.text).join('\n');
  const topic = TOPICS.find(([words]) => has(text, words));
  const chosen =
    categories.find((c) => c.code === topic?.[1]) ??
    categories.find((c) => c.code === 'general_enquiry') ??
    categories[0];
  const sub = chosen?.sub_categories?.find((s) => s.code === topic?.[2])?.code ?? null;
  const issue = lines.find((l) => l.speaker === 'customer')?.text ?? 'an enquiry';
  const resolved = has(text, KEYWORDS.resolved);
  const negative = has(text, KEYWORDS.negative);
  return {
    summary: `The customer called about: ${issue} The agent ${resolved ? 'resolved it on the call' : 'did not resolve it on the call'}.`,
    category: chosen?.code ?? 'unknown',
    sub_category: sub,
    sentiment:
      negative && !resolved ? 'negative' : resolved ? (negative ? 'neutral' : 'positive') : 'neutral',
    key_facts: [
      `reason: ${sub ?? chosen?.code ?? 'unknown'}`,
      has(text, KEYWORDS.identity) ? 'identity verified' : 'identity not verified',
      resolved ? 'resolved on the call' : 'not resolved on the call',
    ],
  };
}

type Verdict = { value: boolean | number | 'na'; evidence: Line | null };
const yesIf = (line: Line | null): Verdict => ({ value: line !== null, evidence: line });

/** One rule per audit topic, found by the question's code or, failing that, words of its text. */
const RULES: [RegExp, (lines: Line[]) => Verdict][] = [
  [
    /greet/,
    (lines) => {
      // Only the agent's opening counts: a "thank you for calling" at the end is no greeting.
      const first = lines.find((l) => l.speaker !== 'customer') ?? null;
      return yesIf(first && has(first.text, KEYWORDS.greeting) ? first : null);
    },
  ],
  [/identity|verif/, (lines) => yesIf(find(lines, KEYWORDS.identity))],
  [
    /listen|restate/,
    (lines) => {
      const shown = [
        find(lines, KEYWORDS.identity),
        find(lines, KEYWORDS.empathy),
        find(lines, KEYWORDS.summarise),
      ];
      return { value: 2 + shown.filter(Boolean).length, evidence: shown.find(Boolean) ?? null };
    },
  ],
  [
    /empath|feeling|acknowledge/,
    (lines) => ({ value: find(lines, KEYWORDS.empathy) ? 5 : 2, evidence: find(lines, KEYWORDS.empathy) }),
  ],
  [/resol/, (lines) => yesIf(find(lines, KEYWORDS.resolved))],
  [/disclos|complian|record/, (lines) => yesIf(find(lines, KEYWORDS.disclosure))],
  [
    /hold/,
    (lines) =>
      find(lines, KEYWORDS.hold) ? yesIf(find(lines, KEYWORDS.thanksHold)) : { value: 'na', evidence: null },
  ],
  [/accura/, (lines) => ({ value: true, evidence: find(lines, KEYWORDS.resolved) })],
  [/clos|anything else/, (lines) => yesIf(find(lines, KEYWORDS.closing))],
];

/** A verdict spelled as the question type wants it. */
function spell(type: string, value: Verdict['value']): string {
  if (type === 'scale_1_5')
    return value === 'na' ? '3' : typeof value === 'number' ? String(value) : value ? '5' : '2';
  if (value === 'na') return type === 'yes_no_na' ? 'na' : 'yes';
  const yes = typeof value === 'number' ? value >= 3 : value;
  return yes ? 'yes' : 'no';
}

export function questionnaireAnswer(questions: PromptQuestion[], lines: Line[]) {
  const answers: Record<string, { answer: string; evidence: string | null }> = {};
  for (const q of questions) {
    const rule =
      RULES.find(([re]) => re.test(q.code)) ?? RULES.find(([re]) => re.test(q.question.toLowerCase()));
    const verdict: Verdict = rule ? rule[1](lines) : { value: true, evidence: null };
    answers[q.code] = { answer: spell(q.type, verdict.value), evidence: verdict.evidence?.text ?? null };
  }
  return { answers };
}
