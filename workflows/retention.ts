// The retention run the Schedule starts (RETENTION_CRON): per process with a retention policy, the data older
// than its days expires as of the time the run was due (not the clock's time when it got to run). Each process
// is one activity that works in pages; a failed attempt is retried and goes on where it stopped, counting
// nothing twice (lifecycle/retention.ts). A process that still fails does not hold the others back: the run goes
// on, then is recorded Failed naming it, and the next run finishes what it left.
import {
  ApplicationFailure,
  CancellationScope,
  isCancellation,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { ClosedRetentionRun } from '../activities/retention.js';
import { SCHEDULED_START_TIME } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;

const bookkeeping = proxyActivities<Activities['main']>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 },
});
const expiringWith = (attempts: number) =>
  proxyActivities<Activities['main']>({
    // A process with years of calls is many pages; each page heartbeats.
    startToCloseTimeout: '6 hours',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: attempts },
  });

export type RetentionInput = {
  /** Calls per page (one transaction each); default 200. */
  pageSize?: number;
  /** The time the run acts on (ISO); default: the schedule's due time, or the start time of a run by hand. */
  asOf?: string;
  /** Attempts of one process's activity before the run gives it up until the next run; default 10. */
  attempts?: number;
};

export const RETENTION_PAGE_SIZE = 200;
export const RETENTION_ATTEMPTS = 10;

/** The innermost cause's message (the database's own words, not the failed query with its parameters). */
function messageOf(err: unknown): string {
  let e = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return (e instanceof Error ? e.message : String(e)).slice(0, 500);
}

export async function retention(input: RetentionInput = {}): Promise<ClosedRetentionRun> {
  const info = workflowInfo();
  const due =
    input.asOf ?? (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime).toISOString();
  const pageSize = input.pageSize ?? RETENTION_PAGE_SIZE;
  const expiring = expiringWith(input.attempts ?? RETENTION_ATTEMPTS);
  const run = await bookkeeping.openRetentionRun({ workflowId: info.workflowId, asOf: due });
  const failed: string[] = [];
  for (const processId of run.processes) {
    try {
      await expiring.expireProcessData({ runId: run.runId, processId, asOf: run.asOf, pageSize });
    } catch (err) {
      if (isCancellation(err)) {
        // What was done stays done and counted; the run says it did not finish.
        await CancellationScope.nonCancellable(() =>
          bookkeeping.closeRetentionRun({ runId: run.runId, status: 'Failed', error: 'cancelled' }),
        );
        throw err;
      }
      failed.push(`process ${processId}: ${messageOf(err)}`);
    }
  }
  if (failed.length > 0) {
    const error = failed.join('; ');
    await bookkeeping.closeRetentionRun({ runId: run.runId, status: 'Failed', error });
    throw ApplicationFailure.nonRetryable(`retention run ${run.runId} failed: ${error}`, 'RetentionFailed');
  }
  return bookkeeping.closeRetentionRun({ runId: run.runId, status: 'Completed' });
}
