// The retention run the Schedule starts (RETENTION_CRON): per process with a retention policy, the data older
// than its days expires as of the time the run was due (not the clock's time when it got to run). Each process
// is one activity that works in pages; a failed attempt is retried and goes on where it stopped, counting
// nothing twice (lifecycle/retention.ts). A run that still fails is recorded Failed; the next run finishes it.
import { ApplicationFailure, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { ClosedRetentionRun } from '../activities/retention.js';
import { SCHEDULED_START_TIME } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;

const bookkeeping = proxyActivities<Activities['main']>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 20 },
});
const expiring = proxyActivities<Activities['main']>({
  // A process with years of calls is many pages; each page heartbeats.
  startToCloseTimeout: '6 hours',
  heartbeatTimeout: '2 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute', maximumAttempts: 10 },
});

export type RetentionInput = {
  /** Calls per page (one transaction each); default 200. */
  pageSize?: number;
  /** The time the run acts on (ISO); default: the schedule's due time, or the start time of a run by hand. */
  asOf?: string;
};

export const RETENTION_PAGE_SIZE = 200;

export async function retention(input: RetentionInput = {}): Promise<ClosedRetentionRun> {
  const info = workflowInfo();
  const due =
    input.asOf ?? (info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime).toISOString();
  const pageSize = input.pageSize ?? RETENTION_PAGE_SIZE;
  const run = await bookkeeping.openRetentionRun({ workflowId: info.workflowId, asOf: due });
  try {
    for (const processId of run.processes)
      await expiring.expireProcessData({ runId: run.runId, processId, asOf: run.asOf, pageSize });
  } catch (err) {
    const error =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
    await bookkeeping.closeRetentionRun({ runId: run.runId, status: 'Failed', error });
    throw ApplicationFailure.nonRetryable(`retention run ${run.runId} failed: ${error}`, 'RetentionFailed');
  }
  return bookkeeping.closeRetentionRun({ runId: run.runId, status: 'Completed' });
}
