// The request that failed at a stage, kept by the activity that made it until the call's failure is recorded.
// It stays out of Temporal: a failure's details and message land in the workflow's history, and the request
// (a transcript, a file name, a server's answer quoting them) is personal data.
import { datetime, int, json, mysqlTable, primaryKey, text, varchar } from 'drizzle-orm/mysql-core';
import type { FailureContext } from '../../core/errors.js';
import { STAGES } from '../../core/stages.js';

export const failedRequest = mysqlTable(
  'failedRequest',
  {
    batchId: int('batchId').notNull(),
    callId: int('callId').notNull(),
    stage: varchar('stage', { length: 16, enum: STAGES }).notNull(),
    /** The failure's full message, as the stage wrote it (Temporal gets a shorter one without contents). */
    message: text('message').notNull(),
    context: json('context').$type<FailureContext>().notNull(),
    /** The attempt of the activity that failed last. */
    attempt: int('attempt').notNull(),
    failedAt: datetime('failedAt', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.callId, t.stage] })],
);
