// Row reads the integration tests share.
import { eq, inArray } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import {
  auditAnswer,
  call,
  callLock,
  fileDistribution,
  lidResult,
  transcript,
} from '../../drizzle/schema/index.js';

export async function callState(db: Db, callId: number) {
  const [row] = await db.select().from(call).where(eq(call.id, callId));
  const [dist] = await db.select().from(fileDistribution).where(eq(fileDistribution.callId, callId));
  return {
    call: row!,
    dist: dist!,
    transcripts: await db.select().from(transcript).where(eq(transcript.callId, callId)),
    answers: await db.select().from(auditAnswer).where(eq(auditAnswer.callId, callId)),
    lid: await db.select().from(lidResult).where(eq(lidResult.callId, callId)),
  };
}

export async function callsOfBatch(db: Db, batchId: number) {
  return db.select().from(call).where(eq(call.batchId, batchId));
}

export async function locksOf(db: Db, callIds: number[]) {
  return callIds.length ? db.select().from(callLock).where(inArray(callLock.callId, callIds)) : [];
}
