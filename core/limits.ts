// Temporal's per-run limits and the batch workflow's budget against them. A batch run takes calls until its
// history passes its event budget, then continues as new with its calls in flight (they report by signal to
// the workflow id, so the next run hears them); `batchRunEventBound` is the most events such a run can reach,
// so the margins in the docs are computed, not estimated.

/** Temporal's hard limit on a run's history events (the run is terminated past it). */
export const TEMPORAL_RUN_EVENTS = 51_200;
/** Temporal's limit on signals one run may receive. */
export const TEMPORAL_RUN_SIGNALS = 10_000;
/** Temporal's limit on child workflows pending at once in one run. */
export const TEMPORAL_PENDING_CHILDREN = 2000;

/** History events a batch run may reach before it stops taking calls (BATCH_RUN_EVENTS). */
export const DEFAULT_RUN_EVENTS = 6000;
/** The first batch shape (workflows/v1) also stopped at this many stage reports (or half its event budget). */
export const MAX_RUN_SIGNALS = 3000;
export function runSignalBudget(runEvents: number): number {
  return Math.min(MAX_RUN_SIGNALS, runEvents / 2);
}

/**
 * The most history events a batch run can hold. The run last found its budget unspent in a workflow task
 * that began at most `runEvents` events in; after that:
 * - one page of calls is admitted (an activity and its workflow task: 6 events) and started: per call the
 *   start (initiated, started: 2 events) and the workflow task its acknowledgement wakes (3);
 * - while the run waits for those acknowledgements, each of at most `window` calls in flight may end: its
 *   signal and, for a call this run started, its completion (2 events), each in a workflow task (3);
 * - a watchdog timer and a reconcile activity with their workflow task (2 + 6); a cancel asks each call in
 *   flight to stop (2 events each, with a workflow task: 5);
 * - the workflow task that continues as new and the continue-as-new itself (4).
 * Not counted: a workflow task that times out or fails is retried, 3 more events each (a stalled worker).
 */
export function batchRunEventBound(runEvents: number, window: number): number {
  return runEvents + 6 + window * 5 + window * 5 + 8 + window * 5 + 4;
}

/** The most signals a batch run can receive: one per call it started, plus one per call it inherited. */
export function batchRunSignalBound(runEvents: number, window: number): number {
  // A call started by this run costs at least 4 events before its signal (initiated, started, completed,
  // and a workflow task's 3 shared with others): at most runEvents / 4 of them, plus the inherited window.
  return Math.floor(runEvents / 4) + window;
}

/**
 * The most calls one reaudit admits from a whole batch or a retry of its failed calls: they are locked and
 * linked in one transaction, and one batch workflow's history and signals stay bounded. A whole-batch reaudit
 * beyond it is refused (reaudit by call ids in parts); a retry is split into reaudits of at most this many.
 */
export const MAX_BATCH_REAUDIT_CALLS = 10_000;
