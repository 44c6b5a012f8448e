// The batch ledger's writes and reads. A stage's outcome for a call is written once, in the transaction of
// the stage's result or failure, and never changed (the first decision wins: a retry, a late result after a
// cancel, or a second recorder all find the row there). Progress is one GROUP BY over it.
import { and, count, eq, inArray, notInArray, sql } from 'drizzle-orm';
import { emptyProgress, type Progress } from '../core/progress.js';
import type { Stage, StageOutcome } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { call, stageOutcome } from '../drizzle/schema/index.js';

/** A database handle or a transaction. */
export type Writer = Pick<Db, 'insert' | 'select' | 'update' | 'delete' | 'execute'>;
export type Reader = Pick<Db, 'select'>;

/** Reasons are kept short: the full message lives in processing_logs and the call row. */
const cut = (text: string | null | undefined) => (text ? text.slice(0, 500) : null);

export type OutcomeRow = {
  batchId: number;
  callId: number;
  stage: Stage;
  outcome: StageOutcome;
  reason?: string | null;
  startedAt?: Date | null;
};

/** Writes outcomes that are not decided yet; decided ones stay as they are. */
export async function recordOutcomes(db: Writer, rows: OutcomeRow[]): Promise<void> {
  if (rows.length === 0) return;
  const now = new Date();
  await db
    .insert(stageOutcome)
    .values(
      rows.map((r) => ({
        batchId: r.batchId,
        callId: r.callId,
        stage: r.stage,
        outcome: r.outcome,
        reason: cut(r.reason),
        startedAt: r.startedAt ?? null,
        finishedAt: now,
      })),
    )
    // The first decision wins: updating the key to itself turns a duplicate into a no-op.
    .onDuplicateKeyUpdate({ set: { batchId: sql`${stageOutcome.batchId}` } });
}

/**
 * A call stopped at `stage`: `failed` (or `cancelled`) there, and every later stage of its batch `skipped`
 * (or `cancelled`), so each stage of the batch counts the call exactly once.
 */
export function stoppedAt(
  ref: { batchId: number; callId: number },
  stages: readonly Stage[],
  stage: Stage,
  how: 'failed' | 'cancelled',
  reason: string,
  startedAt?: Date | null,
): OutcomeRow[] {
  const at = stages.indexOf(stage);
  const from = Math.max(at, 0);
  return stages.slice(from).map((s, i) => ({
    ...ref,
    stage: s,
    outcome: i === 0 ? how : how === 'failed' ? 'skipped' : 'cancelled',
    reason: i === 0 ? reason : how === 'failed' ? `${stage} failed` : reason,
    startedAt: i === 0 ? startedAt : null,
  }));
}

type LedgerBatch = { id: number; stages: readonly Stage[]; totalFiles: number };

/** Per stage of a batch: how many of its calls are done, failed, skipped, cancelled. One indexed GROUP BY. */
export async function ledgerProgress(db: Reader, batch: LedgerBatch): Promise<Progress> {
  return (await ledgerProgressOf(db, [batch])).get(batch.id)!;
}

/** The progress of several batches (a page of the batch list) in one GROUP BY. */
export async function ledgerProgressOf(db: Reader, batches: LedgerBatch[]): Promise<Map<number, Progress>> {
  const out = new Map(batches.map((b) => [b.id, emptyProgress(b.stages, b.totalFiles)]));
  if (batches.length === 0) return out;
  const rows = await db
    .select({
      batchId: stageOutcome.batchId,
      stage: stageOutcome.stage,
      outcome: stageOutcome.outcome,
      n: count(),
    })
    .from(stageOutcome)
    .where(
      batches.length === 1
        ? eq(stageOutcome.batchId, batches[0]!.id)
        : inArray(
            stageOutcome.batchId,
            batches.map((b) => b.id),
          ),
    )
    .groupBy(stageOutcome.batchId, stageOutcome.stage, stageOutcome.outcome);
  for (const r of rows) {
    const c = out.get(r.batchId)?.[r.stage];
    if (c) c[r.outcome] = Number(r.n);
  }
  // Every stage of a ledger batch says how many calls had no speech, 0 included (the v1 counts never did).
  for (const progress of out.values()) for (const c of Object.values(progress)) c.no_speech ??= 0;
  return out;
}

