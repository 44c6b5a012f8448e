// The Temporal Schedules that run the daily batch (DAILY_CRON) and the retention run (RETENTION_CRON); created or
// updated at worker start. The daily one's action is `scheduledDay`, which takes the date from the time the action was due, so a run that starts late (after an
// outage) still processes its own day; BUFFER_ALL queues every due day behind the one running, in order.
import {
  type Client,
  ScheduleAlreadyRunning,
  type ScheduleOptions,
  ScheduleOverlapPolicy,
} from '@temporalio/client';
import type { Config } from '../core/config.js';
import { mainQueue } from '../core/fleet.js';
import { BATCH_WORKFLOW_TASK_TIMEOUT, batchSettings, workflowIds } from '../workflows/definitions.js';
import { retention } from '../workflows/retention.js';
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
  return ensureSchedule(client, dailyScheduleOptions(config));
}

export const retentionScheduleId = (prefix: string) => `${prefix}-retention`;

/**
 * The retention run (RETENTION_CRON). SKIP: a run still going when the next is due makes that one unnecessary
 * (the next due run expires what both would have); missed runs are not caught up for the same reason, beyond a day.
 */
export function retentionScheduleOptions(config: Pick<Config, 'RETENTION_CRON' | 'COFI_TASK_QUEUE'>) {
  return {
    scheduleId: retentionScheduleId(config.COFI_TASK_QUEUE),
    spec: { cronExpressions: [config.RETENTION_CRON] },
    action: {
      type: 'startWorkflow' as const,
      workflowType: retention,
      workflowId: `${config.COFI_TASK_QUEUE}/retention`,
      taskQueue: mainQueue(config.COFI_TASK_QUEUE),
      args: [{}] as Parameters<typeof retention>,
    },
    policies: { overlap: ScheduleOverlapPolicy.SKIP, catchupWindow: '1 day' },
  };
}

/** Creates or updates the retention schedule; null when RETENTION_CRON is empty (an existing one is left). */
export async function ensureRetentionSchedule(
  client: Client,
  config: Pick<Config, 'RETENTION_CRON' | 'COFI_TASK_QUEUE'>,
): Promise<string | null> {
  if (!config.RETENTION_CRON.trim()) return null;
  return ensureSchedule(client, retentionScheduleOptions(config));
}

/** Creates a schedule, or brings an existing one's spec, action and policies to `options` (a changed setting). */
async function ensureSchedule(client: Client, options: ScheduleOptions): Promise<string> {
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
