// The access trail: who (API key name and role) read or changed which call or batch, when, and the answer's
// status. Ids and counts only: never transcript text, answers or file contents.
import type { InferSelectModel } from 'drizzle-orm';
import { datetime, index, int, mysqlTable, smallint, varchar } from 'drizzle-orm/mysql-core';
import { API_ROLES } from '../../core/config.js';

/** What a trail row records; `override` is for human review (issue 15): nothing writes it yet. */
export const ACCESS_ACTIONS = [
  'read_call',
  'read_transcript',
  'read_audio',
  'read_answers',
  /** A batch's failure log: its request payloads may hold transcript text (the LLM stages' input). */
  'read_failures',
  'upload',
  'reaudit',
  'cancel',
  'daily_run',
  'override',
  'erasure',
  /** PUT /processes/{id}/policy: a process's redaction and retention policy changed. */
  'policy_change',
  /** POST /processes/{id}/questionnaire/versions: a questionnaire version published (or refused). */
  'publish_questionnaire',
  /** GET /calls/search: which calls match words of their transcripts (ids and metadata answered, no text). */
  'search',
  /** GET /calls/export.csv: calls or answers of a search, as a file. */
  'export',
] as const;
export type AccessAction = (typeof ACCESS_ACTIONS)[number];

export const ACCESS_TARGETS = ['call', 'batch', 'process'] as const;
export type AccessTarget = (typeof ACCESS_TARGETS)[number];

export const accessLog = mysqlTable(
  'accessLog',
  {
    id: int('id').autoincrement().primaryKey(),
    at: datetime('at', { mode: 'date', fsp: 3 }).notNull(),
    /** The key's name (`open` without keys, `signed-link` for an audio link); null: no key or an unknown one. */
    keyName: varchar('keyName', { length: 64 }),
    role: varchar('role', { length: 16, enum: API_ROLES }),
    action: varchar('action', { length: 24, enum: ACCESS_ACTIONS }).notNull(),
    targetType: varchar('targetType', { length: 8, enum: ACCESS_TARGETS }).notNull(),
    /** The call or batch; null when the request was refused before it named one (an upload refused). */
    targetId: int('targetId'),
    /** The batch the target belongs to (a call's), or the batch a change made or touched. */
    batchId: int('batchId'),
    /** The batch's task id (`audit-42`, `daily-2026-01-15`): a daily run's batch id is not known when it starts. */
    taskId: varchar('taskId', { length: 128 }),
    method: varchar('method', { length: 8 }).notNull(),
    /** The request path without its query (a signed link's signature is never kept), cut to 512 characters. */
    path: varchar('path', { length: 512 }).notNull(),
    status: smallint('status').notNull(),
    requestId: varchar('requestId', { length: 255 }),
  },
  (t) => [
    index('accessLog_at').on(t.at),
    index('accessLog_key').on(t.keyName, t.id),
    index('accessLog_role').on(t.role, t.id),
    index('accessLog_action').on(t.action, t.id),
    index('accessLog_target').on(t.targetType, t.targetId, t.id),
    index('accessLog_batch').on(t.batchId, t.id),
  ],
);

export type AccessLogRow = InferSelectModel<typeof accessLog>;
