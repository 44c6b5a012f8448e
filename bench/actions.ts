// Temporal Cloud bills per action; this counts them from the histories of a batch: per call (its start, its
// activities and their retries, local activities, signals it sends, children it starts) and the batch's own
// share (its runs, bookkeeping activities, cancels it sends), divided over the calls. Timers and the events
// that only record results are not actions.
import type { Client } from '@temporalio/client';

export type ActionCount = {
  starts: number;
  activities: number;
  retries: number;
  localActivities: number;
  signals: number;
  childStarts: number;
  cancels: number;
};

const empty = (): ActionCount => ({
  starts: 0,
  activities: 0,
  retries: 0,
  localActivities: 0,
  signals: 0,
  childStarts: 0,
  cancels: 0,
});

const total = (c: ActionCount) => Object.values(c).reduce((a, b) => a + b, 0);

/** Billable actions in one run's history. A child's start is counted once, as the child's own start. */
async function actionsOf(client: Client, workflowId: string, runId?: string): Promise<ActionCount> {
  const count = empty();
  const history = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  for (const e of history.events ?? []) {
    if (e.workflowExecutionStartedEventAttributes) count.starts++;
    else if (e.activityTaskScheduledEventAttributes) count.activities++;
    else if (e.activityTaskStartedEventAttributes)
      count.retries += Math.max(0, (e.activityTaskStartedEventAttributes.attempt ?? 1) - 1);
    else if (e.markerRecordedEventAttributes?.markerName === 'core_local_activity') count.localActivities++;
    else if (e.signalExternalWorkflowExecutionInitiatedEventAttributes) count.signals++;
    else if (e.requestCancelExternalWorkflowExecutionInitiatedEventAttributes) count.cancels++;
  }
  return count;
}

const add = (a: ActionCount, b: ActionCount): ActionCount =>
  Object.fromEntries(
    Object.keys(a).map((k) => [k, a[k as keyof ActionCount] + b[k as keyof ActionCount]]),
  ) as ActionCount;

const per = (c: ActionCount, n: number) =>
  Object.fromEntries(
    Object.entries(c).map(([k, v]) => [k, Math.round((v / n) * 1000) / 1000]),
  ) as ActionCount;

/**
 * Actions per call of a finished batch: `perCall` from the call workflows' histories, `batchShare` from every
 * run of the batch workflow, both divided by the number of calls.
 */
export async function actionsPerCall(client: Client, batchWorkflowId: string, callQuery: string) {
  let calls = 0;
  let callActions = empty();
  for await (const w of client.workflow.list({ query: callQuery })) {
    calls++;
    callActions = add(callActions, await actionsOf(client, w.workflowId, w.runId));
  }
  let batchActions = empty();
  let runs = 0;
  for await (const w of client.workflow.list({ query: `WorkflowId = '${batchWorkflowId}'` })) {
    runs++;
    batchActions = add(batchActions, await actionsOf(client, w.workflowId, w.runId));
  }
  const n = Math.max(1, calls);
  return {
    calls,
    batchRuns: runs,
    perCall: per(callActions, n),
    batchShare: per(batchActions, n),
    total: Math.round(((total(callActions) + total(batchActions)) / n) * 1000) / 1000,
  };
}
