// Inputs and outputs of every activity: one object in, one object out, so fields can be added safely.
import type { CallEnd, Cursor } from '../core/batchWindow.js';
import type { FailureContext } from '../core/errors.js';
import type { Progress, StageCount } from '../core/progress.js';
import type { BatchKind, BatchStatus, ReauditStage, Stage } from '../core/stages.js';

export type CallRef = { batchId: number; callId: number };
/** A batch and the attempt (execution) that runs it now: the event keys carry both. */
export type BatchRef = { batchId: number; attempt: number };

/** Where a call's inference runs. */
export type CallRoute = { gpuNode: string; llmEndpoint: string };

export type OpenBatchInput = { batchId: number; kind: BatchKind; runId: string };
export type OpenedBatch = { batchId: number; attempt: number; stages: Stage[]; total: number };

export type AdmitCallsInput = {
  batch: BatchRef;
  kind: BatchKind;
  stages: Stage[];
  cursor: Cursor | null;
  limit: number;
  /** Seconds of audio the batch has in flight per GPU node: distribution evens it out. */
  load: Record<string, number>;
};
export type AdmittedCallItem = {
  callId: number;
  audioName: string;
  processId: number;
  route: CallRoute;
  /** The stages the call still has to run (a day run again skips what the call finished). */
  stages: Stage[];
  seconds: number;
};
export type AdmitCallsOutput = {
  calls: AdmittedCallItem[];
  /** Calls listed that ended here: distribution failed, or nothing was left to run. */
  ended: { callId: number; end: CallEnd }[];
  cursor: Cursor | null;
  exhausted: boolean;
};

export type ReconcileInput = {
  batch: BatchRef;
  stages: Stage[];
  prefix: string;
  callIds: number[];
  /** Calls whose workflow is known to have ended without an outcome. */
  lost: number[];
  /** The batch is being cancelled: a call that ended without an outcome counts as cancelled. */
  cancelling: boolean;
};
export type ReconcileOutput = { ended: { callId: number; end: CallEnd }[] };

export type CloseBatchInput = { batch: BatchRef; exit: 'done' | 'cancelled' | 'failed'; reason?: string };
export type CloseBatchOutput = {
  status: BatchStatus;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
};

export type CleanupStageInput = { batch: BatchRef; stage: Stage };

export type IngestDayInput = {
  date: string;
  folder?: string;
  audioStages: ('denoise' | 'ivr')[];
  workflowId: string;
  runId: string;
};

/** A call to move off the GPU nodes in `tried` (the last one is the node that stopped answering). */
export type RedistributeInput = CallRef & {
  stage: 'lid' | 'stt';
  tried: string[];
  reason: string;
  /**
   * The request waited in the node's queue past STAGE_SCHEDULE_TO_START_MS (no poller took it), rather than
   * the node failing: any node with a live poller will do, the one left included when it is the only one.
   */
  unpicked?: boolean;
};
/** An LLM request nobody took from its endpoint's queue in time: move the call to another endpoint. */
export type RerouteLlmInput = CallRef & {
  stage: 'llm1' | 'llm2';
  route: CallRoute;
  reason: string;
  /** Moves of this call at this stage so far (part of the event's key). */
  moves: number;
};

export type CallFailureInput = CallRef & {
  stage: Stage;
  errorType: string;
  message: string;
  context: FailureContext;
  attempts?: number;
  /** The batch's attempt and stages (absent from calls of the first batch shape: read from the batch). */
  attempt?: number;
  stages?: Stage[];
};

/** Stage activities: `last` says this is the call's final stage in this run, so it completes the call. */
export type StageInput = CallRef & { route: CallRoute; last: boolean };
export type LidOutput = { lang: string; supported: boolean; confidence: number | null };

// The first batch shape's bookkeeping (activities/v1) -----------------------------------------------------

export type StartBatchInput = { batchId: number; runId: string };
export type StartBatchOutput = { total: number };
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
export type FinishBatchInput = { batchId: number; progress: Progress; cancelled?: boolean };
export type FinishBatchOutput = {
  status: BatchStatus;
  completed: number;
  failed: number;
  cancelled: number;
  total: number;
  progress?: Progress;
};
export type CleanupInput = { batchId: number; stages: ReauditStage[] };
export type CleanupOutput = Record<string, number>;