/** How a batch's calls ended, from its progress: each call has exactly one outcome at its last stage. */
export function callTotals(progress: Progress, stages: readonly Stage[]) {
  const last = stages.at(-1);
  const end = last ? progress[last] : undefined;
  const failed = stages.reduce((n, s) => n + (progress[s]?.failed ?? 0), 0);
  // A call without speech is completed: its last stage had nothing to do.
  const noSpeech = end?.no_speech ?? 0;
  const completed = (end?.done ?? 0) + noSpeech;
  const cancelled = end?.cancelled ?? 0;
  const decided = completed + failed + cancelled;
  const first = stages[0] ? progress[stages[0]] : undefined;
  const begun = first
    ? first.done + first.failed + first.skipped + first.cancelled + (first.no_speech ?? 0)
    : 0;
  return {
    total: end?.total ?? 0,
    completed,
    /** Of the completed calls, those whose recording held no speech (no analysis, no answers, no score). */
    noSpeech,
    failed,
    cancelled,
    /** Calls with an outcome at their first stage but none at their last: between stages. */
    inFlight: Math.max(0, begun - decided),
    undecided: Math.max(0, (end?.total ?? 0) - decided),
  };
}

/** Outcomes that finish a stage for good: a day run again never runs those stages again. */
const FINISHED: StageOutcome[] = ['done', 'no_speech'];

/** The stages each call of `callIds` already finished in this batch. */
export async function doneStages(db: Reader, batchId: number, callIds: number[]) {
  const done = new Map<number, Set<Stage>>();
  if (callIds.length === 0) return done;
  const rows = await db
    .select({ callId: stageOutcome.callId, stage: stageOutcome.stage })
    .from(stageOutcome)
    .where(
      and(
        eq(stageOutcome.batchId, batchId),
        inArray(stageOutcome.callId, callIds),
        inArray(stageOutcome.outcome, FINISHED),
      ),
    );
  for (const r of rows) {
    const set = done.get(r.callId) ?? new Set<Stage>();
    set.add(r.stage);
    done.set(r.callId, set);
  }
  return done;
}

/** The calls of `callIds` that have an outcome at `stage` in this batch, with it. */
export async function outcomesAt(db: Reader, batchId: number, stage: Stage, callIds: number[]) {
  if (callIds.length === 0) return new Map<number, StageOutcome>();
  const rows = await db
    .select({ callId: stageOutcome.callId, outcome: stageOutcome.outcome })
    .from(stageOutcome)
    .where(
      and(
        eq(stageOutcome.batchId, batchId),
        eq(stageOutcome.stage, stage),
        inArray(stageOutcome.callId, callIds),
      ),
    );
  return new Map(rows.map((r) => [r.callId, r.outcome]));
}

/**
 * A batch opened again (a day run a second time): what was not finished is undecided again, so its calls run
 * and count anew; what was done stays done and is never run again. An erased call is never run again either (its
 * audio is gone and a run would overwrite its tombstone): its outcomes stay as they were.
 */
export async function reopenLedger(db: Writer, batchId: number): Promise<void> {
  await db.delete(stageOutcome).where(
    and(
      eq(stageOutcome.batchId, batchId),
      notInArray(stageOutcome.outcome, FINISHED),
      notInArray(
        stageOutcome.callId,
        db
          .select({ id: call.id })
          .from(call)
          .where(and(eq(call.batchId, batchId), eq(call.status, 'Erased'))),
      ),
    ),
  );
}

/** When each stage of a batch first began and last finished (for the stage events' times). */
export async function stageTimes(db: Reader, batchId: number, stages: readonly Stage[]) {
  const rows = await db
    .select({
      stage: stageOutcome.stage,
      first: sql<Date | string | null>`MIN(COALESCE(${stageOutcome.startedAt}, ${stageOutcome.finishedAt}))`,
      last: sql<Date | string | null>`MAX(${stageOutcome.finishedAt})`,
    })
    .from(stageOutcome)
    .where(and(eq(stageOutcome.batchId, batchId), inArray(stageOutcome.stage, [...stages])))
    .groupBy(stageOutcome.stage);
  const asDate = (v: Date | string | null) => (v === null ? null : v instanceof Date ? v : new Date(`${v}Z`));
  return new Map(rows.map((r) => [r.stage, { first: asDate(r.first), last: asDate(r.last) }]));
}
