// The batch ledger: what became of each call at each stage of a batch. One row per (batch, call, stage),
// written in the same transaction as the stage's result or failure; every progress figure is a GROUP BY
// over it.
import type { InferSelectModel } from 'drizzle-orm';
import { datetime, index, int, mysqlTable, primaryKey, varchar } from 'drizzle-orm/mysql-core';
import { STAGE_OUTCOMES, STAGES } from '../../core/stages.js';

export const stageOutcome = mysqlTable(
  'stageOutcome',
  {
    batchId: int('batchId').notNull(),
    callId: int('callId').notNull(),
    stage: varchar('stage', { length: 16, enum: STAGES }).notNull(),
    outcome: varchar('outcome', { length: 16, enum: STAGE_OUTCOMES }).notNull(),
    /** Why it failed, was skipped or was cancelled (error class and message, cut). */
    reason: varchar('reason', { length: 512 }),
    /** When the attempt that decided it began (null when decided without running, e.g. skipped). */
    startedAt: datetime('startedAt', { mode: 'date', fsp: 3 }),
    finishedAt: datetime('finishedAt', { mode: 'date', fsp: 3 }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.batchId, t.callId, t.stage] }),
    // Progress: GROUP BY stage, outcome over one batch, from the index alone.
    index('stageOutcome_progress').on(t.batchId, t.stage, t.outcome),
    index('stageOutcome_call').on(t.callId),
    // Stuck calls (lifecycle/stuck.ts): a stage's latest finished calls, newest first, for its running median.
    index('stageOutcome_recent').on(t.stage, t.outcome, t.finishedAt),
  ],
);

export type StageOutcomeRow = InferSelectModel<typeof stageOutcome>;
