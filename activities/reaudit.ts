// A reaudit's clean-up, one stage at a time (results computed last go first): the stage's result rows of the
// reaudit's calls are deleted and its flags reset, with an event of what was deleted, in one transaction. The
// first stage's transaction first keeps each call's results as a version (lifecycle/versions.ts).
import { eq, inArray } from 'drizzle-orm';
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core';
import { stageFailure } from '../core/errors.js';
import { DONE_FLAG, type ResultTable, STAGE_REGISTRY, STAGES } from '../core/stages.js';
import {
  analysis,
  auditAnswer,
  batchStatus,
  call,
  fileDistribution,
  lidResult,
  transcript,
} from '../drizzle/schema/index.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { memberIds } from '../lifecycle/exits.js';
import { snapshotResults } from '../lifecycle/versions.js';
import type { ActivityDeps } from './deps.js';
import type { CleanupStageInput } from './types.js';

/** Where each result table's rows of a call are. */
const RESULT_ROWS: Record<ResultTable, { table: MySqlTable; callId: MySqlColumn }> = {
  lidResult: { table: lidResult, callId: lidResult.callId },
  transcript: { table: transcript, callId: transcript.callId },
  analysis: { table: analysis, callId: analysis.callId },
  auditAnswer: { table: auditAnswer, callId: auditAnswer.callId },
};

export function createReauditActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /**
     * Deletes what `stage` wrote for the reaudit's calls and resets its flag; the calls are back at the stage
     * before it, Pending. Idempotent: the event is keyed by (reaudit, attempt, table) and written with the
     * delete, so a retry deletes nothing more and the first, true count is the one kept.
     */
    async cleanupStage({ batch, stage }: CleanupStageInput): Promise<Record<string, number>> {
      const [row] = await db.select().from(batchStatus).where(eq(batchStatus.id, batch.batchId));
      if (row?.kind !== 'reaudit')
        throw stageFailure('missing_data', `reaudit batch ${batch.batchId} does not exist`);
      const ids = await memberIds(db, row);
      const deleted: Record<string, number> = {};
      if (ids.length === 0) return deleted;
      const spec = STAGE_REGISTRY[stage];
      const before = STAGES[STAGES.indexOf(stage) - 1] ?? null;
      const flag = DONE_FLAG[stage];
      await db.transaction(async (tx) => {
        // Before anything is deleted, with the delete: a crash keeps both or neither, and a retry (or the next
        // stage's clean-up) finds this reaudit's version and keeps no second one.
        if (spec.results.length > 0)
          await snapshotResults(tx, { id: row.id, taskId: row.taskId, stages: row.stages }, ids);
        for (const name of spec.results) {
          const { table, callId } = RESULT_ROWS[name];
          const [result] = await tx.delete(table).where(inArray(callId, ids));
          deleted[name] = result.affectedRows;
          await logEvent(tx, {
            batchId: batch.batchId,
            stage: 'cleanup',
            eventType: 'cleanup',
            status: 'Complete',
            message: `deleted ${result.affectedRows} ${name} row(s) of ${ids.length} call(s) before re-running ${stage}`,
            metadata: { table: name, deleted: result.affectedRows, calls: ids.length },
            eventKey: eventKey(batch, 'cleanup', name),
          });
        }
        if (flag) {
          await tx
            .update(fileDistribution)
            .set({ [flag]: false, failedStage: null })
            .where(inArray(fileDistribution.callId, ids));
        }
        await tx
          .update(call)
          .set({
            status: 'Pending',
            stage: before,
            failedStage: null,
            errorMessage: null,
            ...(stage === 'lid' ? { lang: null } : {}),
            ...(stage === 'llm2'
              ? { auditScore: null, questionnaireVersionId: null, criticalFailure: null }
              : {}),
          })
          .where(inArray(call.id, ids));
      });
      return deleted;
    },
  };
}
