// The first shape of the batch workflows (kept so that batches started before the batch ledger finish on the
// code that started them): per-stage reports from calls, and a query that carries the batch's progress.
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { Progress } from '../../core/progress.js';
import type { BatchKind, BatchStatus, Stage } from '../../core/stages.js';

export {
  type BatchSettings,
  cancelSignal,
  SEARCH_ATTRIBUTES,
  type StageRetry,
  workflowIds,
} from '../definitions.js';

/**
 * A call's report to its batch workflow after each stage but its last (live progress). The call's outcome
 * is its workflow result, which the batch reads as the child's parent.
 */
export type CallOutcome = { callId: number; stage: Stage; ok: boolean; final: boolean };
export const callOutcomeSignal = defineSignal<[CallOutcome]>('callOutcome');

/** What `GET /audit/status` showed while a batch of this shape ran. */
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
