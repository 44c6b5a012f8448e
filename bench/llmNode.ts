// Measures a running LLM node (ops/llm.sh start) with cofi's own LLM1 and LLM2 clients on a sample call:
// per-stage latency, requests used (chatJson retries rejected answers), validity, the answers, the node's RSS.
// Usage: npx tsx bench/llmNode.ts [runs=3] [sample=billing-dispute-en]; LLM_NODE_URL, LLM_NODE_MODEL.
import { readFileSync } from 'node:fs';
import { analyseCall, type CallAnalysis, type CallTranscript } from '../core/inference/analysis.js';
import { answerQuestionnaire, type QuestionnaireResult } from '../core/inference/questionnaire.js';
import { referenceData } from '../drizzle/referenceData.js';

const runs = Number(process.argv[2] ?? 3);
const sampleName = process.argv[3] ?? 'billing-dispute-en';
const url = process.env.LLM_NODE_URL ?? `http://127.0.0.1:${process.env.LLM_NODE_PORT ?? 9210}`;
const endpoint = { id: 'llm-node', url, capacity: 1, model: process.env.LLM_NODE_MODEL ?? 'gemma-3-270m' };

/** A sample's script as the transcript the STT stage stores (segments with speakers, the joined text). */
function scriptTranscript(name: string): CallTranscript {
  const script = JSON.parse(
    readFileSync(new URL(`../samples/${name}.script.json`, import.meta.url), 'utf8'),
  ) as {
    language: string;
    segments: { speaker: string; start: number; end: number; text: string }[];
  };
  const segments = script.segments.map((s, id) => ({ id, ...s }));
  return { text: segments.map((s) => s.text).join(' '), segments, lang: script.language };
}

const data = referenceData();
const questions = data.processes[0]!.questions.map((q) => ({ ...q, guidance: q.guidance ?? null }));
const categories = data.mappings[0]!.categories.flatMap((top) => [
  { code: top.code, name: top.name, parent: null },
  ...(top.children ?? []).map((c) => ({ code: c.code, name: c.name, parent: top.code })),
]);

type NodeMetrics = {
  requests: number;
  completion_tokens: number;
  rss_bytes: number;
  peak_rss_bytes: number;
  js_heap_bytes: number;
};
const nodeMetrics = async () => (await (await fetch(`${url}/metrics`)).json()) as NodeMetrics;

async function stage<T>(fn: () => Promise<T>) {
  const before = await nodeMetrics();
  const started = performance.now();
  let value: T | undefined;
  let error: string | undefined;
  try {
    value = await fn();
  } catch (err) {
    error = (err as Error).message;
  }
  const seconds = (performance.now() - started) / 1000;
  const after = await nodeMetrics();
  return {
    value,
    error,
    seconds: Math.round(seconds * 10) / 10,
    requests: after.requests - before.requests,
    tokens: after.completion_tokens - before.completion_tokens,
  };
}

const transcript = scriptTranscript(sampleName);
console.log(`LLM node ${url} (${endpoint.model}), sample ${sampleName}, ${runs} runs`);
let last: { analysis?: CallAnalysis; answers?: QuestionnaireResult } = {};
for (let run = 1; run <= runs; run++) {
  const llm1 = await stage(() => analyseCall({ endpoint, transcript, categories }));
  const llm2 = await stage(() =>
    answerQuestionnaire({ endpoint, transcript, analysis: llm1.value ?? null, questions }),
  );
  const line = (name: string, s: typeof llm1 | typeof llm2) =>
    `${name} ${s.error ? `INVALID (${s.error.slice(0, 160)})` : 'valid'}: ${s.seconds} s, ${s.requests} request(s), ${s.tokens} tokens`;
  console.log(`run ${run}: ${line('LLM1', llm1)}; ${line('LLM2', llm2)}`);
  last = { analysis: llm1.value, answers: llm2.value };
}
const m = await nodeMetrics();
const mib = (n: number) => `${(n / 2 ** 20).toFixed(0)} MiB`;
console.log(
  `node RSS now ${mib(m.rss_bytes)} (JS heap ${mib(m.js_heap_bytes)}), peak ${mib(m.peak_rss_bytes)}`,
);
if (last.analysis) {
  const { summary, category, subCategory, sentiment, keyFacts } = last.analysis;
  console.log('LLM1 answer:', JSON.stringify({ summary, category, subCategory, sentiment, keyFacts }));
}
if (last.answers) {
  const byId = new Map(questions.map((q) => [q.id, q.code]));
  const answers = last.answers.answers.map(
    (a) => `${byId.get(a.questionId)}=${a.answer} (${JSON.stringify(a.evidence)})`,
  );
  console.log(`LLM2 answers (score ${last.answers.callScore}):\n  ${answers.join('\n  ')}`);
}
