// Reference data: business processes with their audit questionnaires, category mappings, languages.
import { type InferSelectModel, relations } from 'drizzle-orm';
import {
  boolean,
  datetime,
  double,
  int,
  mysqlTable,
  smallint,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { createdAt } from './columns.js';

export const process = mysqlTable('process', {
  id: int('id').primaryKey(),
  name: varchar('name', { length: 128 }).notNull(),
  description: text('description'),
  active: boolean('active').notNull().default(true),
  createdAt: createdAt(),
});

export const ANSWER_TYPES = ['yes_no', 'yes_no_na', 'scale_1_5'] as const;
export type AnswerType = (typeof ANSWER_TYPES)[number];

/**
 * One published version of a process's questionnaire: immutable once written. The current version is the
 * highest; llm2 scores a call with the current one and records its id on the call (call.questionnaireVersionId).
 */
export const questionnaireVersion = mysqlTable(
  'questionnaireVersion',
  {
    id: int('id').autoincrement().primaryKey(),
    processId: int('processId').notNull(),
    /** 1, 2, ... per process. */
    version: int('version').notNull(),
    publishedAt: datetime('publishedAt', { mode: 'date', fsp: 3 }).notNull(),
    /** The name of the API key that published it (`reference-data` for the seed's version 1). */
    publishedBy: varchar('publishedBy', { length: 64 }),
    note: text('note'),
  },
  (t) => [uniqueIndex('questionnaireVersion_process_version').on(t.processId, t.version)],
);

/** A question of one questionnaire version: a new version has new rows, so past answers keep their text. */
export const auditQuestion = mysqlTable(
  'auditQuestion',
  {
    id: int('id').autoincrement().primaryKey(),
    processId: int('processId').notNull(),
    /** The questionnaireVersion this question belongs to. */
    versionId: int('versionId').notNull(),
    position: smallint('position').notNull(),
    code: varchar('code', { length: 64 }).notNull(),
    text: text('text').notNull(),
    answerType: varchar('answerType', { length: 16, enum: ANSWER_TYPES }).notNull(),
    /** Share of the call score this question carries; scores are weighted by it. */
    weight: double('weight').notNull(),
    guidance: text('guidance'),
    /** Critical: the answer `no` sets the call's score to 0 ("failed on a critical item"). */
    critical: boolean('critical').notNull().default(false),
  },
  (t) => [uniqueIndex('auditQuestion_version_code').on(t.processId, t.versionId, t.code)],
);

export const categoryMapping = mysqlTable('categoryMapping', {
  id: int('id').primaryKey(),
  name: varchar('name', { length: 128 }).notNull(),
  description: text('description'),
  createdAt: createdAt(),
});

/** A node of a mapping's category tree: top-level categories have no parent. */
export const category = mysqlTable(
  'category',
  {
    id: int('id').primaryKey(),
    categoryMappingId: int('categoryMappingId').notNull(),
    parentId: int('parentId'),
    code: varchar('code', { length: 64 }).notNull(),
    name: varchar('name', { length: 128 }).notNull(),
  },
  (t) => [uniqueIndex('category_mapping_code').on(t.categoryMappingId, t.code)],
);

export const language = mysqlTable('language', {
  code: varchar('code', { length: 8 }).primaryKey(),
  name: varchar('name', { length: 64 }).notNull(),
  enabled: boolean('enabled').notNull().default(true),
});

export const processRelations = relations(process, ({ many }) => ({
  questions: many(auditQuestion),
  questionnaireVersions: many(questionnaireVersion),
}));
export const auditQuestionRelations = relations(auditQuestion, ({ one }) => ({
  process: one(process, { fields: [auditQuestion.processId], references: [process.id] }),
}));
export const categoryMappingRelations = relations(categoryMapping, ({ many }) => ({
  categories: many(category),
}));
export const categoryRelations = relations(category, ({ one }) => ({
  mapping: one(categoryMapping, {
    fields: [category.categoryMappingId],
    references: [categoryMapping.id],
  }),
}));

export type Process = InferSelectModel<typeof process>;
export type AuditQuestion = InferSelectModel<typeof auditQuestion>;
export type QuestionnaireVersion = InferSelectModel<typeof questionnaireVersion>;
export type CategoryMapping = InferSelectModel<typeof categoryMapping>;
export type Category = InferSelectModel<typeof category>;
export type Language = InferSelectModel<typeof language>;
