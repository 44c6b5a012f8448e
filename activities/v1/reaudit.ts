// Reaudit bookkeeping: the clean reset of chosen results before a re-run, and the release of call locks.
import { eq, inArray } from 'drizzle-orm';
import type { ReauditStage } from '../../core/stages.js';
import { AUDIT_STAGES, DONE_FLAG } from '../../core/stages.js';
import {
  analysis,
  auditAnswer,
  call,
  callLock,
  fileDistribution,
  lidResult,
  transcript,
} from '../../drizzle/schema/index.js';
import { logEvent } from '../../lifecycle/events.js';
import type { ActivityDeps } from '../deps.js';
import { batchCallIds } from './batchRows.js';

export type CleanupInput = { batchId: number; stages: ReauditStage[] };
export type CleanupOutput = Record<string, number>;

const RESULT_TABLES = [
  { stage: 'lid', name: 'lidResult', table: lidResult, column: lidResult.callId },
  { stage: 'stt', name: 'transcript', table: transcript, column: transcript.callId },
  { stage: 'llm1', name: 'analysis', table: analysis, column: analysis.callId },
  { stage: 'llm2', name: 'auditAnswer', table: auditAnswer, column: auditAnswer.callId },
] as const;

export function createV1ReauditActivities({ db }: Pick<ActivityDeps, 'db'>) {
  return {
    /**
     * Deletes the results the re-run stages will write again, resets their flags and the calls' status.
     * Idempotent: each table's delete commits together with its event (unique key per batch and table),
     * so a retry deletes nothing more and the first, true count is the one kept.
     */
    async cleanupForReaudit({ batchId, stages }: CleanupInput): Promise<CleanupOutput> {
      const ids = await batchCallIds(db, batchId);
      const deleted: CleanupOutput = {};
      if (ids.length === 0) return deleted;
      for (const { stage, name, table, column } of RESULT_TABLES) {
        if (!stages.includes(stage)) continue;
        deleted[name] = await db.transaction(async (tx) => {
          const [result] = await tx.delete(table).where(inArray(column, ids));
          await logEvent(tx, {
            batchId,
            stage: 'cleanup',
            eventType: 'cleanup',
            status: 'Complete',
            message: `deleted ${result.affectedRows} ${name} row(s) of ${ids.length} call(s) before re-running ${stage}`,
            metadata: { table: name, deleted: result.affectedRows, calls: ids.length },
            eventKey: `${batchId}:cleanup:${name}`,
          });
          return result.affectedRows;
        });
      }
      // The call is back at the last stage it keeps: the one before the first re-run stage.
      const first = AUDIT_STAGES[AUDIT_STAGES.indexOf(stages[0]!) - 1] ?? null;
      const flags = Object.fromEntries(stages.map((s) => [DONE_FLAG[s], false]));
      await db.transaction(async (tx) => {
        await tx
          .update(fileDistribution)
          .set({ ...flags, failedStage: null })
          .where(inArray(fileDistribution.callId, ids));
        await tx
          .update(call)
          .set({
            status: 'Pending',
            stage: first,
            failedStage: null,
            errorMessage: null,
            ...(stages.includes('lid') ? { lang: null } : {}),
            ...(stages.includes('llm2') ? { auditScore: null } : {}),
          })
          .where(inArray(call.id, ids));
      });
      return deleted;
    },

    /** Frees the calls for the next reaudit. Idempotent: deleting absent locks deletes nothing. */
    async releaseCallLocks({ batchId }: { batchId: number }): Promise<void> {
      await db.delete(callLock).where(eq(callLock.batchId, batchId));
    },
  };
}
