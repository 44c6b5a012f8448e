// Runs a batch's calls as child workflows in a bounded window, keeping exact progress from their reports
// and continuing as new before the history grows large (Temporal: 51,200 events hard limit per run).
import {
  condition,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setHandler,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { StageEventInput } from '../activities/types.js';
import { NON_RETRYABLE_TYPES } from '../core/errors.js';
import { applyOutcome, emptyProgress, type Progress, stageFinished } from '../core/progress.js';
import type { BatchKind, BatchStatus, Stage } from '../core/stages.js';
import { callPipeline } from './callPipeline.js';
import {
  type BatchSnapshot,
  type CallOutcome,
  callOutcomeSignal,
  cancelSignal,
  progressQuery,
  SEARCH_ATTRIBUTES,
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
  completed: number;
  failed: number;
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
};

export function initialState(
  batchId: number,
  kind: BatchKind,
  stages: Stage[],
  total: number,
  window: number,
  prefix: string,
): BatchRunState {
  const first = stages[0];
  return {
    batchId,
    kind,
    stages,
    window,
    total,
    cursor: 0,
    exhausted: false,
    inFlight: [],
    completed: 0,
    failed: 0,
    progress: emptyProgress(stages, total),
    started: first ? [first] : [],
    finished: [],
    pendingEvents: first ? [{ batchId, stage: first, event: 'start' }] : [],
    runs: 0,
    cancelRequested: false,
    prefix,
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
    inFlight: state.inFlight.length,
    progress: state.progress,
    runs: state.runs,
    cancelRequested: isCancelled(),
  });
  setHandler(progressQuery, () => snapshot('InProgress'));
  setHandler(callOutcomeSignal, (outcome) => onOutcome(state, outcome));

  const prefix = state.prefix;
  let cancelSent = false;
  for (;;) {
    if (isCancelled() && !cancelSent) {
      // Stop what runs: each call records itself as cancelled and reports back (in a non-cancellable scope).
      cancelSent = true;
      await Promise.all(
        state.inFlight.map((callId) =>
          getExternalWorkflowHandle(childId(prefix, state, callId))
            .cancel()
            .catch(() => undefined),
        ),
      );
    }
    while (!state.exhausted && !isCancelled() && state.inFlight.length < state.window) {
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
        state.inFlight.push(call.callId);
        state.cursor = call.callId;
        if (call.done) {
          // Finished in an earlier run of this batch (a resumed day): counted, not run again.
          for (const [i, stage] of state.stages.entries())
            onOutcome(state, { callId: call.callId, stage, ok: true, final: i === state.stages.length - 1 });
        } else page.push(call);
      }
      // One workflow task issues the whole page's starts: awaiting them one by one would cost a round
      // trip to the server per call.
      await Promise.all(
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
              },
            ],
            // Children outlive a continue-as-new of this run and report back by workflow id.
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
    }
    while (state.pendingEvents.length > 0) {
      const event = state.pendingEvents[0]!;
      await main.recordStageEvent(event);
      state.pendingEvents.shift();
    }
    if (state.inFlight.length === 0 && (state.exhausted || isCancelled())) break;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > 8000) {
      state.runs++;
      await continueWith(state);
    }
    await condition(
      () =>
        (isCancelled() && !cancelSent) ||
        state.pendingEvents.length > 0 ||
        (state.inFlight.length === 0 && (state.exhausted || isCancelled())) ||
        (!state.exhausted && !isCancelled() && state.inFlight.length < state.window),
    );
  }
  const final = await main.finishBatch({
    batchId: state.batchId,
    progress: state.progress,
    cancelled: isCancelled(),
  });
  return { ...snapshot(final.status), completed: final.completed, failed: final.failed };
}

function childId(prefix: string, state: BatchRunState, callId: number): string {
  const id = workflowIds.call(prefix, state.batchId, callId);
  return state.childTag ? `${id}/${state.childTag}` : id;
}

/** Signal handler: counts the outcome and queues the stage events it causes (logged by the main loop). */
function onOutcome(state: BatchRunState, outcome: CallOutcome): void {
  if (!state.inFlight.includes(outcome.callId)) return; // a report from a call this batch already closed
  applyOutcome(state.progress, state.stages, outcome.stage, outcome.ok);
  const next = state.stages[state.stages.indexOf(outcome.stage) + 1];
  if (outcome.ok && next && !state.started.includes(next)) {
    state.started.push(next);
    state.pendingEvents.push({ batchId: state.batchId, stage: next, event: 'start' });
  }
  for (const stage of state.stages) {
    const count = state.progress[stage];
    if (count && !state.finished.includes(stage) && stageFinished(count)) {
      state.finished.push(stage);
      state.pendingEvents.push({ batchId: state.batchId, stage, event: 'complete', count: { ...count } });
    }
  }
  if (outcome.final) {
    state.inFlight = state.inFlight.filter((id) => id !== outcome.callId);
    if (outcome.ok) state.completed++;
    else state.failed++;
  }
}
