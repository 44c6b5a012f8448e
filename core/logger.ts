// Structured JSON logs (pino) for every process; children carry the batch, call, stage and workflow ids.
import { pino } from 'pino';
import type { Config } from './config.js';

export type Logger = pino.Logger;

/** What a log line may say about the work it belongs to; absent fields are left out. */
export type WorkContext = {
  batchId?: number;
  callId?: number;
  stage?: string;
  workflowId?: string;
  taskId?: string;
};

export function createLogger(
  config: Pick<Config, 'LOG_LEVEL'>,
  service: string,
  destination?: pino.DestinationStream,
): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Belt and braces: nothing that looks like a credential reaches a log line.
      redact: {
        paths: ['authorization', '*.authorization', 'apiKey', '*.apiKey', 'key', '*.key'],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

/** A child logger for one unit of work, with snake_case fields that log queries can group by. */
export function workLogger(logger: Logger, work: WorkContext): Logger {
  const fields: Record<string, string | number> = {};
  if (work.batchId !== undefined) fields.batch_id = work.batchId;
  if (work.callId !== undefined) fields.call_id = work.callId;
  if (work.stage !== undefined) fields.stage = work.stage;
  if (work.workflowId !== undefined) fields.workflow_id = work.workflowId;
  if (work.taskId !== undefined) fields.task_id = work.taskId;
  return logger.child(fields);
}
