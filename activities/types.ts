// Inputs and outputs of every activity: one object in, one object out, so fields can be added safely.
import type { FailureContext } from '../core/errors.js';
import type { Progress, StageCount } from '../core/progress.js';
import type { BatchStatus, Stage } from '../core/stages.js';

export type CallRef = { batchId: number; callId: number };

/** Where a call's inference runs. */
export type CallRoute = { gpuNode: string; llmEndpoint: string };

export type StartBatchInput = { batchId: number; runId: string };
export type StartBatchOutput = { total: number };

/** A call to move off the GPU nodes in `tried` (the last one is the node that stopped answering). */
export type RedistributeInput = CallRef & { stage: 'lid' | 'stt'; tried: string[]; reason: string };

export type ListBatchCallsInput = {
  batchId: number;
  afterCallId: number;
  limit: number;
  /** The batch's stages: a call with all of them done is listed as `done`. */
  stages?: Stage[];
};
export type BatchCallItem = { callId: number; audioName: string; processId: number; done?: boolean };

export type StageEventInput = {
  batchId: number;
  stage: Stage;
  event: 'start' | 'complete';
  count?: StageCount;
};

export type CallFailureInput = CallRef & {
  stage: Stage;
  errorType: string;
  message: string;
  context: FailureContext;
  attempts?: number;
};

export type FinishBatchInput = { batchId: number; progress: Progress; cancelled?: boolean };
export type FinishBatchOutput = {
  status: BatchStatus;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
  /** The progress stored as final: the workflow's count, or for a cancelled batch the rows' count. */
  progress?: Progress;
};

/** Stage activities: `last` says this is the call's final stage in this run, so it completes the call. */
export type StageInput = CallRef & { route: CallRoute; last: boolean };
export type LidOutput = { lang: string; supported: boolean; confidence: number | null };
