// Stuck calls: a call of a running batch that has been in one stage far longer than that stage usually takes (a
// multiple of the running median of its recent times, from the ledger), with a floor so a stage that usually
// takes a second does not flag every call that waits a little. Read by the batch page, its API and /metrics.
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import { STAGES, type Stage } from '../core/stages.js';
import { batchStatus, call, callLock, stageOutcome } from '../drizzle/schema/index.js';
import type { Reader } from './ledger.js';

/** A call is stuck past this multiple of its stage's median time. */
export const STUCK_FACTOR = 5;
/** ... and never before this long in the stage, whatever the median. */
export const STUCK_MIN_SECONDS = 300;
/** The running median is over a stage's latest this many finished calls. */
export const MEDIAN_SAMPLES = 200;

export type StuckRule = { factor: number; minSeconds: number; samples: number };
export const DEFAULT_STUCK_RULE: StuckRule = {
  factor: STUCK_FACTOR,
  minSeconds: STUCK_MIN_SECONDS,
  samples: MEDIAN_SAMPLES,
};

export type StuckCall = {
  callId: number;
  batchId: number;
  audioName: string;
  stage: Stage;
  /** When the call entered the stage: the end of its previous stage in this batch (or when it joined the batch). */
  since: Date;
  seconds: number;
  /** The stage's median time (null: no finished call to learn it from yet) and the threshold it gives. */
  medianSeconds: number | null;
  thresholdSeconds: number;
};

