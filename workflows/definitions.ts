// Signals, queries, ids and settings shared by the workflows and the clients that talk to them.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { CallEnd } from '../core/batchWindow.js';
import type { Config } from '../core/config.js';
import type { BatchKind } from '../core/stages.js';

/** How a stage activity retries a retryable failure (connection, timeout, 429, 5xx): STAGE_ATTEMPTS, STAGE_RETRY_MAX_MS. */
export type StageRetry = {
  attempts: number;
  maxIntervalMs: number;
  /**
   * STAGE_SCHEDULE_TO_START_MS: how long a GPU or LLM request may wait in its queue before the call moves
   * to another node. Absent in workflows started before it existed: they wait as long as it takes.
   */
  scheduleToStartMs?: number;
};

/**
 * Workflow-task timeout of the batch workflows (Temporal's default is 10 s). A worker that lost its cache
 * replays the run's whole history in one task: 4,354 events took 1.9 s on an idle 2-core machine, and a
 * run may hold twice that, on a machine that is busy. Past the timeout the task fails and is retried the
 * same way, and the batch never moves again; calls keep the default.
 */
export const BATCH_WORKFLOW_TASK_TIMEOUT = '1 minute';

/** How this deployment runs batches, from its configuration: part of every batch workflow's input. */
export type BatchSettings = {
  /** Calls in flight at once (BATCH_WINDOW). */
  window: number;
  /** Events a run of the batch workflow may reach before it continues as new (BATCH_RUN_EVENTS). */
  runEvents?: number;
  /** The deployment's task-queue prefix (COFI_TASK_QUEUE). */
  prefix: string;
  /** Absent in workflows started before it existed: the defaults. */
  stageRetry?: StageRetry;
};

export function batchSettings(
  config: Pick<
    Config,
    | 'BATCH_WINDOW'
    | 'BATCH_RUN_EVENTS'
    | 'COFI_TASK_QUEUE'
    | 'STAGE_ATTEMPTS'
    | 'STAGE_RETRY_MAX_MS'
    | 'STAGE_SCHEDULE_TO_START_MS'
  >,
): BatchSettings {
  return {
    window: config.BATCH_WINDOW,
    runEvents: config.BATCH_RUN_EVENTS,
    prefix: config.COFI_TASK_QUEUE,
    stageRetry: {
      attempts: config.STAGE_ATTEMPTS,
      maxIntervalMs: config.STAGE_RETRY_MAX_MS,
      scheduleToStartMs: config.STAGE_SCHEDULE_TO_START_MS,
    },
  };
}

/**
 * Asks a batch to stop: calls in flight are cancelled and record themselves, the rest are not started. With
 * `batchId`, only that batch stops (the audit upload's workflow id is shared by every upload).
 */
export const cancelSignal = defineSignal<[{ reason?: string; batchId?: number }]>('cancel');

/** A call's one report to its batch: sent by workflow id, so it reaches whichever run of the batch is current. */
export type CallSettled = { batchId: number; callId: number; end: CallEnd };
export const callSettledSignal = defineSignal<[CallSettled]>('callSettled');

/** What a batch workflow knows of itself (per-stage progress is the ledger's, read by the API). */
export type BatchState = {
  batchId: number;
  kind: BatchKind;
  attempt: number;
  phase: 'opening' | 'cleaning' | 'running' | 'cancelling' | 'closing';
  inFlight: number;
  completed: number;
  failed: number;
  cancelled: number;
  exhausted: boolean;
  /** How many times this execution continued as new. */
  runs: number;
  cancelRequested: boolean;
};
export const stateQuery = defineQuery<BatchState>('state');

export const SEARCH_ATTRIBUTES = {
  batchId: defineSearchAttributeKey('CofiBatchId', 'INT'),
  callId: defineSearchAttributeKey('CofiCallId', 'INT'),
  audioName: defineSearchAttributeKey('CofiAudioName', 'KEYWORD'),
  processId: defineSearchAttributeKey('CofiProcessId', 'INT'),
  kind: defineSearchAttributeKey('CofiKind', 'KEYWORD'),
} as const;

/** Set by Temporal on a workflow a Schedule started: the time the action was due. */
export const SCHEDULED_START_TIME = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/** Readable workflow ids: the batch and the call are in them, so people find them in the Web UI. */
export const workflowIds = {
  /** Fixed: only one audit upload runs at a time, enforced by Temporal's workflow-id uniqueness. */
  auditUpload: (prefix: string) => `${prefix}/audit-upload`,
  reaudit: (prefix: string, batchId: number) => `${prefix}/reaudit-${batchId}`,
  /** One per date: the scheduled and the on-demand run of a day are the same workflow. */
  dailyBatch: (prefix: string, batchDate: string) => `${prefix}/daily-${batchDate}`,
  /** The schedule's action; Temporal appends the time it was due. */
  scheduledDay: (prefix: string) => `${prefix}/daily-scheduled`,
  /**
   * A call in a batch; from a batch's second attempt on (a day run again) the attempt is part of it, so a call
   * of the attempt before that is still stopping is never mistaken for this attempt's.
   */
  call: (prefix: string, batchId: number, callId: number, attempt = 1) =>
    `${prefix}/batch-${batchId}/call-${callId}${attempt > 1 ? `/attempt-${attempt}` : ''}`,
};
