// Temporal's per-run limits and the batch workflow's budget against them. A batch run takes calls until its
// history passes its event budget (or its report budget), then drains the calls in flight and continues as
// new; `batchRunEventBound` is the most events such a run can reach, so the margins in the README are computed,
// not estimated.

/** Temporal's hard limit on a run's history events (the run is terminated past it). */
export const TEMPORAL_RUN_EVENTS = 51_200;
/** Temporal's limit on signals one run may receive. */
export const TEMPORAL_RUN_SIGNALS = 10_000;

/** History events a batch run may reach before it stops taking calls (BATCH_RUN_EVENTS). */
export const DEFAULT_RUN_EVENTS = 6000;
/** Stage reports a batch run accepts before it stops taking calls (or half its event budget, if lower). */
export const MAX_RUN_SIGNALS = 3000;

export function runSignalBudget(runEvents: number): number {
  return Math.min(MAX_RUN_SIGNALS, runEvents / 2);
}

/**
 * The most history events a batch run can hold. The run last checked its budget in a workflow task that began
 * at most `runEvents` events in; after that check:
 * - the listing of calls it had already asked for completes, with its workflow task: 6 events;
 * - each of at most `window` calls is started (2 events, and the workflow task its start wakes: 5), sends a
 *   report per stage before its last and completes, each of which may arrive in a workflow task of its own
 *   (4 events per stage); a cancelled batch also asks each call to cancel (5 events with its task);
 * - each stage's start and completion is logged by an activity: 6 events each;
 * - the workflow task that began at the check, and the hand-over (continue-as-new): 7 events; a version
 *   marker and its search-attribute update: 2 events.
 * Not counted: a workflow task that times out or fails is retried, 3 more events each (a stalled worker).
 */
export function batchRunEventBound(
  runEvents: number,
  window: number,
  stages: number,
  cancellable: boolean,
): number {
  const perCall = 5 + 4 * stages + (cancellable ? 5 : 0);
  return runEvents + 6 + window * perCall + 2 * stages * 6 + 7 + 2;
}

/** The most signals a batch run can receive: its report budget, then a report per stage before the last per call. */
export function batchRunSignalBound(runEvents: number, window: number, stages: number): number {
  return Math.floor(runSignalBudget(runEvents)) + 1 + window * (stages - 1);
}
