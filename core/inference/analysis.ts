// LLM1: the analysis of a call (summary, category from the call's mapping, sentiment, key facts).
import { z } from 'zod';
import type { TranscriptSegment } from '../../drizzle/schema/results.js';
import type { LlmEndpoint } from '../config.js';
import { languageName } from './languages.js';
import { chatJson } from './llm.js';
import { promptMessages, renderPrompt } from './prompts.js';

export const LLM1_PROMPT = 'llm1-analysis.v1';
export const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

export type CallTranscript = { text: string; segments: TranscriptSegment[]; lang: string | null };
export type CategoryOption = { code: string; name: string; parent: string | null };

export type CallAnalysis = {
  summary: string;
  category: string;
  subCategory: string | null;
  sentiment: (typeof SENTIMENTS)[number];
  keyFacts: string[];
  model: string;
  promptVersion: string;
};

/** The transcript as the prompts show it: one line per segment, with time and speaker when known. */
export function transcriptForPrompt(t: CallTranscript): string {
  if (t.segments.length === 0) return t.text;
  return t.segments
    .map((s) => `[${s.start.toFixed(1)}s]${s.speaker ? ` ${s.speaker}:` : ''} ${s.text}`)
    .join('\n');
}

export async function analyseCall(input: {
  endpoint: LlmEndpoint;
  transcript: CallTranscript;
  categories: CategoryOption[];
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<CallAnalysis> {
  const top = input.categories.filter((c) => c.parent === null);
  const subs = input.categories.filter((c) => c.parent !== null);
  if (top.length === 0) throw new Error('the category mapping has no categories');
  const schema = z.object({
    summary: z.string().min(1),
    category: z.enum(top.map((c) => c.code) as [string, ...string[]]),
    sub_category: z.string().nullable(),
    sentiment: z.enum(SENTIMENTS),
    key_facts: z.array(z.string()).max(10),
  });
  const jsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['summary', 'category', 'sub_category', 'sentiment', 'key_facts'],
    properties: {
      summary: { type: 'string' },
      category: { type: 'string', enum: top.map((c) => c.code) },
      sub_category: { type: ['string', 'null'], enum: [...subs.map((c) => c.code), null] },
      sentiment: { type: 'string', enum: [...SENTIMENTS] },
      key_facts: { type: 'array', items: { type: 'string' }, maxItems: 10 },
    },
  };
  const categories = top
    .map((c) => {
      const children = subs.filter((s) => s.parent === c.code).map((s) => `${s.code}: ${s.name}`);
      return `- ${c.code}: ${c.name}${children.length ? `\n  - ${children.join('\n  - ')}` : ''}`;
    })
    .join('\n');
  const { value, model } = await chatJson({
    endpoint: input.endpoint,
    schemaName: 'call_analysis',
    schema,
    jsonSchema,
    messages: promptMessages(
      renderPrompt(LLM1_PROMPT, {
        categories,
        language: input.transcript.lang ? languageName(input.transcript.lang) : 'unknown',
        transcript: transcriptForPrompt(input.transcript),
      }),
    ),
    check: (v) =>
      v.sub_category !== null && !subs.some((s) => s.code === v.sub_category && s.parent === v.category)
        ? `sub_category "${v.sub_category}" is not under category "${v.category}"`
        : null,
    timeoutMs: input.timeoutMs,
    signal: input.signal,
  });
  return {
    summary: value.summary,
    category: value.category,
    subCategory: value.sub_category,
    sentiment: value.sentiment,
    keyFacts: value.key_facts,
    model,
    promptVersion: LLM1_PROMPT,
  };
}
