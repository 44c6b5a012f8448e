// Erasure of calls (issue 16): its audio, its results and the payloads that may quote it go; its row stays
// as a tombstone (id, batch, `Erased`, when, by which key) so a batch's counts and the access trail stay true.
// One call (DELETE /calls/{id}) or every call with one customer reference (POST /erasures): all or nothing.
//
// Where a call's data lives (every table with a call id; test/api/erasure.test.ts finds them all by column
// name in information_schema, so a table added later without a line here fails that test):
//   call              the tombstone: name -> `erased-<id>`, client paths, error, score and language cleared;
//                     of the call metadata the customer's part (customerReference, callStartedAt) cleared, the
//                     contact centre's (agentId, team, direction) kept: the agent is the client's employee, and
//                     per-agent counts stay true like the batch's
//   lidResult, transcript, analysis, auditAnswer, fileDistribution   deleted (results, per-call distribution)
//   resultVersion, answerOverride, answerReview, callReview, reviewVerdict   deleted (earlier results;
//                     reviews, whose reasons may quote the call; the call leaves the agreement figures)
//   failedRequest     deleted (a stage's failed request waiting for the failure log; normally gone already)
//   processing_logs   kept for failure counts (id, stage, status, error class, times); name, message, payload
//                     blanked (an LLM stage's payload is the transcript)
//   batchExecutionLog kept for the event timeline and the fleet's move counts; message and metadata blanked
//                     (they name the file; a metadata_refused event's reason names the refused field)
//   stageOutcome      kept: the ledger every count is a GROUP BY over; reason cut to its error class
//   reauditCall       kept: ids only, so a reaudit's call list still shows the call (as erased)
//   callLock          none may exist: a held call is refused; the erasure's own claim is gone at commit
//   accessLog         ids and paths only (targetId); the erasure adds its own row (one per call)
//   erasedSource      added for a daily call: the sha256 and size of its recording, no call id (see below)
// Outside the database: the audio store's files of the call, removed after the commit; one that cannot be removed
// (or a process that dies first) is named in the answer (`files_error`), and the retention run's close sweeps the
// files of calls erased since its last completed run (lifecycle/retention.ts sweepLeftoverFiles). Not cofi's to remove:
// a daily batch's source file under DAILY_DIR (the store may hold a hard link to it; the source stays). So the
// day's intake would find it again: the fingerprint in erasedSource keeps it out (erasedAmong).
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import type { AudioStore } from '../core/audioStore.js';
import type { ApiRole } from '../core/config.js';
import { isTerminal } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import {
  accessLog,
  analysis,
  answerOverride,
  answerReview,
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  type CallRow,
  call,
  callLock,
  callReview,
  erasedSource,
  failedRequest,
  fileDistribution,
  lidResult,
  processingLogs,
  resultVersion,
  reviewVerdict,
  stageOutcome,
  transcript,
} from '../drizzle/schema/index.js';
import { isDuplicateKey, Refusal } from './admission.js';

export type Tombstone = {
  call_id: number;
  batch_id: number;
  task_id: string | null;
  status: 'Erased';
  erased_at: string;
  erased_by: string | null;
};

export type Erased = {
  tombstone: Tombstone;
  /** Rows deleted per table, rows blanked per table, files removed from the audio store (store-relative). */
  deleted: Record<string, number>;
  blanked: Record<string, number>;
  files: string[];
  /** Why the call's files could not be removed after the commit (the retention run's sweep removes them). */
  filesError: string | null;
};

/** What an erasure needs: the database, the audio store, and DAILY_DIR (a daily call's source is fingerprinted). */
export type ErasureDeps = { db: Db; audio: AudioStore; dailyDir?: string };

/** The request an erasure by reference writes its access-trail rows for (one per call, in its transaction). */
export type ErasureRequest = {
  keyName: string | null;
  role: ApiRole | null;
  method: string;
  path: string;
  requestId: string | null;
};

/** Statuses of a call some batch is still working on (the first batch shape holds no lock while it runs). */
const BUSY = new Set(['Queued', 'InProgress']);

const affected = (result: unknown) => Number((result as [{ affectedRows?: number }])[0]?.affectedRows ?? 0);

/** The tombstone of an erased call (its batch's task id when the batch row is there). */
export async function tombstoneOf(db: Db, row: CallRow): Promise<Tombstone> {
  const [batch] = await db
    .select({ taskId: batchStatus.taskId })
    .from(batchStatus)
    .where(eq(batchStatus.id, row.batchId));
  return {
    call_id: row.id,
    batch_id: row.batchId,
    task_id: batch?.taskId ?? null,
    status: 'Erased',
    erased_at: (row.erasedAt ?? row.updatedAt).toISOString(),
    erased_by: row.erasedBy,
  };
}

