// The QA workbench's own tables (issue 15 items 2 and 4): a call's earlier results kept as versions when a
// reaudit replaces them, and human review of the answers (every override kept, the current verdict per answer,
// which calls a reviewer has looked at). The seed's tables keep showing the current, effective results.
import type { InferSelectModel } from 'drizzle-orm';
import {
  boolean,
  datetime,
  double,
  index,
  int,
  json,
  mysqlTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { createdAt, updatedAt } from './columns.js';

/** What a version keeps of a call: its results as they were before a reaudit replaced them. */
export type VersionSnapshot = {
  lang: string | null;
  auditScore: number | null;
  lid: Record<string, unknown> | null;
  transcript: Record<string, unknown> | null;
  analysis: Record<string, unknown> | null;
  /** Effective answers (a reviewer's when overridden), with the AI's own answer when it differs. */
  answers: {
    questionId: number;
    answer: string;
    aiAnswer: string;
    evidence: string | null;
    score: number;
    maxScore: number;
    model: string | null;
    promptVersion: string | null;
  }[];
};

/**
 * A call's results before a reaudit replaced them: one row per call and reaudit (unique, so a retried clean-up
 * keeps one). Versions are numbered 1, 2, ... per call; the current results (the seed's tables) are the next.
 */
export const resultVersion = mysqlTable(
  'resultVersion',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    version: int('version').notNull(),
    /** The reaudit batch that replaced these results. */
    batchId: int('batchId').notNull(),
    reason: varchar('reason', { length: 255 }).notNull(),
    /** The stages the reaudit re-ran. */
    stages: json('stages').$type<string[]>().notNull(),
    /** Models per stage (stt, llm1, llm2) and prompt versions (llm1, llm2) that produced the results. */
    models: json('models').$type<Record<string, string | null>>().notNull(),
    promptVersions: json('promptVersions').$type<Record<string, string | null>>().notNull(),
    /** The questionnaire version the answers were scored with, when the call records one. */
    questionnaireVersion: int('questionnaireVersion'),
    auditScore: double('auditScore'),
    snapshot: json('snapshot').$type<VersionSnapshot>().notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('resultVersion_call_version').on(t.callId, t.version),
    uniqueIndex('resultVersion_call_batch').on(t.callId, t.batchId),
  ],
);

export const OVERRIDE_KINDS = ['override', 'confirm'] as const;
export type OverrideKind = (typeof OVERRIDE_KINDS)[number];

/** Every reviewer action on an answer, kept: an override (before -> after, with a reason) or a confirmation. */
export const answerOverride = mysqlTable(
  'answerOverride',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    questionId: int('questionId').notNull(),
    kind: varchar('kind', { length: 8, enum: OVERRIDE_KINDS }).notNull(),
    /** The AI's answer the reviewer decided on. */
    aiAnswer: varchar('aiAnswer', { length: 16 }).notNull(),
    /** The effective answer before and after. */
    answerBefore: varchar('answerBefore', { length: 16 }).notNull(),
    answerAfter: varchar('answerAfter', { length: 16 }).notNull(),
    /** The call's score before and after. */
    scoreBefore: double('scoreBefore'),
    scoreAfter: double('scoreAfter'),
    reason: text('reason').notNull(),
    /** The API key's name and role. */
    keyName: varchar('keyName', { length: 64 }).notNull(),
    role: varchar('role', { length: 16 }).notNull(),
    at: datetime('at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [index('answerOverride_call').on(t.callId, t.id), index('answerOverride_question').on(t.questionId)],
);

/** The current verdict on an overridden answer: survives a reaudit, which re-applies it and may flag it. */
export const answerReview = mysqlTable(
  'answerReview',
  {
    callId: int('callId').notNull(),
    questionId: int('questionId').notNull(),
    /** The reviewer's answer: the effective one. */
    answer: varchar('answer', { length: 16 }).notNull(),
    /** The AI's answer the reviewer overrode (or last confirmed against). */
    aiAnswer: varchar('aiAnswer', { length: 16 }).notNull(),
    /** "AI answer changed since review": a reaudit's AI answer differs from `aiAnswer`. */
    aiChanged: boolean('aiChanged').notNull().default(false),
    newAiAnswer: varchar('newAiAnswer', { length: 16 }),
    /** The reaudit batch that changed it. */
    aiChangedBatchId: int('aiChangedBatchId'),
    aiChangedAt: datetime('aiChangedAt', { mode: 'date', fsp: 3 }),
    /**
     * "Override not carried: question changed": a reaudit scored the call with a questionnaire version that has
     * no question of this code and answer type, so the verdict could not be re-applied (why, in words). The row
     * stays, flagged, until a reviewer acknowledges it.
     */
    notCarried: varchar('notCarried', { length: 255 }),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.callId, t.questionId] }), index('answerReview_changed').on(t.aiChanged)],
);

/** A call a reviewer has looked at (an override marks it; so does POST /calls/{id}/review): agreement's base. */
export const callReview = mysqlTable(
  'callReview',
  {
    callId: int('callId').primaryKey(),
    reviewedBy: varchar('reviewedBy', { length: 64 }).notNull(),
    reviewedAt: datetime('reviewedAt', { mode: 'date', fsp: 3 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('callReview_at').on(t.reviewedAt)],
);

export const VERDICT_KINDS = ['override', 'confirm', 'mark'] as const;

/**
 * What a reviewer saw and decided, per answer, at each review action (an override, a confirmation, marking the
 * call reviewed): every answer of the call shown at that moment, with the AI's answer and the effective one.
 * Agreement counts these rows, dated by the action, so answers a later reaudit wrote (that nobody saw) are not
 * counted as reviewed, and the figures survive retention of the answers. An erasure deletes a call's rows.
 */
export const reviewVerdict = mysqlTable(
  'reviewVerdict',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    processId: int('processId').notNull(),
    questionId: int('questionId').notNull(),
    /** The question's code: a question's questionnaire versions add up under it. */
    code: varchar('code', { length: 64 }).notNull(),
    aiAnswer: varchar('aiAnswer', { length: 16 }).notNull(),
    /** The effective answer after the action. */
    answer: varchar('answer', { length: 16 }).notNull(),
    kind: varchar('kind', { length: 8, enum: VERDICT_KINDS }).notNull(),
    keyName: varchar('keyName', { length: 64 }).notNull(),
    at: datetime('at', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [
    index('reviewVerdict_call').on(t.callId, t.code, t.id),
    index('reviewVerdict_process_at').on(t.processId, t.at),
  ],
);

export type ResultVersionRow = InferSelectModel<typeof resultVersion>;
export type AnswerOverrideRow = InferSelectModel<typeof answerOverride>;
export type AnswerReviewRow = InferSelectModel<typeof answerReview>;
