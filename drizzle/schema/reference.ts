// Reference data: business processes with their audit questionnaires, category mappings, languages.
import { type InferSelectModel, relations } from 'drizzle-orm';
import {
  boolean,
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

export const auditQuestion = mysqlTable(
  'auditQuestion',
  {
    id: int('id').primaryKey(),
    processId: int('processId').notNull(),
    position: smallint('position').notNull(),
    code: varchar('code', { length: 64 }).notNull(),
    text: text('text').notNull(),
    answerType: varchar('answerType', { length: 16, enum: ANSWER_TYPES }).notNull(),
    /** Share of the call score this question carries; scores are weighted by it. */
    weight: double('weight').notNull(),
    guidance: text('guidance'),
  },
  (t) => [uniqueIndex('auditQuestion_process_code').on(t.processId, t.code)],
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

export const processRelations = relations(process, ({ many }) => ({ questions: many(auditQuestion) }));
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
export type CategoryMapping = InferSelectModel<typeof categoryMapping>;
export type Category = InferSelectModel<typeof category>;
export type Language = InferSelectModel<typeof language>;
