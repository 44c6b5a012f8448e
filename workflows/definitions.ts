// Signals, queries and search attributes shared by the workflows and the clients that talk to them.
import { defineSearchAttributeKey } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Config } from '../core/config.js';
import type { Progress } from '../core/progress.js';
import type { BatchKind, BatchStatus, Stage } from '../core/stages.js';

/**
 * A call's report to its batch workflow after each stage but its last (live progress). The call's outcome
 * is its workflow result, which the batch reads as the child's parent.
 */
export type CallOutcome = { callId: number; stage: Stage; ok: boolean; final: boolean };
export const callOutcomeSignal = defineSignal<[CallOutcome]>('callOutcome');

/** How a stage activity retries a retryable failure (connection, timeout, 429, 5xx): STAGE_ATTEMPTS, STAGE_RETRY_MAX_MS. */
export type StageRetry = { attempts: number; maxIntervalMs: number };

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
  /** Events a run of the batch workflow may reach before it drains and continues as new (BATCH_RUN_EVENTS). */
  runEvents?: number;
  /** The deployment's task-queue prefix (COFI_TASK_QUEUE). */
  prefix: string;
  /** Absent in workflows started before it existed: the defaults. */
  stageRetry?: StageRetry;
};

export function batchSettings(
  config: Pick<
    Config,
    'BATCH_WINDOW' | 'BATCH_RUN_EVENTS' | 'COFI_TASK_QUEUE' | 'STAGE_ATTEMPTS' | 'STAGE_RETRY_MAX_MS'
  >,
): BatchSettings {
  return {
    window: config.BATCH_WINDOW,
    runEvents: config.BATCH_RUN_EVENTS,
    prefix: config.COFI_TASK_QUEUE,
    stageRetry: { attempts: config.STAGE_ATTEMPTS, maxIntervalMs: config.STAGE_RETRY_MAX_MS },
  };
}

/** What `GET /audit/status` shows while the batch runs. */
export type BatchSnapshot = {
  batchId: number;
  kind: BatchKind;
  status: BatchStatus;
  stages: Stage[];
  total: number;
  completed: number;
  failed: number;
  /** Calls a cancel stopped (a reaudit's), started or not. */
  cancelled: number;
  inFlight: number;
  progress: Progress;
  /** How many times the workflow continued as new (history kept small for large batches). */
  runs: number;
  cancelRequested: boolean;
};
export const progressQuery = defineQuery<BatchSnapshot>('progress');

/** Asks a reaudit to stop: in-flight calls are cancelled, bookkeeping still runs. */
export const cancelSignal = defineSignal<[{ reason?: string }]>('cancel');

export const SEARCH_ATTRIBUTES = {
  batchId: defineSearchAttributeKey('CofiBatchId', 'INT'),
  callId: defineSearchAttributeKey('CofiCallId', 'INT'),
  audioName: defineSearchAttributeKey('CofiAudioName', 'KEYWORD'),
  processId: defineSearchAttributeKey('CofiProcessId', 'INT'),
  kind: defineSearchAttributeKey('CofiKind', 'KEYWORD'),
} as const;

/** Readable workflow ids: the batch and the call are in them, so people find them in the Web UI. */
export const workflowIds = {
  /** Fixed: only one audit upload runs at a time, enforced by Temporal's workflow-id uniqueness. */
  auditUpload: (prefix: string) => `${prefix}/audit-upload`,
  reaudit: (prefix: string, batchId: number) => `${prefix}/reaudit-${batchId}`,
  dailyBatch: (prefix: string, batchDate: string) => `${prefix}/daily-${batchDate}`,
  call: (prefix: string, batchId: number, callId: number) => `${prefix}/batch-${batchId}/call-${callId}`,
};