export function erasedDetail(t: Tombstone): string {
  return `call ${t.call_id} was erased on ${t.erased_at} by ${t.erased_by ?? 'an unknown key'}`;
}

/** sha256 (hex) and size of a file's bytes. */
export async function fingerprintFile(file: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(file)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/**
 * A daily call's recording as the intake would read it again: its source under DAILY_DIR. When the source moved
 * away, the store's copy stands in (the kept original, else the stored recording): after audio redaction without
 * keepOriginal that is the masked copy, which will not match the source should it come back. Null for an upload,
 * or when neither is there.
 */
async function sourceFingerprint(
  deps: ErasureDeps,
  row: CallRow,
): Promise<{ sha256: string; bytes: number } | null> {
  if (!row.sourcePath) return null;
  const candidates = [deps.audio.resolve(row.originalPath ?? row.storedPath)];
  if (deps.dailyDir) {
    const root = path.resolve(deps.dailyDir);
    const source = path.resolve(root, row.sourcePath);
    if (source.startsWith(root + path.sep)) candidates.unshift(source);
  }
  for (const file of candidates) {
    try {
      return await fingerprintFile(file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }
  return null;
}

/**
 * Which of `files` (absolute paths) are recordings erased before: the size and then the sha256 of their bytes
 * match an erasedSource row. Only files of an erased size are read, and none while nothing was ever erased.
 */
export async function erasedAmong(db: Db, files: string[]): Promise<Set<string>> {
  const found = new Set<string>();
  if (files.length === 0) return found;
  const [{ n } = { n: 0 }] = await db.select({ n: count() }).from(erasedSource);
  if (n === 0) return found;
  const sizes = new Map<string, number>();
  for (const f of files) {
    const s = await stat(f).catch(() => null);
    if (s) sizes.set(f, s.size);
  }
  const unique = [...new Set(sizes.values())];
  const erasedSizes = new Set<number>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows = await db
      .selectDistinct({ bytes: erasedSource.bytes })
      .from(erasedSource)
      .where(inArray(erasedSource.bytes, unique.slice(i, i + 500)));
    for (const r of rows) erasedSizes.add(r.bytes);
  }
  for (const [file, size] of sizes) {
    if (!erasedSizes.has(size)) continue;
    const { sha256 } = await fingerprintFile(file).catch(() => ({ sha256: '' }));
    if (!sha256) continue;
    const [hit] = await db
      .select({ id: erasedSource.id })
      .from(erasedSource)
      .where(eq(erasedSource.sha256, sha256));
    if (hit) found.add(file);
  }
  return found;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Erases `rows` (read before) inside one transaction: claims them (a call held by a running batch is refused),
 * locks their batches then themselves, checks each (`check` adds the caller's own condition), and writes every
 * change. A refusal names every call that blocks, and nothing is changed.
 */
async function eraseRows(
  deps: ErasureDeps,
  rows: CallRow[],
  by: string | null,
  options: {
    /** Refused calls in the detail: `none erased: ` before the reasons when several calls were asked for. */
    prefix?: string;
    check?: (locked: CallRow) => string | null;
    request?: ErasureRequest;
  } = {},
): Promise<Erased[]> {
  const { db, audio } = deps;
  const at = new Date();
  const prefix = options.prefix ?? '';
  const ids = rows.map((r) => r.id).sort((a, b) => a - b);
  // Fingerprints first: reading files holds no lock.
  const prints = new Map<number, { sha256: string; bytes: number }>();
  for (const row of rows) {
    const print = await sourceFingerprint(deps, row);
    if (print) prints.set(row.id, print);
  }
  const results = await db.transaction(async (tx) => {
    // The claim comes first, as admission's does: a reaudit admitted meanwhile either holds the lock (refused
    // here) or waits for this commit and then finds the call erased (admitReaudit re-reads it under lock).
    try {
      await tx.insert(callLock).values(rows.map((r) => ({ callId: r.id, batchId: r.batchId, lockedAt: at })));
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const holders = await db
        .select({ callId: callLock.callId, taskId: batchStatus.taskId })
        .from(callLock)
        .innerJoin(batchStatus, eq(batchStatus.id, callLock.batchId))
        .where(inArray(callLock.callId, ids))
        .orderBy(callLock.callId);
      const held = holders.length ? holders : [{ callId: ids[0]!, taskId: null }];
      throw new Refusal(
        'conflict',
        prefix +
          held
            .map(
              (h) =>
                `call ${h.callId} is held by ${h.taskId ?? 'a running batch'}, which is running: cancel the batch first`,
            )
            .join('; '),
        { call_ids: held.map((h) => h.callId) },
      );
    }
    // The batch rows before the call rows, in the order a day's opening takes them (no deadlock with it); a
    // locking read (MariaDB has no FOR SHARE), so a day being opened again right now is seen running. Ascending
    // ids, so two erasures lock in one order.
    const batchIds = [...new Set(rows.map((r) => r.batchId))].sort((a, b) => a - b);
    const batches = new Map<number, { taskId: string | null; status: string }>();
    for (const b of await tx
      .select({ id: batchStatus.id, taskId: batchStatus.taskId, status: batchStatus.status })
      .from(batchStatus)
      .where(inArray(batchStatus.id, batchIds))
      .orderBy(batchStatus.id)
      .for('update'))
      batches.set(b.id, b);
    const locked = await tx.select().from(call).where(inArray(call.id, ids)).orderBy(call.id).for('update');
    const problems: { id: number; why: string; code: 'conflict' | 'not_found' }[] = [];
    for (const id of ids) {
      const row = locked.find((l) => l.id === id);
      if (!row) {
        problems.push({ id, why: `no call with id ${id}`, code: 'not_found' });
        continue;
      }
      const batch = batches.get(row.batchId);
      const why =
        row.status === 'Erased'
          ? `already erased: ${erasedDetail(await tombstoneOf(db, row))}`
          : batch && !isTerminal(batch.status)
            ? `call ${id} belongs to ${batch.taskId}, which is still running (${batch.status}): cancel the batch first`
            : BUSY.has(row.status)
              ? `call ${id} is still being processed (${row.status}): cancel the batch first`
              : (options.check?.(row) ?? null);
      if (why) problems.push({ id, why, code: 'conflict' });
    }
    if (problems.length)
      throw new Refusal(
        problems.every((p) => p.code === 'not_found') ? 'not_found' : 'conflict',
        prefix + problems.map((p) => p.why).join('; '),
        { call_ids: problems.map((p) => p.id) },
      );

    const out: Omit<Erased, 'files' | 'filesError'>[] = [];
    for (const row of locked)
      out.push(await eraseOne(tx, row, batches.get(row.batchId)?.taskId ?? null, by, at));
    // The same recording erased twice (two calls of one file) keeps one fingerprint.
    for (const print of prints.values())
      await tx
        .insert(erasedSource)
        .values(print)
        .onDuplicateKeyUpdate({ set: { sha256: sql`sha256` } });
    if (options.request) {
      const r = options.request;
      await tx.insert(accessLog).values(
        locked.map((row) => ({
          at,
          keyName: r.keyName,
          role: r.role,
          action: 'erasure' as const,
          targetType: 'call' as const,
          targetId: row.id,
          batchId: row.batchId,
          taskId: batches.get(row.batchId)?.taskId ?? null,
          method: r.method,
          path: r.path.slice(0, 512),
          status: 200,
          requestId: r.requestId?.slice(0, 255) ?? null,
        })),
      );
    }
    for (const row of locked)
      await tx.delete(callLock).where(and(eq(callLock.callId, row.id), eq(callLock.batchId, row.batchId)));
    return out;
  });
  // The erasure is committed: a file that cannot go is reported, not a failure (a retry would find the call
  // erased, or its reference gone); the retention run's close sweeps it.
  const erased: Erased[] = [];
  for (const r of results) {
    const row = rows.find((x) => x.id === r.tombstone.call_id)!;
    try {
      erased.push({ ...r, files: await audio.removeCallFiles(row.storedPath), filesError: null });
    } catch (err) {
      erased.push({ ...r, files: [], filesError: fileProblem(err) });
    }
  }
  return erased;
}

/** A file error for the answer: its code and the store-relative cause, never an absolute path. */
function fileProblem(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code ?? 'error';
  return `the call's files could not be removed from the audio store (${code}); the next retention run removes them`;
}

/** One call's rows, inside the erasure's transaction (its call row locked and checked). */
async function eraseOne(
  tx: Tx,
  row: CallRow,
  taskId: string | null,
  by: string | null,
  at: Date,
): Promise<Omit<Erased, 'files' | 'filesError'>> {
  const id = row.id;
  const deleted: Record<string, number> = {};
  for (const [name, table] of [
    ['lidResult', lidResult],
    ['transcript', transcript],
    ['analysis', analysis],
    ['auditAnswer', auditAnswer],
    ['fileDistribution', fileDistribution],
    ['resultVersion', resultVersion],
    ['answerOverride', answerOverride],
    ['answerReview', answerReview],
    ['callReview', callReview],
    ['reviewVerdict', reviewVerdict],
    ['failedRequest', failedRequest],
  ] as const) {
    deleted[name] = affected(await tx.delete(table).where(eq(table.callId, id)));
  }
  const blanked: Record<string, number> = {};
  blanked.processing_logs = affected(
    await tx
      .update(processingLogs)
      .set({ audioName: null, errorMessage: null, inputPayload: null })
      .where(eq(processingLogs.callId, String(id))),
  );
  blanked.batchExecutionLog = affected(
    await tx
      .update(batchExecutionLog)
      .set({ message: null, metadata: null })
      .where(eq(batchExecutionLog.callId, id)),
  );
  // `client_error: HTTP 400 …` keeps `client_error`; a reason without a message (`stt failed`) stays.
  blanked.stageOutcome = affected(
    await tx
      .update(stageOutcome)
      .set({ reason: sql`SUBSTRING_INDEX(${stageOutcome.reason}, ':', 1)` })
      .where(and(eq(stageOutcome.callId, id), sql`${stageOutcome.reason} LIKE '%:%'`)),
  );
  await tx
    .update(call)
    .set({
      status: 'Erased',
      audioName: `erased-${id}`,
      // storedPath stays: cofi derived it (`batch-42/00001.wav`, no client name) and a retry needs it to find
      // files that outlived the commit. The client's paths go.
      originalPath: null,
      sourcePath: null,
      errorMessage: null,
      auditScore: null,
      questionnaireVersionId: null,
      criticalFailure: null,
      lang: null,
      ivrOffset: null,
      // The customer's part of the call metadata (who, and when they called); the agent and team stay.
      customerReference: null,
      callStartedAt: null,
      erasedAt: at,
      erasedBy: by,
    })
    .where(eq(call.id, id));
  return {
    tombstone: {
      call_id: id,
      batch_id: row.batchId,
      task_id: taskId,
      status: 'Erased',
      erased_at: at.toISOString(),
      erased_by: by,
    },
    deleted,
    blanked,
  };
}

/**
 * Erases call `id` for the key named `by`. Every database change is one transaction; the files go after its
 * commit, so a crash in between leaves only files, which the next DELETE (answered 409, already erased) or the
 * retention run's sweep removes. Refusals change nothing: unknown call, a call held by or belonging to a running batch, an erased one.
 */
export async function eraseCall(deps: ErasureDeps, id: number, by: string | null): Promise<Erased> {
  const { db, audio } = deps;
  const [row] = await db.select().from(call).where(eq(call.id, id));
  if (!row) throw new Refusal('not_found', `no call with id ${id}`);
  if (row.status === 'Erased') {
    // Completes an erasure whose files outlived its commit; the database is not touched. Files that still
    // cannot go are left to the retention run's sweep: the answer is the 409 either way.
    await audio.removeCallFiles(row.storedPath).catch(() => []);
    const t = await tombstoneOf(db, row);
    throw new Refusal('conflict', `already erased: ${erasedDetail(t)}`, {
      erased_at: t.erased_at,
      erased_by: t.erased_by,
    });
  }
  const [erased] = await eraseRows(deps, [row], by);
  return erased!;
}

/**
 * Erases every call whose customer reference is `reference` (exactly: case and spaces count), all or nothing: one call that cannot be erased
 * (held by or belonging to a running batch) refuses them all, naming it. An erased call no longer carries its
 * reference, so a second erasure of the same reference finds nothing (404). The trail gets a row per call.
 */
export async function eraseByReference(
  deps: ErasureDeps,
  reference: string,
  by: string | null,
  request: ErasureRequest,
): Promise<Erased[]> {
  // Exactly this reference: the column's collation would also match another case and trailing spaces, and
  // `AB12` and `ab12` may be two customers. (The first condition is the one the index serves.)
  const exactly = and(
    eq(call.customerReference, reference),
    sql`BINARY ${call.customerReference} = ${reference}`,
  );
  // A tombstone from before erasures cleared the reference: clearing it completes that erasure.
  await deps.db
    .update(call)
    .set({ customerReference: null, callStartedAt: null })
    .where(and(exactly, eq(call.status, 'Erased')));
  const rows = await deps.db.select().from(call).where(exactly).orderBy(call.id);
  if (rows.length === 0)
    throw new Refusal(
      'not_found',
      'no call has this customer reference (an erased call no longer carries its reference)',
    );
  return eraseRows(deps, rows, by, {
    prefix: rows.length > 1 ? `none of the ${rows.length} calls with this customer reference erased: ` : '',
    // Another request changed it meanwhile (an erasure cleared it, an upload's metadata differs).
    check: (locked) =>
      locked.customerReference === reference
        ? null
        : `call ${locked.id} no longer has this customer reference: ask again`,
    request,
  });
}
