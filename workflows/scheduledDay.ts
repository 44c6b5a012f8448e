// What the daily Schedule starts: the day that was due when the schedule fired (not the clock's day, which
// after an outage can be another), run as that date's daily batch. If the day is already running (started on
// demand) it waits for that run instead, so the next scheduled day still waits for this one.

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { executeChild, ParentClosePolicy, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { BatchResult } from './batchRun.js';
import { type DailyBatchInput, type DailyMemo, dailyBatchV2 } from './dailyBatch.js';
import {
  BATCH_WORKFLOW_TASK_TIMEOUT,
  type BatchSettings,
  SCHEDULED_START_TIME,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
const waiting = proxyActivities<Activities['main']>({
  startToCloseTimeout: '7 days',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
});

export type ScheduledDayInput = BatchSettings & {
  /** Days before the scheduled time: 1 processes the day before the one the schedule fired on. */
  dayOffset: number;
  audioStages: DailyBatchInput['audioStages'];
};

/** The date `dayOffset` days before the time the schedule was due, in UTC. */
export function dueDate(due: Date, dayOffset: number): string {
  return new Date(due.getTime() - dayOffset * 86_400_000).toISOString().slice(0, 10);
}

export async function scheduledDay(input: ScheduledDayInput): Promise<BatchResult> {
  const info = workflowInfo();
  // A workflow started by hand (not by the schedule) has no scheduled time: its start time stands in.
  const due = info.typedSearchAttributes.get(SCHEDULED_START_TIME) ?? info.startTime;
  const date = dueDate(due, input.dayOffset);
  const workflowId = workflowIds.dailyBatch(input.prefix, date);
  const { dayOffset: _, ...settings } = input;
  const memo: DailyMemo = { date, folder: null, audioStages: input.audioStages };
  try {
    return await executeChild(dailyBatchV2, {
      workflowId,
      args: [{ ...settings, date }],
      // The day is its own workflow: it runs on if this one is terminated.
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'daily' }],
      memo,
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return (await waiting.awaitWorkflow({ workflowId })) as BatchResult;
  }
}
