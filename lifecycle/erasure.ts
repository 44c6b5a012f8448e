// Erasure of one call (issue 16): its audio, its results and the payloads that may quote it go; its row stays
// as a tombstone (id, batch, `Erased`, when, by which key) so a batch's counts and the access trail stay true.
//
// Where a call's data lives (every table with a call id; test/api/erasure.test.ts finds them all by column
// name in information_schema, so a table added later without a line here fails that test):
//   call              the tombstone: name -> `erased-<id>`, client paths, error, score and language cleared
//   lidResult, transcript, analysis, auditAnswer, fileDistribution   deleted (results, per-call distribution)
//   resultVersion, answerOverride, answerReview, callReview   deleted (earlier results; reviews, whose reasons
//                     may quote the call; the call leaves the agreement figures)
//   processing_logs   kept for failure counts (id, stage, status, error class, times); name, message, payload
//                     blanked (an LLM stage's payload is the transcript)
//   batchExecutionLog kept for the event timeline and the fleet's move counts; message blanked (names the file)
//   stageOutcome      kept: the ledger every count is a GROUP BY over; reason cut to its error class
//   reauditCall       kept: ids only, so a reaudit's call list still shows the call (as erased)
//   callLock          none may exist: a held call is refused; the erasure's own claim is gone at commit
//   accessLog         ids and paths only (targetId); the erasure adds its own row
// Outside the database: the audio store's files of the call (removed after the commit). Not cofi's to remove:
// a daily batch's source file under DAILY_DIR (the store may hold a hard link to it; the source stays).
import { and, eq, sql } from 'drizzle-orm';
import type { AudioStore } from '../core/audioStore.js';
import { isTerminal } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import {
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
  fileDistribution,
  lidResult,
  processingLogs,
  resultVersion,
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

/**
 * Erases call `id` for the key named `by`. Every database change is one transaction; the files go after its
 * commit, so a crash in between leaves only files, which the next DELETE (answered 409, already erased)
 * removes. Refusals change nothing: unknown call, a call held by or belonging to a running batch, an erased one.
 */
export async function eraseCall(
  deps: { db: Db; audio: AudioStore },
  id: number,
  by: string | null,
): Promise<Erased> {
  const { db, audio } = deps;
  const [row] = await db.select().from(call).where(eq(call.id, id));
  if (!row) throw new Refusal('not_found', `no call with id ${id}`);
  if (row.status === 'Erased') {
    // Completes an erasure whose files outlived its commit; the database is not touched.
    await audio.removeCallFiles(row.storedPath);
    const t = await tombstoneOf(db, row);
    throw new Refusal('conflict', `already erased: ${erasedDetail(t)}`, {
      erased_at: t.erased_at,
      erased_by: t.erased_by,
    });
  }
  const at = new Date();
  const result = await db.transaction(async (tx) => {
    // The claim comes first, as admission's does: a reaudit admitted meanwhile either holds the lock (refused
    // here) or waits for this commit and then finds the call erased (admitReaudit re-reads it under lock).
    try {
      await tx.insert(callLock).values({ callId: id, batchId: row.batchId, lockedAt: at });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const [holder] = await db
        .select({ taskId: batchStatus.taskId })
        .from(callLock)
        .innerJoin(batchStatus, eq(batchStatus.id, callLock.batchId))
        .where(eq(callLock.callId, id));
      throw new Refusal(
        'conflict',
        `call ${id} is held by ${holder?.taskId ?? 'a running batch'}, which is running: cancel the batch first`,
      );
    }
    // The batch row before the call row, in the order a day's opening takes them (no deadlock with it); a
    // locking read (MariaDB has no FOR SHARE), so a day being opened again right now is seen running.
    const [batch] = await tx
      .select({ taskId: batchStatus.taskId, status: batchStatus.status })
      .from(batchStatus)
      .where(eq(batchStatus.id, row.batchId))
      .for('update');
    const [locked] = await tx.select().from(call).where(eq(call.id, id)).for('update');
    if (!locked) throw new Refusal('not_found', `no call with id ${id}`);
    if (locked.status === 'Erased') {
      const t = await tombstoneOf(db, locked);
      throw new Refusal('conflict', `already erased: ${erasedDetail(t)}`);
    }
    if (batch && !isTerminal(batch.status))
      throw new Refusal(
        'conflict',
        `call ${id} belongs to ${batch.taskId}, which is still running (${batch.status}): cancel the batch first`,
      );
    if (BUSY.has(locked.status))
      throw new Refusal(
        'conflict',
        `call ${id} is still being processed (${locked.status}): cancel the batch first`,
      );

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
      await tx.update(batchExecutionLog).set({ message: null }).where(eq(batchExecutionLog.callId, id)),
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
        lang: null,
        ivrOffset: null,
        erasedAt: at,
        erasedBy: by,
      })
      .where(eq(call.id, id));
    await tx.delete(callLock).where(and(eq(callLock.callId, id), eq(callLock.batchId, row.batchId)));
    return { deleted, blanked, taskId: batch?.taskId ?? null };
  });
  const files = await audio.removeCallFiles(row.storedPath);
  return {
    tombstone: {
      call_id: id,
      batch_id: row.batchId,
      task_id: result.taskId,
      status: 'Erased',
      erased_at: at.toISOString(),
      erased_by: by,
    },
    deleted: result.deleted,
    blanked: result.blanked,
    files,
  };
}
