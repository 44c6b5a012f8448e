// Per-process data-protection policy: what the redaction stage removes and how long each kind of data is kept.
import type { InferSelectModel } from 'drizzle-orm';
import { int, json, mysqlTable, varchar } from 'drizzle-orm/mysql-core';
import type { RedactionPolicy } from '../../core/redaction/index.js';
import { updatedAt } from './columns.js';

/** One row per process that has a policy; a process without a row gets the defaults (lifecycle/processPolicy.ts). */
export const processPolicy = mysqlTable('processPolicy', {
  processId: int('processId').primaryKey(),
  /** Null: the defaults (every entity type, the unredacted transcript not kept, redacted spans silenced). */
  redaction: json('redaction').$type<RedactionPolicy>(),
  /** Days each kind of data is kept after the call was created; null keeps it until erased. */
  recordingDays: int('recordingDays'),
  transcriptDays: int('transcriptDays'),
  analysisDays: int('analysisDays'),
  answerDays: int('answerDays'),
  /** The name of the API key that last changed the policy. */
  updatedBy: varchar('updatedBy', { length: 64 }),
  updatedAt: updatedAt(),
});

export type ProcessPolicyRow = InferSelectModel<typeof processPolicy>;
