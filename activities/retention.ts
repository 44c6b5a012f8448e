// The retention run's activities (main queue): open the run's row, expire one process's data page by page,
// close the run. The work and its idempotency are lifecycle/retention.ts's.
import { Context } from '@temporalio/activity';
import type { RetentionKind, RetentionRunStatus } from '../drizzle/schema/index.js';
import {
  closeRetentionRun,
  expireProcess,
  type OpenedRun,
  openRetentionRun,
  type ProcessExpiry,
  type RunCounts,
  retentionOf,
  sweepLeftoverFiles,
  sweepSince,
} from '../lifecycle/retention.js';
import type { ActivityDeps } from './deps.js';

export type OpenRetentionRunInput = { workflowId: string; asOf: string };
export type ExpireProcessInput = { runId: number; processId: number; asOf: string; pageSize: number };
export type CloseRetentionRunInput = {
  runId: number;
  status: Exclude<RetentionRunStatus, 'Running'>;
  error?: string;
};
export type ClosedRetentionRun = { runId: number; status: RetentionRunStatus; counts: RunCounts };

export function createRetentionActivities({ db, audio }: Pick<ActivityDeps, 'db' | 'audio'>) {
  return {
    /** Idempotent: the run's row is keyed by its workflow id; a retry finds the row the first attempt made. */
    async openRetentionRun(input: OpenRetentionRunInput): Promise<OpenedRun> {
      return openRetentionRun(db, input);
    },
    /**
     * Idempotent: each page's deletes, marks and count commit together and a page takes only unmarked calls, so a
     * retry (after a database error or a worker killed mid-way) goes on where the last committed page ended.
     * The days are read per attempt: a policy changed meanwhile applies to what is left. Only the days: a
     * redaction policy that no longer parses does not stop retention.
     */
    async expireProcessData(input: ExpireProcessInput): Promise<ProcessExpiry> {
      const ctx = Context.current();
      return expireProcess(
        { db, audio },
        {
          runId: input.runId,
          processId: input.processId,
          asOf: new Date(input.asOf),
          pageSize: input.pageSize,
          retention: await retentionOf(db, input.processId),
        },
        (page: { kind: RetentionKind; calls: number }) => {
          ctx.heartbeat(page);
          // A worker shutting down (or the run cancelled) stops between pages: each page is whole.
          ctx.cancellationSignal.throwIfAborted();
        },
      );
    },
    /**
     * Idempotent: only a running run is closed; a retry answers the same counts. First removes the files that
     * erasures left behind (an erasure removes them after its commit; a failure there or a process that died
     * leaves them, and no request can reach an erased call again). A sweep that fails records the run Failed
     * naming it, so the next run looks back far enough to try again.
     */
    async closeRetentionRun(input: CloseRetentionRunInput): Promise<ClosedRetentionRun> {
      let swept: string | null = null;
      try {
        await sweepLeftoverFiles({ db, audio }, { erased: true, since: await sweepSince(db, input.runId) });
      } catch (err) {
        swept = `leftover files of erased calls: ${(err as Error).message}`.slice(0, 500);
      }
      if (swept === null) return closeRetentionRun(db, input);
      return closeRetentionRun(db, {
        runId: input.runId,
        status: 'Failed',
        error: input.error ? `${input.error}; ${swept}` : swept,
      });
    },
  };
}
