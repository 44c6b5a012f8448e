// The Temporal Schedule that runs the daily batch (DAILY_CRON); created or updated at worker start.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../core/config.js';
import { mainQueue } from '../core/fleet.js';
import { dailyBatch } from '../workflows/dailyBatch.js';
import { BATCH_WORKFLOW_TASK_TIMEOUT, batchSettings } from '../workflows/definitions.js';

export const dailyScheduleId = (prefix: string) => `${prefix}-daily-batch`;

export async function ensureDailySchedule(client: Client, config: Config): Promise<string | null> {
  const scheduleId = dailyScheduleId(config.COFI_TASK_QUEUE);
  if (!config.DAILY_CRON.trim()) return null;
  const options = {
    scheduleId,
    spec: { cronExpressions: [config.DAILY_CRON] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: dailyBatch,
      workflowId: `${config.COFI_TASK_QUEUE}/daily-scheduled`,
      taskQueue: mainQueue(config.COFI_TASK_QUEUE),
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      args: [
        {
          dayOffset: 1,
          audioStages: config.DAILY_AUDIO_STAGES,
          ...batchSettings(config),
        },
      ] as Parameters<typeof dailyBatch>,
    },
    // A day that is still running when the next one is due finishes first.
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule
      .getHandle(scheduleId)
      .update((previous) => ({ ...previous, spec: options.spec, action: options.action }));
  }
  return scheduleId;
}
