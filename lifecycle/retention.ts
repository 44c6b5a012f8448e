// Retention (issue 16 item 3): a run removes, per process, each kind of a call's data older than the process's
// policy allows, and counts what it removed. The retention workflow calls these through activities/retention.ts.
//
// Age is the call's `createdAt` (when cofi received the recording), not the client-given `callStartedAt`: that
// one is optional and unchecked, and the days are how long cofi holds the data. A call expires at most a little
// later than it would by its start, never earlier.
//
// What each kind removes (the call row stays, with `<kind>ExpiredAt` set; reads of that part answer 410):
//   recording   the audio store's files of the call (the stored file and its denoise/ivr copies)
//   transcript  the transcript row, and the payloads of the call's processing_logs rows (an LLM stage's payload
//               is the transcript it was sent)
//   analysis    the analysis row
//   answer      the auditAnswer rows (the call's score, a number, stays for reports)
// and the same part of the call's earlier result versions (resultVersion.snapshot), which a reaudit kept.
//
// Idempotent and counted once: a page's deletes, its `<kind>ExpiredAt` marks, its count and the release of its
// claims are one transaction, and a page only takes calls not yet marked. Files go after the commit: a page whose
// statements or commit fail has removed nothing, and is done again whole. A failure while removing them (or a
// worker killed then) leaves marked calls with files: each process's activity starts by sweeping the files of
// calls marked since the last completed run (sweepLeftoverFiles), so a retry removes them; they were counted by
// the page that marked them. The run's close sweeps erased calls' files the same way (an erasure removes them
// after its commit). A call that a running batch holds (callLock), is still being
// processed, or belongs to a batch that has not ended is skipped until a later run; the page claims its calls
// in callLock first, as admission and erasure do, so no batch takes them while they expire.
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { and, desc, eq, gt, gte, inArray, isNull, lt, notInArray, or, type SQL, sql } from 'drizzle-orm';
import type { AudioStore } from '../core/audioStore.js';
import { BATCH_STATUSES, type CallStatus, isTerminal } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import {
  analysis,
  answerOverride,
  auditAnswer,
  batchStatus,
  call,
  callLock,
  failedRequest,
  processingLogs,
  processPolicy,
  RETENTION_KINDS,
  type RetentionKind,
  type RetentionRunStatus,
  resultVersion,
  retentionCount,
  retentionRun,
  transcript,
} from '../drizzle/schema/index.js';
import type { Retention } from './processPolicy.js';

const DAY_MS = 86_400_000;

/** The policy field that says how long each kind is kept. */
export const RETENTION_DAYS = {
  recording: 'recordingDays',
  transcript: 'transcriptDays',
  analysis: 'analysisDays',
  answer: 'answerDays',
} as const satisfies Record<RetentionKind, keyof Retention>;

/** The call column that says when each kind expired. */
export const EXPIRED_AT = {
  recording: call.recordingExpiredAt,
  transcript: call.transcriptExpiredAt,
  analysis: call.analysisExpiredAt,
  answer: call.answerExpiredAt,
} as const;

const EXPIRED_FIELD = {
  recording: 'recordingExpiredAt',
  transcript: 'transcriptExpiredAt',
  analysis: 'analysisExpiredAt',
  answer: 'answerExpiredAt',
} as const satisfies Record<RetentionKind, keyof typeof call.$inferSelect>;

/** Calls a batch may still be working on (the first batch shape holds no callLock while it runs). */
const BUSY_CALL: CallStatus[] = ['Queued', 'InProgress', 'Erased'];
const RUNNING_BATCH = BATCH_STATUSES.filter((s) => !isTerminal(s));
/** The batch id of a page's claims in callLock (no batch has it); they never outlive the page's transaction. */
const RETENTION_CLAIM = 0;

const affected = (result: unknown) => Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);

export type OpenedRun = { runId: number; asOf: string; processes: number[] };

/**
 * The run's row, by its workflow id (a retried activity finds the row its first attempt made), and the
 * processes whose policy expires anything.
 */
