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

/** The mapping as the prompt shows it: top-level categories with their sub-categories. */
export function categoriesForPrompt(categories: readonly CategoryOption[]): string {
  const tree = categories
    .filter((c) => c.parent === null)
    .map((top) => ({
      code: top.code,
      name: top.name,
      sub_categories: categories
        .filter((s) => s.parent === top.code)
        .map((s) => ({ code: s.code, name: s.name })),
    }));
  return JSON.stringify({ categories: tree }, null, 1);
}

export async function analyseCall(input: {
  endpoint: LlmEndpoint;
  transcript: CallTranscript;
  categories: CategoryOption[];
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<CallAnalysis> {
  const topCodes = input.categories.filter((c) => c.parent === null).map((c) => c.code);
  const subs = input.categories.filter((c) => c.parent !== null && topCodes.includes(c.parent));
  const [firstTop, ...moreTop] = topCodes;
  if (firstTop === undefined) throw new Error('the category mapping has no top-level categories');
  const [firstSub, ...moreSub] = subs.map((c) => c.code);
  const schema = z.object({
    summary: z.string().refine((s) => s.trim() !== '', 'the summary is empty'),
    category: z.enum([firstTop, ...moreTop]),
    sub_category: firstSub === undefined ? z.null() : z.enum([firstSub, ...moreSub]).nullable(),
    sentiment: z.enum(SENTIMENTS),
    key_facts: z.array(z.string()).max(10),
  });
  const { value, model } = await chatJson({
    endpoint: input.endpoint,
    schemaName: 'call_analysis',
    schema,
    messages: promptMessages(
      renderPrompt(LLM1_PROMPT, {
        categories: categoriesForPrompt(input.categories),
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
    summary: value.summary.trim(),
    category: value.category,
    subCategory: value.sub_category,
    sentiment: value.sentiment,
    keyFacts: value.key_facts,
    model,
    promptVersion: LLM1_PROMPT,
  };
}
