// The part every batch workflow shares: a sliding window of call workflows, each admitted (and distributed)
// by a bookkeeping activity a page at a time; a call reports its end by signal, so a run can continue as new
// with calls in flight and the next run hears them (no draining, no idle GPU at a hand-over). Every way out
// ends in a recorded final status: done, cancelled (signal, or a cancel from Temporal), or failed.

import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import {
  CancellationScope,
  CancelledFailure,
  type ChildWorkflowHandle,
  ContinueAsNew,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  sleep,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import type { AdmittedPage } from '../activities/batch.js';
import type { createActivities } from '../activities/index.js';
import {
  admit,
  type CallEnd,
  drained,
  emptyWindow,
  inFlightCount,
  inFlightIds,
  markLost,
  nodeLoad,
  pageSize,
  settle,
  type WindowState,
} from '../core/batchWindow.js';
import { NON_RETRYABLE_TYPES } from '../core/errors.js';
import { DEFAULT_RUN_EVENTS } from '../core/limits.js';
import type { BatchKind, BatchStatus, Stage } from '../core/stages.js';
import { callPipelineV2 } from './callPipeline.js';
import {
  type BatchSettings,
  type BatchState,
  type CallSettled,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from './definitions.js';

type Activities = ReturnType<typeof createActivities>;

/**
 * A call as admitCalls returns it. Histories recorded before `ids-only-call-workflows` also carry its file name,
 * which their call workflows were started with (memo and CofiAudioName); they replay as they ran.
 */
type AdmittedCall = AdmittedPage['calls'][number] & { audioName?: string };

/** Batch bookkeeping: database work, retried until the database answers; a missing batch fails at once. */
export const bookkeeping = proxyActivities<Activities['main']>({
  startToCloseTimeout: '5 minutes',
  retry: {
    initialInterval: '1 second',
    maximumInterval: '30 seconds',
    nonRetryableErrorTypes: NON_RETRYABLE_TYPES,
  },
});

/** Everything a run hands to the next one when it continues as new. */
export type BatchRunState = {
  batchId: number;
  attempt: number;
  kind: BatchKind;
  stages: Stage[];
  settings: BatchSettings;
  window: WindowState;
  runs: number;
  cancelRequested: boolean;
  cancelReason?: string;
  /** Appended to call workflow ids when one batch runs a call more than once (the benchmark's stage barrier). */
  childTag?: string;
};

export type BatchResult = {
  batchId: number;
  status: BatchStatus;
  total: number;
  completed: number;
  failed: number;
  cancelled: number;
};

/** Silence after which a batch asks the ledger and Temporal about its calls in flight (doubling to 30 min). */
const RECONCILE_AFTER_MS = 2 * 60_000;
const RECONCILE_MAX_MS = 30 * 60_000;

/**
 * One batch execution's state and its handlers. A workflow creates it first thing and installs
 * `cancel`, `settle` and `view` as its signal and query handlers, before any other await.
 */
export class BatchRun {
  state: BatchRunState | undefined;
  private phase: BatchState['phase'] = 'opening';
  private cancelSent = false;
  private news = 0;
  /** A cancel that arrived before the batch was opened. */
  private earlyCancel: string | undefined;

  constructor(
    private readonly kind: BatchKind,
    state: BatchRunState | undefined,
  ) {
    this.state = state;
    if (state) this.phase = state.cancelRequested ? 'cancelling' : 'running';
  }

  /** Signal handler: stop taking calls, cancel those in flight, end Cancelled. */
  cancel = ({ reason, batchId }: { reason?: string; batchId?: number } = {}): void => {
    if (batchId !== undefined && this.state && batchId !== this.state.batchId) return;
    const why = reason ?? 'cancel requested';
    if (!this.state) {
      this.earlyCancel ??= why;
      return;
    }
    if (this.state.cancelRequested) return;
    this.state.cancelRequested = true;
    this.state.cancelReason = why;
    this.phase = 'cancelling';
    this.news++;
  };

  get cancelRequested(): boolean {
    return this.state?.cancelRequested ?? this.earlyCancel !== undefined;
  }

  /** Signal handler: a call of this batch ended (reports from other batches sharing the workflow id are ignored). */
  settle = ({ batchId, callId, end }: CallSettled): void => {
    if (!this.state || batchId !== this.state.batchId) return;
    if (settle(this.state.window, callId, end)) this.news++;
  };

  /** Query handler. */
  view = (): BatchState => {
    const s = this.state;
    return {
      batchId: s?.batchId ?? 0,
      kind: this.kind,
      attempt: s?.attempt ?? 0,
      phase: this.phase,
      inFlight: s ? inFlightCount(s.window) : 0,
      completed: s?.window.ended.completed ?? 0,
      failed: s?.window.ended.failed ?? 0,
      cancelled: s?.window.ended.cancelled ?? 0,
      exhausted: s?.window.exhausted ?? false,
      runs: s?.runs ?? 0,
      cancelRequested: this.cancelRequested,
    };
  };

  setPhase(phase: BatchState['phase']): void {
    this.phase = phase;
  }

  /** The batch is open: from here on every way out records a final status. */
  begin(
    opened: { batchId: number; attempt: number; stages: Stage[] },
    settings: BatchSettings,
  ): BatchRunState {
    this.state = {
      batchId: opened.batchId,
      attempt: opened.attempt,
      kind: this.kind,
      stages: opened.stages,
      settings: {
        window: settings.window,
        prefix: settings.prefix,
        ...(settings.runEvents !== undefined && { runEvents: settings.runEvents }),
        ...(settings.stageRetry && { stageRetry: settings.stageRetry }),
      },
      window: emptyWindow(),
      runs: 0,
      cancelRequested: false,
    };
    if (this.earlyCancel !== undefined) this.cancel({ reason: this.earlyCancel });
    return this.state;
  }

  /**
   * Runs `body` (opening and preparing the batch, then its calls) and records how it ended. A cancel from
   * Temporal (the Web UI's Cancel) is a cancel like the signal: the body runs on, not cancellable, and stops
   * its calls itself. `body` continues as new by throwing; that is not an end.
   */
  async execute(body: () => Promise<void>): Promise<BatchResult> {
    let cancelledInTemporal = false;
    CancellationScope.current().cancelRequested.catch(() => {
      cancelledInTemporal = true;
      this.cancel({ reason: 'cancelled in Temporal' });
    });
    try {
      await CancellationScope.nonCancellable(body);
    } catch (err) {
      if (err instanceof ContinueAsNew) throw err;
      if (!this.state) throw err; // never opened (no such batch): nothing of ours to record
      const reason = err instanceof Error ? err.message : String(err);
      await CancellationScope.nonCancellable(async () => {
        await this.cancelInFlight();
        await this.close('failed', reason);
      });
      throw err;
    }
    if (!this.state) throw new Error('batch body ended without opening the batch');
    const result = await CancellationScope.nonCancellable(() =>
      this.close(this.state?.cancelRequested ? 'cancelled' : 'done', this.state?.cancelReason),
    );
    // Recorded; the execution itself then ends as Temporal was asked: cancelled.
    if (cancelledInTemporal) throw new CancelledFailure('cancelled in Temporal; the batch ended Cancelled');
    return result;
  }

  private async close(exit: 'done' | 'cancelled' | 'failed', reason?: string): Promise<BatchResult> {
    const s = this.state!;
    this.phase = 'closing';
    const closed = await bookkeeping.closeBatch({
      batch: { batchId: s.batchId, attempt: s.attempt },
      exit,
      ...(reason !== undefined && { reason }),
    });
    return { batchId: s.batchId, ...closed };
  }

  /**
   * The calls of the batch through the window until every one has ended (or, cancelled, every one in flight
   * has stopped). Continues as new, calls in flight and all, when the run's history budget is spent.
   */
  async runCalls(continueWith: (state: BatchRunState) => Promise<never>): Promise<void> {
    const s = this.state!;
    if (!s.cancelRequested) this.phase = 'running';
    const runEvents = s.settings.runEvents ?? DEFAULT_RUN_EVENTS;
    const starting: Promise<unknown>[] = [];
    let quietSince = this.news;
    let reconcileAfter = RECONCILE_AFTER_MS;
    let reconcileDue = false;
    // A watchdog: when nothing was heard for a while, ask about the calls in flight (a lost report, or a call
    // workflow terminated by hand, would otherwise hold the batch for ever).
    void (async () => {
      for (;;) {
        await sleep(reconcileAfter);
        if (this.news === quietSince && inFlightCount(s.window) > 0) {
          reconcileDue = true;
          reconcileAfter = Math.min(reconcileAfter * 2, RECONCILE_MAX_MS);
          this.news++;
        } else reconcileAfter = RECONCILE_AFTER_MS;
        quietSince = this.news;
      }
    })();

    for (;;) {
      if (s.cancelRequested && !this.cancelSent) {
        this.cancelSent = true;
        // A call is cancelled once its start is acknowledged; each records itself as cancelled and reports
        // it like any other end.
        await Promise.all(starting);
        await this.cancelInFlight();
      }
      if (reconcileDue || s.window.lost.length > 0) {
        // The watchdog asks about every call in flight; otherwise only the calls known to be lost.
        const callIds = reconcileDue ? inFlightIds(s.window) : [...s.window.lost];
        reconcileDue = false;
        const { ended } = await bookkeeping.reconcileCalls({
          batch: { batchId: s.batchId, attempt: s.attempt },
          stages: s.stages,
          prefix: s.settings.prefix,
          callIds,
          lost: s.window.lost,
          cancelling: s.cancelRequested,
        });
        for (const e of ended) settle(s.window, e.callId, e.end);
        s.window.lost = [];
      }
      const budgetSpent = workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > runEvents;
      const limit = s.cancelRequested || budgetSpent ? 0 : pageSize(s.window, s.settings.window);
      if (limit > 0) {
        const page = await bookkeeping.admitCalls({
          batch: { batchId: s.batchId, attempt: s.attempt },
          kind: s.kind,
          stages: s.stages,
          cursor: s.window.cursor,
          limit,
          load: nodeLoad(s.window),
        });
        admit(s.window, {
          admitted: page.calls.map((c) => ({ callId: c.callId, node: c.route.gpuNode, seconds: c.seconds })),
          ended: page.ended,
          cursor: page.cursor,
          exhausted: page.exhausted,
        });
        for (const c of page.calls) starting.push(this.startCall(c));
        continue;
      }
      if (drained(s.window) || (s.cancelRequested && inFlightCount(s.window) === 0)) break;
      if (budgetSpent) {
        // Every start asked for is acknowledged before the hand-over; the calls themselves run on.
        await Promise.all(starting);
        s.runs++;
        await continueWith(s);
      }
      const seen = this.news;
      await condition(
        () =>
          this.news !== seen ||
          (s.cancelRequested && !this.cancelSent) ||
          s.window.lost.length > 0 ||
          (!s.cancelRequested && pageSize(s.window, s.settings.window) > 0),
      );
    }
    await Promise.all(starting);
  }

  /** Asks every call in flight to stop; a call that cannot be reached is recorded by the batch instead. */
  private async cancelInFlight(): Promise<void> {
    const s = this.state!;
    await Promise.all(
      inFlightIds(s.window).map((callId) =>
        getExternalWorkflowHandle(this.childId(callId))
          .cancel()
          .catch(() => markLost(s.window, callId)),
      ),
    );
  }

  private childId(callId: number): string {
    const s = this.state!;
    const id = workflowIds.call(s.settings.prefix, s.batchId, callId, s.attempt);
    return s.childTag ? `${id}/${s.childTag}` : id;
  }

  /**
   * Starts one call's workflow. A call whose workflow is already running (started by an earlier run of this
   * batch) is kept in flight: it reports to this workflow id like any other. A call workflow that ends without
   * recording an outcome (terminated) is recorded by the batch.
   */
  private async startCall(call: AdmittedCall): Promise<void> {
    const s = this.state!;
    let handle: ChildWorkflowHandle<typeof callPipelineV2>;
    // Ids only (issue 16): a memo and a search attribute stay in Temporal for the namespace's retention, out of
    // an erasure's reach, and a file name often carries the customer's number or name. The Web UI finds a call
    // by CofiCallId (api/temporalLinks.ts).
    const named = !patched('ids-only-call-workflows');
    try {
      handle = await startChild(callPipelineV2, {
        workflowId: this.childId(call.callId),
        args: [
          {
            batchId: s.batchId,
            attempt: s.attempt,
            callId: call.callId,
            stages: s.stages,
            run: call.stages,
            route: call.route,
            parentWorkflowId: workflowInfo().workflowId,
            prefix: s.settings.prefix,
            ...(s.settings.stageRetry && { retry: s.settings.stageRetry }),
          },
        ],
        // A call outlives the run that started it: the batch continues as new with calls in flight.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.batchId, value: s.batchId },
          { key: SEARCH_ATTRIBUTES.callId, value: call.callId },
          ...(named ? [{ key: SEARCH_ATTRIBUTES.audioName, value: call.audioName ?? '' }] : []),
          { key: SEARCH_ATTRIBUTES.processId, value: call.processId },
          { key: SEARCH_ATTRIBUTES.kind, value: s.kind },
        ],
        ...(named && { memo: { audioName: call.audioName ?? '' } }),
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return; // adopted: it reports by signal
      markLost(s.window, call.callId);
      this.news++;
      return;
    }
    // The run that started a call also hears its result: a call terminated by hand never signals.
    handle.result().then(
      (end: CallEnd) => this.settle({ batchId: s.batchId, callId: call.callId, end }),
      (err: unknown) => {
        if (isCancellation(err)) this.settle({ batchId: s.batchId, callId: call.callId, end: 'cancelled' });
        else {
          markLost(s.window, call.callId);
          this.news++;
        }
      },
    );
  }
}
