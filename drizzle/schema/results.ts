// Stage results, one row per call (per question for answers): the unique keys make each write idempotent.
import type { InferSelectModel } from 'drizzle-orm';
import {
  boolean,
  datetime,
  double,
  int,
  json,
  mediumtext,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import type { FoundEntity } from '../../core/redaction/types.js';
import { createdAt } from './columns.js';

export const lidResult = mysqlTable(
  'lidResult',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    /** ISO 639-1 code, normalised from whatever the server said. */
    lang: varchar('lang', { length: 16 }).notNull(),
    confidence: double('confidence'),
    /** What the server returned, before normalisation. */
    detectedRaw: varchar('detectedRaw', { length: 64 }),
    /** False when the language is outside the configured set: STT is not run. */
    supported: boolean('supported').notNull(),
    source: varchar('source', { length: 32 }).notNull(),
    /** False when the model heard no speech: `lang` is then its guess on silence, not a finding. */
    speech: boolean('speech').notNull().default(true),
    gpuNode: varchar('gpuNode', { length: 64 }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('lidResult_call').on(t.callId)],
);

export type TranscriptSegment = {
  id: number;
  start: number;
  end: number;
  text: string;
  speaker?: string;
  avgLogprob?: number;
  noSpeechProb?: number;
};

/**
 * The transcript of a call. Its `text` also has a FULLTEXT index (`transcript_text_fulltext`, search's words
 * filter): drizzle cannot declare one, so it is a custom migration (0009_transcript_fulltext.sql) that the
 * schema does not show.
 */
export const transcript = mysqlTable(
  'transcript',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    lang: varchar('lang', { length: 16 }),
    text: mediumtext('text').notNull(),
    segments: json('segments').$type<TranscriptSegment[]>().notNull(),
    duration: double('duration'),
    model: varchar('model', { length: 128 }),
    gpuNode: varchar('gpuNode', { length: 64 }),
    createdAt: createdAt(),
    /**
     * When the redact stage replaced the personal data in `text` and `segments` with placeholders; null: the
     * text is as STT heard it, and no LLM may read it.
     */
    redactedAt: datetime('redactedAt', { mode: 'date', fsp: 3 }),
    /** What redaction found: type, placeholder, segment, character and time spans; never the value. */
    redactedEntities: json('redactedEntities').$type<FoundEntity[]>(),
    /** The unredacted transcript, kept only when the process's policy says keepOriginal. */
    originalText: mediumtext('originalText'),
    originalSegments: json('originalSegments').$type<TranscriptSegment[]>(),
  },
  (t) => [uniqueIndex('transcript_call').on(t.callId)],
);

export const analysis = mysqlTable(
  'analysis',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    summary: text('summary').notNull(),
    category: varchar('category', { length: 128 }),
    subCategory: varchar('subCategory', { length: 128 }),
    sentiment: varchar('sentiment', { length: 16 }),
    keyFacts: json('keyFacts').$type<string[]>(),
    model: varchar('model', { length: 128 }),
    promptVersion: varchar('promptVersion', { length: 32 }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('analysis_call').on(t.callId)],
);

export const auditAnswer = mysqlTable(
  'auditAnswer',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: int('callId').notNull(),
    questionId: int('questionId').notNull(),
    answer: varchar('answer', { length: 16 }).notNull(),
    evidence: text('evidence'),
    /** Points earned, 0..weight of the question. */
    score: double('score').notNull(),
    maxScore: double('maxScore').notNull(),
    model: varchar('model', { length: 128 }),
    promptVersion: varchar('promptVersion', { length: 32 }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('auditAnswer_call_question').on(t.callId, t.questionId)],
);

export type LidResultRow = InferSelectModel<typeof lidResult>;
export type TranscriptRow = InferSelectModel<typeof transcript>;
export type AnalysisRow = InferSelectModel<typeof analysis>;
export type AuditAnswerRow = InferSelectModel<typeof auditAnswer>;
