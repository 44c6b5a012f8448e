// The seed's view of a batch's stages, derived from the ledger: the `batchStatus` stage columns and the
// stage_start / stage_complete events. Brought up to date whenever the batch admits calls and when it closes;
// the events carry the times the ledger holds (first start, last finish), not the time they were written.
import { eq } from 'drizzle-orm';
import { type Progress, stageFinished, stageStatus } from '../core/progress.js';
import { BATCH_STATUS_COLUMN, eventStageName, type Stage, type StageStatus } from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import { type BatchRow, batchStatus } from '../drizzle/schema/index.js';
import { type BatchEvent, eventKey, logEvent } from './events.js';
import { ledgerProgress, stageTimes, type Writer } from './ledger.js';

/** Which stage columns change and which events that causes, from the columns as they are and a progress. */
export function stageChanges(batch: BatchRow, progress: Progress) {
  const stages = batch.stages as Stage[];
  const columns: Partial<Record<string, StageStatus>> = {};
  const starts: Stage[] = [];
  const completes: Stage[] = [];
  for (const stage of stages) {
    const count = progress[stage];
    if (!count) continue;
    const column = BATCH_STATUS_COLUMN[stage];
    const before = batch[column];
    const after = stageStatus(count);
    if (before === after) continue;
    columns[column] = after;
    const begun = count.done + count.failed + count.skipped + count.cancelled + (count.no_speech ?? 0) > 0;
    if (before === 'Pending' && (begun || stageFinished(count))) starts.push(stage);
    if (stageFinished(count) && count.total > 0) completes.push(stage);
  }
  return { columns, starts, completes };
}

/** Brings the stage columns and events of a batch in line with its ledger, in one transaction. */
export async function refreshStages(db: Db, batchId: number): Promise<Progress | null> {
  return db.transaction(async (tx) => {
    const [batch] = await tx.select().from(batchStatus).where(eq(batchStatus.id, batchId)).for('update');
    if (!batch) return null;
    return applyStageView(tx, batch);
  });
}

/**
 * Writes the stage columns and events a batch's ledger calls for (inside the caller's transaction, which holds
 * the batch row). Idempotent: a column already right is not written, an event already logged is kept once.
 */
export async function applyStageView(db: Writer, batch: BatchRow, progress?: Progress): Promise<Progress> {
  const stages = batch.stages as Stage[];
  const current = progress ?? (await ledgerProgress(db, { ...batch, stages }));
  const { columns, starts, completes } = stageChanges(batch, current);
  if (Object.keys(columns).length === 0) return current;
  const times = await stageTimes(db, batch.id, [...new Set([...starts, ...completes])]);
  // An event is never dated before the attempt began (a day run again keeps the times of its earlier run).
  const floor = batch.startedAt?.getTime() ?? 0;
  const at = (d: Date | null | undefined) => new Date(Math.max(floor, d?.getTime() ?? Date.now()));
  const ref = { batchId: batch.id, attempt: batch.attempt };
  const events: BatchEvent[] = [];
  for (const stage of starts) {
    const name = eventStageName(stage);
    events.push({
      batchId: batch.id,
      stage: name,
      eventType: 'stage_start',
      status: 'InProgress',
      message: `${name} started`,
      createdAt: at(times.get(stage)?.first),
      eventKey: eventKey(ref, name, 'stage_start'),
    });
  }
  for (const stage of completes) {
    const name = eventStageName(stage);
    const c = current[stage]!;
    events.push({
      batchId: batch.id,
      stage: name,
      eventType: 'stage_complete',
      status: stageStatus(c),
      message: `${name} finished: ${c.done} successful, ${c.failed} failed, ${c.skipped} skipped${c.cancelled ? `, ${c.cancelled} cancelled` : ''}${c.no_speech ? `, ${c.no_speech} without speech` : ''}`,
      totalFiles: c.total,
      // The seed's counts: a call without speech finished the stage, it did not fail it.
      successfulFiles: c.done + (c.no_speech ?? 0),
      failedFiles: c.failed,
      metadata: { skipped: c.skipped, cancelled: c.cancelled, no_speech: c.no_speech ?? 0 },
      createdAt: at(times.get(stage)?.last),
      eventKey: eventKey(ref, name, 'stage_complete'),
    });
  }
  await db.update(batchStatus).set(columns).where(eq(batchStatus.id, batch.id));
  for (const e of events) await logEvent(db, e);
  return current;
}
