// Runs a batch's calls as child workflows in a bounded window, keeping exact progress from their stage
// reports and results, and continuing as new before a run's history grows large. Temporal's per-run limits:
// 51,200 events and 10,000 received signals; a run that takes more children than its budget stops taking
// them, lets the ones in flight finish, and only then continues as new, so nothing races the hand-over.
import {
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import type { StageEventInput } from '../../activities/types.js';
import { NON_RETRYABLE_TYPES } from '../../core/errors.js';
import { DEFAULT_RUN_EVENTS, runSignalBudget } from '../../core/limits.js';
import {
  applyOutcome,
  emptyProgress,
  type Progress,
  type StageOutcome,
  stageFinished,
} from '../../core/progress.js';
import type { BatchKind, BatchStatus, Stage } from '../../core/stages.js';
import { type CallPipelineOutput, callPipeline } from './callPipeline.js';
import {
  type BatchSettings,
  type BatchSnapshot,
  callOutcomeSignal,
  cancelSignal,
  progressQuery,
  SEARCH_ATTRIBUTES,
  type StageRetry,
  workflowIds,
} from './definitions.js';

type Activities = ReturnType<typeof createActivities>;

const main = proxyActivities<Activities['main']>({
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

/** Everything a run hands to the next one when it continues as new. */
export type BatchRunState = {
  batchId: number;
  kind: BatchKind;
  stages: Stage[];
  window: number;
  total: number;
  /** Calls are started in id order; this is the last id started. */
  cursor: number;
  exhausted: boolean;
  inFlight: number[];
  /** Per call in flight: how many of its stages have been counted as done. */
  counted: Record<number, number>;
  completed: number;
  failed: number;
  /** Calls a cancel stopped, started or not (absent in states from before it was counted). */
  cancelled?: number;
  progress: Progress;
  /** Stages whose start / completion has been logged. */
  started: Stage[];
  finished: Stage[];
  pendingEvents: StageEventInput[];
  runs: number;
  /** Set by the cancel signal (reaudits); carried across continue-as-new. */
  cancelRequested: boolean;
  /** Appended to child workflow ids when one batch runs a call more than once (stage-barrier mode). */
  childTag?: string;
  /** The deployment's task-queue prefix (COFI_TASK_QUEUE), part of every queue and child id. */
  prefix: string;
  /** History events a run may reach before it stops taking children (BATCH_RUN_EVENTS). */
  runEvents: number;
  /** Passed to every call (STAGE_ATTEMPTS, STAGE_RETRY_MAX_MS); absent: the calls' defaults. */
  stageRetry?: StageRetry;
};

export function initialState(
  batchId: number,
  kind: BatchKind,
  stages: Stage[],
  total: number,
  settings: BatchSettings,
): BatchRunState {
  const first = stages[0];
  return {
    batchId,
    kind,
    stages,
    window: settings.window,
    total,
    cursor: 0,
    exhausted: false,
    inFlight: [],
    counted: {},
    completed: 0,
    failed: 0,
    progress: emptyProgress(stages, total),
    started: first ? [first] : [],
    finished: [],
    pendingEvents: first ? [{ batchId, stage: first, event: 'start' }] : [],
    runs: 0,
    cancelRequested: false,
    prefix: settings.prefix,
    runEvents: settings.runEvents ?? DEFAULT_RUN_EVENTS,
    ...(settings.stageRetry && { stageRetry: settings.stageRetry }),
  };
}

/** Workflow code that is the same for every batch kind; `continueWith` re-enters the calling workflow. */
export async function runBatch(
  state: BatchRunState,
  continueWith: (state: BatchRunState) => Promise<never>,
  options: { cancellable?: boolean } = {},
): Promise<BatchSnapshot> {
  const isCancelled = () => state.cancelRequested;
  if (options.cancellable) {
    setHandler(cancelSignal, () => {
      state.cancelRequested = true;
    });
  }
  const snapshot = (status: BatchStatus): BatchSnapshot => ({
    batchId: state.batchId,
    kind: state.kind,
    status,
    stages: state.stages,
    total: state.total,
    completed: state.completed,
    failed: state.failed,
    cancelled: state.cancelled ?? 0,
    inFlight: state.inFlight.length,
    progress: state.progress,
    runs: state.runs,
    cancelRequested: isCancelled(),
  });
  setHandler(progressQuery, () => snapshot('InProgress'));
  let signals = 0;
  setHandler(callOutcomeSignal, (outcome) => {
    signals++;
    if (outcome.ok) countDone(state, outcome.callId, state.stages.indexOf(outcome.stage) + 1);
  });

  const prefix = state.prefix;
  let cancelSent = false;
  // Set once this run has taken enough: no more children; when the last one finishes, continue as new.
  let draining = false;
  const budgetSpent = () =>
    workflowInfo().continueAsNewSuggested ||
    workflowInfo().historyLength > state.runEvents ||
    signals > runSignalBudget(state.runEvents);
  for (;;) {
    if (isCancelled() && !cancelSent) {
      // Stop what runs: each call records itself as cancelled; its result tells this batch.
      cancelSent = true;
      await Promise.all(
        state.inFlight.map((callId) =>
          getExternalWorkflowHandle(childId(prefix, state, callId))
            .cancel()
            .catch(() => undefined),
        ),
      );
    }
    draining ||= budgetSpent();
    while (!state.exhausted && !isCancelled() && !draining && state.inFlight.length < state.window) {
      const limit = state.window - state.inFlight.length;
      const listed = await main.listBatchCalls({
        batchId: state.batchId,
        afterCallId: state.cursor,
        limit,
        stages: state.stages,
      });
      if (listed.length < limit) state.exhausted = true;
      const page = [];
      for (const call of listed) {
        state.cursor = call.callId;
        state.inFlight.push(call.callId);
        // Finished in an earlier run of this batch (a resumed day): counted, not run again.
        if (call.done) finishCall(state, call.callId, { callId: call.callId, ok: true });
        else page.push(call);
      }
      // One workflow task issues the whole page's starts: awaiting them one by one would cost a round
      // trip to the server per call.
      const handles = await Promise.all(
        page.map((call) =>
          startChild(callPipeline, {
            workflowId: childId(prefix, state, call.callId),
            args: [
              {
                batchId: state.batchId,
                callId: call.callId,
                stages: state.stages,
                parentWorkflowId: workflowInfo().workflowId,
                prefix,
                ...(state.stageRetry && { retry: state.stageRetry }),
              },
            ],
            // A child never outlives the run that started it (a run drains before continuing as new);
            // should the batch be terminated by hand, its calls still finish and record themselves.
            parentClosePolicy: ParentClosePolicy.ABANDON,
            typedSearchAttributes: [
              { key: SEARCH_ATTRIBUTES.batchId, value: state.batchId },
              { key: SEARCH_ATTRIBUTES.callId, value: call.callId },
              { key: SEARCH_ATTRIBUTES.audioName, value: call.audioName },
              { key: SEARCH_ATTRIBUTES.processId, value: call.processId },
              { key: SEARCH_ATTRIBUTES.kind, value: state.kind },
            ],
            memo: { audioName: call.audioName },
          }),
        ),
      );
      // The child's result is the call's outcome: it cannot be lost the way a signal can.
      for (const [i, handle] of handles.entries()) {
        const callId = page[i]!.callId;
        handle.result().then(
          (result) => finishCall(state, callId, result),
          (err) =>
            isCancellation(err) && patched(COUNT_CANCELLED)
              ? cancelCall(state, callId)
              : finishCall(state, callId, { callId, ok: false }),
        );
      }
      draining ||= budgetSpent();
    }
    while (state.pendingEvents.length > 0) {
      const event = state.pendingEvents[0]!;
      await main.recordStageEvent(event);
      state.pendingEvents.shift();
    }
    if (state.inFlight.length === 0 && (state.exhausted || isCancelled())) {
      // A cancelled batch's calls that never started count as cancelled too, so every stage ends.
      if (isCancelled() && notStarted(state) > 0 && patched(COUNT_CANCELLED)) {
        cancelNotStarted(state);
        continue; // log the stage events this causes
      }
      break;
    }
    if (draining && state.inFlight.length === 0) {
      state.runs++;
      await continueWith(state);
    }
    await condition(
      () =>
        (isCancelled() && !cancelSent) ||
        state.pendingEvents.length > 0 ||
        state.inFlight.length === 0 ||
        (!state.exhausted && !isCancelled() && !draining && state.inFlight.length < state.window),
    );
  }
  const final = await main.finishBatch({
    batchId: state.batchId,
    progress: state.progress,
    cancelled: isCancelled(),
  });
  return {
    ...snapshot(final.status),
    progress: final.progress ?? state.progress,
    completed: final.completed,
    failed: final.failed,
    cancelled: final.cancelled,
  };
}

/**
 * Patch: a call a cancel stopped counts as cancelled (it counted as failed before), and so do a cancelled
 * batch's calls that never started; runs recorded before it replay the old way.
 */
const COUNT_CANCELLED = 'count-cancelled';

function childId(prefix: string, state: BatchRunState, callId: number): string {
  const id = workflowIds.call(prefix, state.batchId, callId);
  return state.childTag ? `${id}/${state.childTag}` : id;
}

/** Counts a call's stages up to `upTo` (exclusive) as done, once each, logging the stage events it causes. */
function countDone(state: BatchRunState, callId: number, upTo: number): void {
  if (!state.inFlight.includes(callId)) return; // a late report from a call this batch already closed
  for (let i = state.counted[callId] ?? 0; i < upTo; i++) applyStage(state, state.stages[i]!, 'done');
  state.counted[callId] = Math.max(state.counted[callId] ?? 0, upTo);
}

/**
 * A call is over: its result says whether every stage finished or at which one it failed. Stages not yet
 * counted from its reports are counted now; a call that ended without a result (terminated; before the count-cancelled patch, cancelled too) failed
 * at the stage it had reached.
 */
function finishCall(state: BatchRunState, callId: number, result: CallPipelineOutput): void {
  if (!state.inFlight.includes(callId)) return;
  const reached = state.counted[callId] ?? 0;
  let failedAt = -1;
  if (!result.ok) {
    const at = result.failedStage ? state.stages.indexOf(result.failedStage) : -1;
    failedAt = at >= 0 ? at : Math.min(reached, state.stages.length - 1);
  }
  countDone(state, callId, result.ok ? state.stages.length : Math.max(failedAt, reached));
  if (!result.ok) applyStage(state, state.stages[failedAt]!, 'failed');
  leaveInFlight(state, callId);
  if (result.ok) state.completed++;
  else state.failed++;
}

/**
 * A call a cancel stopped: cancelled at the stage after the last one its reports counted as done, and in every
 * stage after that.
 */
function cancelCall(state: BatchRunState, callId: number): void {
  if (!state.inFlight.includes(callId)) return;
  const reached = Math.min(state.counted[callId] ?? 0, state.stages.length - 1);
  applyStage(state, state.stages[reached]!, 'cancelled');
  leaveInFlight(state, callId);
  state.cancelled = (state.cancelled ?? 0) + 1;
}

function leaveInFlight(state: BatchRunState, callId: number): void {
  delete state.counted[callId];
  state.inFlight = state.inFlight.filter((id) => id !== callId);
}

/** Calls of the batch that neither ran to an end nor are running. */
function notStarted(state: BatchRunState): number {
  return state.total - state.completed - state.failed - (state.cancelled ?? 0) - state.inFlight.length;
}

/** A cancelled batch's calls that never started: cancelled in every stage. */
function cancelNotStarted(state: BatchRunState): void {
  const first = state.stages[0];
  const n = notStarted(state);
  if (first) for (let i = 0; i < n; i++) applyStage(state, first, 'cancelled');
  state.cancelled = (state.cancelled ?? 0) + n;
}

/** One call's outcome at one stage, with the stage start / complete events it causes (logged by the loop). */
function applyStage(state: BatchRunState, stage: Stage, outcome: StageOutcome): void {
  applyOutcome(state.progress, state.stages, stage, outcome);
  const next = state.stages[state.stages.indexOf(stage) + 1];
  if (outcome === 'done' && next && !state.started.includes(next)) {
    state.started.push(next);
    state.pendingEvents.push({ batchId: state.batchId, stage: next, event: 'start' });
  }
  for (const s of state.stages) {
    const count = state.progress[s];
    if (count && !state.finished.includes(s) && stageFinished(count)) {
      state.finished.push(s);
      state.pendingEvents.push({ batchId: state.batchId, stage: s, event: 'complete', count: { ...count } });
    }
  }
}