export async function openRetentionRun(
  db: Db,
  input: { workflowId: string; asOf: string },
): Promise<OpenedRun> {
  await db
    .insert(retentionRun)
    .values({ workflowId: input.workflowId, asOf: new Date(input.asOf), startedAt: new Date() })
    .onDuplicateKeyUpdate({ set: { workflowId: sql`workflowId` } });
  const [run] = await db.select().from(retentionRun).where(eq(retentionRun.workflowId, input.workflowId));
  if (!run) throw new Error(`retention run ${input.workflowId} was not recorded`);
  const policies = await db
    .select({ processId: processPolicy.processId })
    .from(processPolicy)
    .where(or(...RETENTION_KINDS.map((k) => sql`${processPolicy[RETENTION_DAYS[k]]} IS NOT NULL`)))
    .orderBy(processPolicy.processId);
  return { runId: run.id, asOf: run.asOf.toISOString(), processes: policies.map((p) => p.processId) };
}

const KEPT: Retention = { recordingDays: null, transcriptDays: null, analysisDays: null, answerDays: null };

/** The process's retention days (its stored row, or nothing expires). */
export async function retentionOf(db: Db, processId: number): Promise<Retention> {
  const [row] = await db
    .select({
      recordingDays: processPolicy.recordingDays,
      transcriptDays: processPolicy.transcriptDays,
      analysisDays: processPolicy.analysisDays,
      answerDays: processPolicy.answerDays,
    })
    .from(processPolicy)
    .where(eq(processPolicy.processId, processId));
  return row ?? KEPT;
}

export type PageInput = {
  runId: number;
  processId: number;
  kind: RetentionKind;
  days: number;
  asOf: Date;
  pageSize: number;
};
export type PageResult = { calls: number; items: number; more: boolean };

/** Calls of the process old enough for `kind` to expire, not expired yet, not held: the next page. */
async function candidates(db: Db, p: PageInput) {
  const cutoff = new Date(p.asOf.getTime() - p.days * DAY_MS);
  return db
    .select({ id: call.id })
    .from(call)
    .leftJoin(batchStatus, eq(batchStatus.id, call.batchId))
    .where(
      and(
        eq(call.processId, p.processId),
        lt(call.createdAt, cutoff),
        isNull(EXPIRED_AT[p.kind]),
        notInArray(call.status, BUSY_CALL),
        or(isNull(batchStatus.id), notInArray(batchStatus.status, RUNNING_BATCH)),
        sql`NOT EXISTS (SELECT 1 FROM ${callLock} WHERE ${callLock.callId} = ${call.id})`,
      ),
    )
    .orderBy(call.id)
    .limit(p.pageSize);
}

/**
 * Expires one page of `kind` for one process: deletes, marks and counts in one transaction. `more` is false when
 * the page found nothing left to expire.
 */