const RUNNING = ['Pending', 'InProgress'] as const;
const asDate = (v: Date | string) => (v instanceof Date ? v : new Date(`${v}Z`));

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * Per stage, the median time of its latest finished calls: from the end of the call's previous stage in the
 * same batch (for a batch's first stage: the start of the batch's attempt, as a call waiting now is timed; the
 * attempt's own start when the batch has started again since) to the end of this one. Queue time counts, as it
 * does for a call waiting now, so a busy fleet (or a long batch's window) does not look stuck.
 */
export async function stageMedians(db: Reader, samples = MEDIAN_SAMPLES): Promise<Map<Stage, number>> {
  const out = new Map<Stage, number>();
  const prev = sql`(SELECT MAX(p.finishedAt) FROM stageOutcome p WHERE p.batchId = t.batchId AND p.callId = t.callId AND p.finishedAt < t.finishedAt)`;
  await Promise.all(
    STAGES.map(async (stage) => {
      const latest = db
        .select({
          batchId: stageOutcome.batchId,
          callId: stageOutcome.callId,
          startedAt:
            sql<Date | null>`CASE WHEN ${batchStatus.startedAt} <= ${stageOutcome.finishedAt} THEN ${batchStatus.startedAt} ELSE ${stageOutcome.startedAt} END`.as(
              'startedAt',
            ),
          finishedAt: stageOutcome.finishedAt,
        })
        .from(stageOutcome)
        .innerJoin(batchStatus, eq(batchStatus.id, stageOutcome.batchId))
        .where(and(eq(stageOutcome.stage, stage), eq(stageOutcome.outcome, 'done')))
        .orderBy(desc(stageOutcome.finishedAt))
        .limit(samples)
        .as('t');
      const rows = await db
        .select({
          micros: sql<
            number | null
          >`TIMESTAMPDIFF(MICROSECOND, COALESCE(${prev}, ${latest.startedAt}), ${latest.finishedAt})`,
        })
        .from(latest);
      const m = median(rows.flatMap((r) => (r.micros === null ? [] : [Math.max(0, Number(r.micros) / 1e6)])));
      if (m !== null) out.set(stage, m);
    }),
  );
  return out;
}

export const thresholdOf = (rule: StuckRule, medianSeconds: number | null) =>
  Math.max(rule.minSeconds, rule.factor * (medianSeconds ?? 0));

/**
 * The stuck calls of running batches (of one batch, with `batchId`). A call's stage is its batch's first stage
 * without an outcome for it. Its time in that stage runs from its last outcome in the batch; a call with none yet
 * (in the batch's first stage: a reaudit's calls between the clean-up and their first stage's end, or calls
 * waiting for the batch's window) from when it joined the batch: the later of its admission (its lock) and the
 * start of the batch's current attempt. The database groups the ledger per call and returns only candidates:
 * calls with an undecided stage, in it longer than the floor (no threshold is lower).
 */
export async function stuckCalls(
  db: Reader,
  options: { batchId?: number; now?: Date; rule?: StuckRule; medians?: Map<Stage, number> } = {},
): Promise<StuckCall[]> {
  const rule = options.rule ?? DEFAULT_STUCK_RULE;
  const now = options.now ?? new Date();
  const rows = await stuckCandidates(db, { ...options, now, minSeconds: rule.minSeconds });
  if (rows.length === 0) return [];
  const medians = options.medians ?? (await stageMedians(db, rule.samples));
  const out: StuckCall[] = [];
  for (const r of rows) {
    const seconds = (now.getTime() - r.since.getTime()) / 1000;
    const medianSeconds = medians.get(r.stage) ?? null;
    const thresholdSeconds = thresholdOf(rule, medianSeconds);
    if (seconds > thresholdSeconds)
      out.push({
        ...r,
        seconds: Math.round(seconds),
        medianSeconds: medianSeconds === null ? null : Math.round(medianSeconds * 10) / 10,
        thresholdSeconds: Math.round(thresholdSeconds),
      });
  }
  return out.sort((a, b) => b.seconds - a.seconds);
}

export type StuckCandidate = Pick<StuckCall, 'callId' | 'batchId' | 'audioName' | 'stage' | 'since'>;

/**
 * The calls of running batches with an undecided stage that have been in it longer than `minSeconds`, grouped
 * per call in the database: a scrape reads one row per candidate, not every ledger row of every locked call.
 */
export async function stuckCandidates(
  db: Reader,
  options: { batchId?: number; now: Date; minSeconds: number },
): Promise<StuckCandidate[]> {
  const floor = new Date(options.now.getTime() - options.minSeconds * 1000);
  const joined = sql`GREATEST(${callLock.lockedAt}, COALESCE(${batchStatus.startedAt}, ${callLock.lockedAt}))`;
  const since = sql<Date | string>`COALESCE(MAX(${stageOutcome.finishedAt}), ${joined})`;
  const rows = await db
    .select({
      batchId: callLock.batchId,
      callId: callLock.callId,
      audioName: sql<string>`MAX(${call.audioName})`,
      stages: sql<string | string[] | null>`MAX(${batchStatus.stages})`,
      decided: sql<string | null>`GROUP_CONCAT(${stageOutcome.stage})`,
      since,
    })
    .from(callLock)
    .innerJoin(batchStatus, eq(batchStatus.id, callLock.batchId))
    .innerJoin(call, eq(call.id, callLock.callId))
    .leftJoin(
      stageOutcome,
      and(eq(stageOutcome.batchId, callLock.batchId), eq(stageOutcome.callId, callLock.callId)),
    )
    .where(
      and(
        inArray(batchStatus.status, RUNNING),
        options.batchId !== undefined ? eq(callLock.batchId, options.batchId) : undefined,
      ),
    )
    .groupBy(callLock.batchId, callLock.callId, callLock.lockedAt, batchStatus.startedAt)
    // A failed or cancelled call has its later stages decided too (skipped): only an open one has a stage.
    .having(
      and(
        sql`${since} < ${floor}`,
        sql`COUNT(DISTINCT ${stageOutcome.stage}) < JSON_LENGTH(MAX(${batchStatus.stages}))`,
      ),
    );
  const out: StuckCandidate[] = [];
  for (const r of rows) {
    const stages = (typeof r.stages === 'string' ? JSON.parse(r.stages) : (r.stages ?? [])) as Stage[];
    const decided = new Set((r.decided ?? '').split(',').filter(Boolean));
    const stage = stages.find((s) => !decided.has(s));
    if (stage)
      out.push({
        callId: r.callId,
        batchId: r.batchId,
        audioName: r.audioName,
        stage,
        since: asDate(r.since),
      });
  }
  return out;
}

/** Stuck calls per stage, every stage present (0 included), for the gauge. */
export async function stuckCounts(db: Reader, rule?: StuckRule): Promise<Record<Stage, number>> {
  const counts = Object.fromEntries(STAGES.map((s) => [s, 0])) as Record<Stage, number>;
  for (const s of await stuckCalls(db, rule ? { rule } : {})) counts[s.stage] += 1;
  return counts;
}
