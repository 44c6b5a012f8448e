// LLM2: answers to the call's audit questionnaire, with evidence; cofi scores them from the question
// weights itself, so a score never depends on the model's arithmetic.
import { z } from 'zod';
import type { AnswerType } from '../../drizzle/schema/reference.js';
import type { LlmEndpoint } from '../config.js';
import { type CallTranscript, transcriptForPrompt } from './analysis.js';
import { chatJson } from './llm.js';
import { promptMessages, renderPrompt } from './prompts.js';

export const LLM2_PROMPT = 'llm2-questionnaire.v1';

export const ANSWERS: Record<AnswerType, readonly string[]> = {
  yes_no: ['yes', 'no'],
  yes_no_na: ['yes', 'no', 'na'],
  scale_1_5: ['1', '2', '3', '4', '5'],
};

export type Question = {
  id: number;
  code: string;
  text: string;
  answerType: AnswerType;
  weight: number;
  guidance: string | null;
};

export type ScoredAnswer = {
  questionId: number;
  answer: string;
  evidence: string | null;
  score: number;
  maxScore: number;
};
export type QuestionnaireResult = {
  answers: ScoredAnswer[];
  callScore: number;
  model: string;
  promptVersion: string;
};

/** Points for one answer: yes = full weight, no = 0, scale v -> (v-1)/4 of it; `na` counts for nothing. */
export function scoreAnswer(
  type: AnswerType,
  answer: string,
  weight: number,
): { score: number; maxScore: number } {
  if (answer === 'na') return { score: 0, maxScore: 0 };
  if (type === 'scale_1_5') return { score: ((Number(answer) - 1) / 4) * weight, maxScore: weight };
  return { score: answer === 'yes' ? weight : 0, maxScore: weight };
}

/** 0..100: points earned over points possible among the questions that apply. */
export function callScore(answers: readonly { score: number; maxScore: number }[]): number {
  const max = answers.reduce((n, a) => n + a.maxScore, 0);
  if (max === 0) return 0;
  return Math.round((1000 * answers.reduce((n, a) => n + a.score, 0)) / max) / 10;
}

export async function answerQuestionnaire(input: {
  endpoint: LlmEndpoint;
  transcript: CallTranscript;
  analysis: { summary: string; category: string | null; sentiment: string | null } | null;
  questions: Question[];
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<QuestionnaireResult> {
  const answerSchema = (q: Question) =>
    z.object({
      answer: z.enum(ANSWERS[q.answerType] as [string, ...string[]]),
      evidence: z.string().nullable(),
    });
  const schema = z.object({
    answers: z.object(Object.fromEntries(input.questions.map((q) => [q.code, answerSchema(q)]))).strict(),
  });
  const jsonSchema = {
    type: 'object',
    additionalProperties: false,
    required: ['answers'],
    properties: {
      answers: {
        type: 'object',
        additionalProperties: false,
        required: input.questions.map((q) => q.code),
        properties: Object.fromEntries(
          input.questions.map((q) => [
            q.code,
            {
              type: 'object',
              additionalProperties: false,
              required: ['answer', 'evidence'],
              properties: {
                answer: { type: 'string', enum: [...ANSWERS[q.answerType]] },
                evidence: { type: ['string', 'null'] },
              },
            },
          ]),
        ),
      },
    },
  };
  const { value, model } = await chatJson({
    endpoint: input.endpoint,
    schemaName: 'audit_answers',
    schema,
    jsonSchema,
    messages: promptMessages(
      renderPrompt(LLM2_PROMPT, {
        questions: input.questions
          .map((q) => `- ${q.code}, ${q.answerType}: ${q.text}${q.guidance ? ` — ${q.guidance}` : ''}`)
          .join('\n'),
        summary: input.analysis?.summary ?? '(no analysis)',
        transcript: transcriptForPrompt(input.transcript),
      }),
    ),
    timeoutMs: input.timeoutMs,
    signal: input.signal,
  });
  const byCode = value.answers as Record<string, { answer: string; evidence: string | null }>;
  const answers = input.questions.map((q) => {
    const a = byCode[q.code]!;
    return {
      questionId: q.id,
      answer: a.answer,
      evidence: a.evidence,
      ...scoreAnswer(q.answerType, a.answer, q.weight),
    };
  });
  return { answers, callScore: callScore(answers), model, promptVersion: LLM2_PROMPT };
}