export async function expirePage(deps: { db: Db; audio: AudioStore }, p: PageInput): Promise<PageResult> {
  const { db, audio } = deps;
  const found = (await candidates(db, p)).map((r) => r.id);
  if (found.length === 0) return { calls: 0, items: 0, more: false };
  const at = new Date();
  const done = await db.transaction(async (tx) => {
    // Claims first (admission's order: callLock, then the call rows); a call a batch took since is not claimed.
    await tx
      .insert(callLock)
      .ignore()
      .values(found.map((callId) => ({ callId, batchId: RETENTION_CLAIM, lockedAt: at })));
    const claimed = (
      await tx
        .select({ callId: callLock.callId })
        .from(callLock)
        .where(and(inArray(callLock.callId, found), eq(callLock.batchId, RETENTION_CLAIM)))
    ).map((r) => r.callId);
    const rows = claimed.length
      ? await tx
          .select({ id: call.id, storedPath: call.storedPath })
          .from(call)
          .where(
            and(inArray(call.id, claimed), isNull(EXPIRED_AT[p.kind]), notInArray(call.status, BUSY_CALL)),
          )
          .for('update')
      : [];
    const ids = rows.map((r) => r.id);
    let items = 0;
    if (ids.length > 0) {
      // Every statement that can fail comes before the files go: a failed page has removed nothing.
      items = await removeRows(tx, audio, p.kind, rows);
      await tx
        .update(call)
        .set({ [EXPIRED_FIELD[p.kind]]: at })
        .where(inArray(call.id, ids));
      await tx
        .insert(retentionCount)
        .values({ runId: p.runId, processId: p.processId, kind: p.kind, calls: ids.length, items })
        .onDuplicateKeyUpdate({
          set: {
            calls: sql`${retentionCount.calls} + ${ids.length}`,
            items: sql`${retentionCount.items} + ${items}`,
          },
        });
    }
    if (claimed.length)
      await tx
        .delete(callLock)
        .where(and(inArray(callLock.callId, claimed), eq(callLock.batchId, RETENTION_CLAIM)));
    return { calls: ids.length, items, rows };
  });
  // The files go after the commit: a page whose statements or commit fail has removed nothing. A failure here
  // (or a worker killed now) leaves marked calls with files; the retry's sweep (sweepExpiredFiles) removes them.
  if (p.kind === 'recording') for (const r of done.rows) await audio.removeCallFiles(r.storedPath);
  // A page that claimed nothing (every call was taken meanwhile) still moves on: those calls are skipped by the
  // next page's query, which leaves out held calls.
  return { calls: done.calls, items: done.items, more: true };
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Deletes one kind of data of the page's calls and answers what goes: rows deleted, or for recordings the files
 * there are (removed by the caller once every statement of the page has succeeded).
 */
async function removeRows(
  tx: Tx,
  audio: AudioStore,
  kind: RetentionKind,
  rows: { id: number; storedPath: string }[],
): Promise<number> {
  const ids = rows.map((r) => r.id);
  switch (kind) {
    case 'recording': {
      let files = 0;
      for (const r of rows) files += (await callFiles(audio, r.storedPath)).length;
      return files;
    }
    case 'transcript': {
      const deleted = affected(await tx.delete(transcript).where(inArray(transcript.callId, ids)));
      await tx
        .update(processingLogs)
        .set({ inputPayload: null })
        .where(inArray(processingLogs.callId, ids.map(String)));
      await blankVersions(tx, ids, '$.transcript', sql`NULL`);
      // A failed request kept for the failure log (an LLM stage's is the transcript).
      await tx.delete(failedRequest).where(inArray(failedRequest.callId, ids));
      return deleted;
    }
    case 'analysis': {
      await blankVersions(tx, ids, '$.analysis', sql`NULL`);
      return affected(await tx.delete(analysis).where(inArray(analysis.callId, ids)));
    }
    case 'answer': {
      await blankVersions(tx, ids, '$.answers', sql`JSON_ARRAY()`);
      // A reviewer's reason may quote the call; who overrode what, and when, stays for the agreement figures.
      await tx.update(answerOverride).set({ reason: '' }).where(inArray(answerOverride.callId, ids));
      return affected(await tx.delete(auditAnswer).where(inArray(auditAnswer.callId, ids)));
    }
    default:
      return assertNever(kind);
  }
}

/**
 * A kind expires in a call's earlier result versions too (resultVersion.snapshot keeps what a reaudit replaced):
 * the part is emptied, the version row (numbers, models, score) stays.
 */
async function blankVersions(tx: Tx, ids: number[], part: string, empty: SQL): Promise<void> {
  await tx
    .update(resultVersion)
    .set({ snapshot: sql`JSON_SET(${resultVersion.snapshot}, ${part}, ${empty})` })
    .where(inArray(resultVersion.callId, ids));
}

/** The files AudioStore.removeCallFiles removes for a call: the stored one and the copies sharing its stem. */
async function callFiles(audio: AudioStore, storedPath: string): Promise<string[]> {
  const full = audio.resolve(storedPath);
  const stem = path.basename(full).split('.')[0];
  if (!stem) return [];
  const entries = await readdir(path.dirname(full)).catch(() => [] as string[]);
  return entries.filter((name) => name.split('.')[0] === stem);
}

function assertNever(x: never): never {
  throw new Error(`unexpected retention kind ${String(x)}`);
}

/** How far before the last completed run's start the sweeps look (a mark or erasure is timed before its commit). */
const SWEEP_MARGIN_MS = DAY_MS;
const SWEEP_PAGE = 500;

/**
 * Where the sweeps of run `runId` start: a day before the start of the last run that completed before it (that
 * run's sweeps and pages left no file behind, or it would not have completed), or the beginning of time.
 */
export async function sweepSince(db: Db, runId: number): Promise<Date> {
  const [last] = await db
    .select({ startedAt: retentionRun.startedAt })
    .from(retentionRun)
    .where(and(eq(retentionRun.status, 'Completed'), lt(retentionRun.id, runId)))
    .orderBy(desc(retentionRun.id))
    .limit(1);
  return last ? new Date(last.startedAt.getTime() - SWEEP_MARGIN_MS) : new Date(0);
}

/**
 * Removes files left in the audio store by calls whose data is already gone from the database: calls whose
 * recording expired since `since` (a page's files go after its commit, so a failure or a killed worker in between
 * leaves them) of one process, or calls erased since `since` (an erasure's files go after its commit too).
 * Idempotent: a call without files costs a directory read. Answers the files removed; they are not counted again
 * (the page that marked a call counted its files).
 */
export async function sweepLeftoverFiles(
  deps: { db: Db; audio: AudioStore },
  which: { since: Date } & ({ expiredOf: number } | { erased: true }),
): Promise<number> {
  const { db, audio } = deps;
  const where =
    'expiredOf' in which
      ? and(eq(call.processId, which.expiredOf), gte(call.recordingExpiredAt, which.since))
      : and(eq(call.status, 'Erased'), gte(call.erasedAt, which.since));
  let removed = 0;
  let after = 0;
  for (;;) {
    const rows = await db
      .select({ id: call.id, storedPath: call.storedPath })
      .from(call)
      .where(and(where, gt(call.id, after)))
      .orderBy(call.id)
      .limit(SWEEP_PAGE);
    for (const r of rows) removed += (await audio.removeCallFiles(r.storedPath)).length;
    if (rows.length < SWEEP_PAGE) return removed;
    after = rows[rows.length - 1]!.id;
  }
}

export type ProcessExpiry = { processId: number; calls: number; items: number };

/**
 * Expires every kind the process's policy limits, page by page until nothing is left; `onPage` runs after each
 * committed page (the activity heartbeats there). What this call did; the run's counts are retentionCount's.
 */
export async function expireProcess(
  deps: { db: Db; audio: AudioStore },
  input: { runId: number; processId: number; asOf: Date; pageSize: number; retention: Retention },
  onPage: (page: PageResult & { kind: RetentionKind }) => void | Promise<void> = () => {},
): Promise<ProcessExpiry> {
  const total = { processId: input.processId, calls: 0, items: 0 };
  // First the files an earlier attempt (or run) marked expired but did not get to remove.
  await sweepLeftoverFiles(deps, {
    expiredOf: input.processId,
    since: await sweepSince(deps.db, input.runId),
  });
  for (const kind of RETENTION_KINDS) {
    const days = input.retention[RETENTION_DAYS[kind]];
    if (days == null) continue;
    for (;;) {
      const page = await expirePage(deps, { ...input, kind, days });
      total.calls += page.calls;
      total.items += page.items;
      if (!page.more) break;
      await onPage({ ...page, kind });
    }
  }
  return total;
}

export type RunCounts = { processId: number; kind: RetentionKind; calls: number; items: number }[];

export async function runCounts(db: Db, runIds: number[]): Promise<Map<number, RunCounts>> {
  const byRun = new Map<number, RunCounts>();
  if (runIds.length === 0) return byRun;
  const rows = await db
    .select()
    .from(retentionCount)
    .where(inArray(retentionCount.runId, runIds))
    .orderBy(retentionCount.runId, retentionCount.processId, retentionCount.kind);
  for (const r of rows) {
    const list = byRun.get(r.runId) ?? [];
    list.push({ processId: r.processId, kind: r.kind, calls: r.calls, items: r.items });
    byRun.set(r.runId, list);
  }
  return byRun;
}

/** Records the run's end (a retry of a closed run changes nothing) and answers its counts. */
export async function closeRetentionRun(
  db: Db,
  input: { runId: number; status: Exclude<RetentionRunStatus, 'Running'>; error?: string },
): Promise<{ runId: number; status: RetentionRunStatus; counts: RunCounts }> {
  await db
    .update(retentionRun)
    .set({ status: input.status, finishedAt: new Date(), error: input.error?.slice(0, 2000) ?? null })
    .where(and(eq(retentionRun.id, input.runId), eq(retentionRun.status, 'Running')));
  const [run] = await db.select().from(retentionRun).where(eq(retentionRun.id, input.runId));
  return {
    runId: input.runId,
    status: run?.status ?? input.status,
    counts: (await runCounts(db, [input.runId])).get(input.runId) ?? [],
  };
}
