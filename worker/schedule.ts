// The Temporal Schedule that runs the daily batch (DAILY_CRON); created or updated at worker start. Its action
// is `scheduledDay`, which takes the date from the time the action was due, so a run that starts late (after an
// outage) still processes its own day; BUFFER_ALL queues every due day behind the one running, in order.
import { type Client, ScheduleAlreadyRunning, ScheduleOverlapPolicy } from '@temporalio/client';
import type { Config } from '../core/config.js';
import { mainQueue } from '../core/fleet.js';
import { BATCH_WORKFLOW_TASK_TIMEOUT, batchSettings, workflowIds } from '../workflows/definitions.js';
import { scheduledDay } from '../workflows/scheduledDay.js';

export const dailyScheduleId = (prefix: string) => `${prefix}-daily-batch`;

export function dailyScheduleOptions(config: Config) {
  return {
    scheduleId: dailyScheduleId(config.COFI_TASK_QUEUE),
    spec: { cronExpressions: [config.DAILY_CRON] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: scheduledDay,
      workflowId: workflowIds.scheduledDay(config.COFI_TASK_QUEUE),
      taskQueue: mainQueue(config.COFI_TASK_QUEUE),
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      args: [
        {
          dayOffset: 1,
          audioStages: config.DAILY_AUDIO_STAGES,
          ...batchSettings(config),
        },
      ] as Parameters<typeof scheduledDay>,
    },
    // A day still running when the next is due delays it; days missed during an outage (up to the catch-up
    // window) each run once, in order, each on its own date.
    policies: {
      overlap: ScheduleOverlapPolicy.BUFFER_ALL,
      catchupWindow: `${config.DAILY_CATCHUP_DAYS} days`,
    },
  };
}

export async function ensureDailySchedule(client: Client, config: Config): Promise<string | null> {
  if (!config.DAILY_CRON.trim()) return null;
  const options = dailyScheduleOptions(config);
  try {
    await client.schedule.create(options);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    await client.schedule.getHandle(options.scheduleId).update((previous) => ({
      ...previous,
      spec: options.spec,
      action: options.action,
      policies: { ...previous.policies, ...options.policies },
    }));
  }
  return options.scheduleId;
}
