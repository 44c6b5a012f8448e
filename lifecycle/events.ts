// The batch execution log: one insert per event, keyed so that a retried write leaves one row. Keys carry the
// batch's attempt, so a day opened again logs its own stage and batch events.
import { sql } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import { batchExecutionLog } from '../drizzle/schema/index.js';

export type BatchEvent = typeof batchExecutionLog.$inferInsert;

/** Inserts an event once: its `eventKey` is unique, so a retried activity leaves one row. */
export async function logEvent(db: Pick<Db, 'insert'>, event: BatchEvent): Promise<void> {
  await db
    .insert(batchExecutionLog)
    .values({ ...event, eventKey: event.eventKey.slice(0, 191) })
    .onDuplicateKeyUpdate({ set: { eventKey: sql`eventKey` } });
}

/** `42.1:lid:stage_start`, `42.1:stt:file_failed:1234`: batch, attempt, then what the event is about. */
export function eventKey(batch: { batchId: number; attempt: number }, ...parts: (string | number)[]): string {
  return [`${batch.batchId}.${batch.attempt}`, ...parts].join(':');
}
