// A batch's rows: which calls it covers, and its progress counted from them. The progress is what the API
// shows when no workflow answers, and what a cancelled batch stores as final (a stage can finish in the
// moment a cancel lands, after its report could no longer be sent; the flags still say so).
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { emptyProgress, type Progress } from '../../core/progress.js';
import { type BatchKind, DONE_FLAG, type Stage } from '../../core/stages.js';
import type { Db } from '../../drizzle/client.js';
import { batchStatus, call, fileDistribution, reauditCall } from '../../drizzle/schema/index.js';

/** A database handle or a transaction: only reads are made. */
type Reader = Pick<Db, 'select'>;

export async function batchKind(db: Reader, batchId: number) {
  const [row] = await db
    .select({ kind: batchStatus.kind })
    .from(batchStatus)
    .where(eq(batchStatus.id, batchId));
  if (!row) throw new Error(`batch ${batchId} does not exist`);
  return row.kind;
}

/** The ids of a batch's calls: its own calls, or for a reaudit the calls it covers (`kind`: when known). */
export async function batchCallIds(db: Reader, batchId: number, kind?: BatchKind): Promise<number[]> {
  const rows =
    (kind ?? (await batchKind(db, batchId))) === 'reaudit'
      ? await db.select({ id: reauditCall.callId }).from(reauditCall).where(eq(reauditCall.batchId, batchId))
      : await db.select({ id: call.id }).from(call).where(eq(call.batchId, batchId));
  return rows.map((r) => r.id);
}

export async function progressFromRows(db: Reader, batchId: number, stages: Stage[]): Promise<Progress> {
  return progressOfCalls(db, await batchCallIds(db, batchId), stages);
}

/**
 * Done from the `fileDistribution` flags, failed from `call.failedStage` (and skipped after it), cancelled
 * for a Cancelled call in every stage it had not finished (every stage, when it was never distributed).
 */
export async function progressOfCalls(db: Reader, ids: number[], stages: Stage[]): Promise<Progress> {
  const progress = emptyProgress(stages, ids.length);
  if (ids.length === 0) return progress;
  const flagSums = Object.fromEntries(
    stages.map((s) => {
      const flag = DONE_FLAG[s];
      return [s, flag ? sql<number>`COALESCE(SUM(${fileDistribution[flag]}), 0)` : count()];
    }),
  );
  const [done] = await db
    .select(flagSums)
    .from(fileDistribution)
    .where(inArray(fileDistribution.callId, ids));
  const cancelledSums = Object.fromEntries(
    stages.map((s) => {
      const flag = DONE_FLAG[s];
      const notDone = flag
        ? sql<number>`COALESCE(SUM(1 - COALESCE(${fileDistribution[flag]}, 0)), 0)`
        : sql<number>`COALESCE(SUM(${fileDistribution.callId} IS NULL), 0)`;
      return [s, notDone];
    }),
  );
  const [cancelled] = await db
    .select(cancelledSums)
    .from(call)
    .leftJoin(fileDistribution, eq(fileDistribution.callId, call.id))
    .where(and(inArray(call.id, ids), eq(call.status, 'Cancelled')));
  const failed = await db
    .select({ stage: call.failedStage, n: count() })
    .from(call)
    .where(and(inArray(call.id, ids), eq(call.status, 'Failed')))
    .groupBy(call.failedStage);
  const at = (row: unknown, stage: Stage) =>
    Number((row as Record<string, unknown> | undefined)?.[stage] ?? 0);
  for (const stage of stages) {
    const c = progress[stage]!;
    c.done = at(done, stage);
    c.failed = failed.find((f) => f.stage === stage)?.n ?? 0;
    c.skipped = failed
      .filter(
        (f) => f.stage && stages.indexOf(f.stage) >= 0 && stages.indexOf(f.stage) < stages.indexOf(stage),
      )
      .reduce((sum, f) => sum + f.n, 0);
    c.cancelled = at(cancelled, stage);
  }
  return progress;
}
