// LLM2: answers to the call's audit questionnaire, with evidence; cofi scores them from the question
// weights itself, so a score never depends on the model's arithmetic. The scoring rules (weights, N/A, critical
// questions) live here only: llm2 and anything that rescores answers (a reviewer's override) call callScore or
// scoreQuestionnaire.
import { z } from 'zod';
import type { AnswerType } from '../../drizzle/schema/reference.js';
import type { LlmEndpoint } from '../config.js';
import { type CallTranscript, transcriptForPrompt } from './analysis.js';
import { chatJson } from './llm.js';
import { promptMessages, renderPrompt } from './prompts.js';

export const LLM2_PROMPT = 'llm2-questionnaire.v1';

/** The answers each question type takes, as the LLM must spell them. */
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
  /** Critical: the answer `no` sets the call's score to 0, whatever the other answers. */
  critical?: boolean;
};

/** Whether a question of this type can be answered `no`, so can be critical. */
export const canAnswerNo = (type: AnswerType): boolean => ANSWERS[type].includes('no');

export type ScoredAnswer = {
  questionId: number;
  answer: string;
  evidence: string | null;
  score: number;
  maxScore: number;
};
export type QuestionnaireResult = ScoredQuestionnaire & {
  model: string;
  promptVersion: string;
};

/** Points for one answer: yes = full weight, no = 0, scale v -> (v-1)/4 of it; `na` counts for nothing. */
export function scoreAnswer(
  type: AnswerType,
  answer: string,
  weight: number,
): { score: number; maxScore: number } {
  if (!ANSWERS[type].includes(answer))
    throw new RangeError(`"${answer}" is not an answer to a ${type} question`);
  if (answer === 'na') return { score: 0, maxScore: 0 };
  if (type === 'scale_1_5') return { score: ((Number(answer) - 1) / 4) * weight, maxScore: weight };
  return { score: answer === 'yes' ? weight : 0, maxScore: weight };
}

/** An answer as the score needs it; `answer` and `critical` only matter for a critical question. */
export type ScoreItem = { score: number; maxScore: number; answer?: string; critical?: boolean };

/** A critical question answered `no`: the call fails on a critical item. */
export const failsCritical = (a: { answer?: string; critical?: boolean }): boolean =>
  a.critical === true && a.answer === 'no';

/**
 * 0..100 with one decimal: points earned over points possible among the questions that apply (0 if none);
 * 0 when a critical question is answered `no` ("failed on a critical item"). `na` stays out either way.
 */
export function callScore(answers: readonly ScoreItem[]): number {
  if (answers.some(failsCritical)) return 0;
  const max = answers.reduce((n, a) => n + a.maxScore, 0);
  if (max === 0) return 0;
  return Math.round((1000 * answers.reduce((n, a) => n + a.score, 0)) / max) / 10;
}

/** The codes of the critical questions answered `no`, in the order given. */
export function criticalFailures(answers: readonly { code: string; answer?: string; critical?: boolean }[]) {
  return answers.filter(failsCritical).map((a) => a.code);
}

export type RawAnswer = { answer: string; evidence: string | null };

export type ScoredQuestionnaire = {
  answers: ScoredAnswer[];
  /** 0 when `criticalFailure`. */
  callScore: number;
  /** A critical question was answered `no`: the call failed on a critical item. */
  criticalFailure: boolean;
  /** The codes of those questions, in questionnaire order. */
  criticalFailures: string[];
};

/** Scores the answers (by question code) of every question; a question without an answer is an error. */
export function scoreQuestionnaire(
  questions: readonly Question[],
  byCode: Readonly<Record<string, RawAnswer>>,
): ScoredQuestionnaire {
  const answers = questions.map((q) => {
    const a = Object.hasOwn(byCode, q.code) ? byCode[q.code] : undefined;
    if (!a) throw new RangeError(`question "${q.code}" has no answer`);
    return {
      questionId: q.id,
      answer: a.answer,
      evidence: a.evidence?.trim() ? a.evidence.trim() : null,
      ...scoreAnswer(q.answerType, a.answer, q.weight),
    };
  });
  const items = answers.map((a, i) => ({
    ...a,
    code: questions[i]!.code,
    critical: questions[i]!.critical ?? false,
  }));
  const failed = criticalFailures(items);
  return {
    answers,
    callScore: callScore(items),
    criticalFailure: failed.length > 0,
    criticalFailures: failed,
  };
}

/** The questionnaire as the prompt shows it. */
export function questionsForPrompt(questions: readonly Question[]): string {
  const list = questions.map((q) => ({
    code: q.code,
    type: q.answerType,
    question: q.text,
    ...(q.guidance ? { guidance: q.guidance } : {}),
  }));
  return JSON.stringify({ questions: list }, null, 1);
}

function answerSchema(type: AnswerType) {
  const [first, ...rest] = ANSWERS[type];
  return z.object({ answer: z.enum([first!, ...rest]), evidence: z.string().nullable() });
}

export async function answerQuestionnaire(input: {
  endpoint: LlmEndpoint;
  transcript: CallTranscript;
  analysis: { summary: string; category: string | null; sentiment: string | null } | null;
  questions: Question[];
  timeoutMs?: number;
  signal?: AbortSignal;
}): Promise<QuestionnaireResult> {
  if (input.questions.length === 0) throw new Error('the questionnaire has no questions');
  // Every code is a required key: an answer that leaves one out does not match and is retried.
  const schema = z.object({
    answers: z.object(Object.fromEntries(input.questions.map((q) => [q.code, answerSchema(q.answerType)]))),
  });
  const { value, model } = await chatJson({
    endpoint: input.endpoint,
    schemaName: 'audit_answers',
    schema,
    messages: promptMessages(
      renderPrompt(LLM2_PROMPT, {
        questions: questionsForPrompt(input.questions),
        summary: input.analysis?.summary ?? '(no analysis)',
        transcript: transcriptForPrompt(input.transcript),
      }),
    ),
    timeoutMs: input.timeoutMs,
    signal: input.signal,
  });
  const scored = scoreQuestionnaire(input.questions, value.answers as Record<string, RawAnswer>);
  return { ...scored, model, promptVersion: LLM2_PROMPT };
}
