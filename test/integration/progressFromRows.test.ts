// Progress counted from the rows (what the API shows without a workflow, and a cancelled batch's final
// count): every call is counted once per stage as done, failed, skipped or cancelled.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { progressFromRows } from '../../activities/batchRows.js';
import { batchProgress } from '../../api/batchView.js';
import type { ApiDeps } from '../../api/deps.js';
import { emptyCount } from '../../core/progress.js';
import type { Stage } from '../../core/stages.js';
import type { Database } from '../../drizzle/client.js';
import { prepareDatabase } from '../../drizzle/migrate.js';
import { batchStatus, call, fileDistribution } from '../../drizzle/schema/index.js';

const STAGES: Stage[] = ['distribute', 'lid', 'stt', 'llm1', 'llm2'];
let database: Database;
let batchId: number;
let callIds: number[] = [];

before(async () => {
  const url = process.env.COFI_TEST_DATABASE_URL;
  if (!url) throw new Error('COFI_TEST_DATABASE_URL is not set');
  database = await prepareDatabase(url);
  const db = database.db;
  const tag = randomUUID().slice(0, 8);
  const [batch] = await db.insert(batchStatus).values({
    batchDate: '2026-01-01',
    kind: 'audit',
    status: 'Cancelled',
    taskId: `rows-${tag}`,
    workflowId: `test/rows-${tag}`,
    stages: STAGES,
    totalFiles: 4,
  });
  batchId = batch.insertId;
  // done everywhere; failed at stt; cancelled after lid; cancelled before it was even distributed
  const calls = [
    { status: 'Completed', failedStage: null, flags: [true, true, true, true] },
    { status: 'Failed', failedStage: 'stt', flags: [true, false, false, false] },
    { status: 'Cancelled', failedStage: null, flags: [true, false, false, false] },
    { status: 'Cancelled', failedStage: null, flags: null },
  ] as const;
  for (const [i, c] of calls.entries()) {
    const [row] = await db.insert(call).values({
      batchId,
      audioName: `rows-${tag}-${i}.wav`,
      storedPath: `batch-${batchId}/${i}.wav`,
      processId: 1,
      status: c.status,
      failedStage: c.failedStage,
    });
    callIds.push(row.insertId);
    if (!c.flags) continue;
    const [lidDone, sttDone, llm1Done, llm2Done] = c.flags;
    await db.insert(fileDistribution).values({
      batchId,
      callId: row.insertId,
      file: `${i}.wav`,
      gpuNode: 'node-a',
      gpuUrl: 'http://127.0.0.1:1',
      lidDone,
      sttDone,
      llm1Done,
      llm2Done,
      failedStage: c.failedStage,
    });
  }
});

after(async () => {
  if (database) {
    if (callIds.length) {
      await database.db.delete(fileDistribution).where(inArray(fileDistribution.callId, callIds));
      await database.db.delete(call).where(inArray(call.id, callIds));
    }
    if (batchId) await database.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
    await database.close();
  }
  callIds = [];
});

test('done from the flags, failed and skipped from the failed stage, cancelled where a Cancelled call stopped', async () => {
  const progress = await progressFromRows(database.db, batchId, STAGES);
  const count = (done: number, failed: number, skipped: number, cancelled: number) => ({
    ...emptyCount(4),
    done,
    failed,
    skipped,
    cancelled,
  });
  assert.deepEqual(progress, {
    distribute: count(3, 0, 0, 1), // the call with no distribution row was stopped before it
    lid: count(3, 0, 0, 1),
    stt: count(1, 1, 0, 2),
    llm1: count(1, 0, 1, 2),
    llm2: count(1, 0, 1, 2),
  });
});

test('a pending batch has done nothing yet, whatever its calls carry from an earlier run', async () => {
  const [row] = await database.db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
  const deps = { database } as ApiDeps; // batchProgress reads the database only
  const progress = await batchProgress(deps, { ...row!, status: 'Pending' });
  assert.deepEqual(progress.stt, emptyCount(4));
});
