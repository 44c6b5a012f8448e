// Retention runs (issue 16 item 3): one row per run of the retention workflow, and what it expired per process and
// kind of data. Counts only, never contents or call ids: the run's event is these rows.
import type { InferSelectModel } from 'drizzle-orm';
import {
  datetime,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';

/** The kinds of a call's data that expire, each after its own number of days (processPolicy.<kind>Days). */
export const RETENTION_KINDS = ['recording', 'transcript', 'analysis', 'answer'] as const;
export type RetentionKind = (typeof RETENTION_KINDS)[number];

export const RETENTION_RUN_STATUSES = ['Running', 'Completed', 'Failed'] as const;
export type RetentionRunStatus = (typeof RETENTION_RUN_STATUSES)[number];

export const retentionRun = mysqlTable(
  'retentionRun',
  {
    id: int('id').autoincrement().primaryKey(),
    /** The workflow that made the run (the schedule's action id with its due time): a retry finds its row by it. */
    workflowId: varchar('workflowId', { length: 255 }).notNull(),
    /** The time the run acts on (the schedule's due time): data older than a policy's days at this time expires. */
    asOf: datetime('asOf', { mode: 'date', fsp: 3 }).notNull(),
    status: varchar('status', { length: 16, enum: RETENTION_RUN_STATUSES }).notNull().default('Running'),
    startedAt: datetime('startedAt', { mode: 'date', fsp: 3 }).notNull(),
    finishedAt: datetime('finishedAt', { mode: 'date', fsp: 3 }),
    /** Why a run failed (its last error's message). */
    error: text('error'),
  },
  (t) => [
    uniqueIndex('retentionRun_workflow').on(t.workflowId),
    index('retentionRun_started').on(t.startedAt),
  ],
);

/** What one run expired of one process's calls, per kind; each page's deletes add to it in their transaction. */
export const retentionCount = mysqlTable(
  'retentionCount',
  {
    runId: int('runId').notNull(),
    processId: int('processId').notNull(),
    kind: varchar('kind', { length: 16, enum: RETENTION_KINDS }).notNull(),
    /** Calls whose data of this kind the run expired. */
    calls: int('calls').notNull().default(0),
    /** What went with them: files removed (recordings) or rows deleted (transcripts, analyses, answers). */
    items: int('items').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.runId, t.processId, t.kind] })],
);

export type RetentionRunRow = InferSelectModel<typeof retentionRun>;
export type RetentionCountRow = InferSelectModel<typeof retentionCount>;
