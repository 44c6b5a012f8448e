// The seed's audit checklist (Tests 1, 2, 3, 5) through HTTP, on real Temporal and MariaDB with simulated
// GPU nodes, checked against the rows its SQL reads.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { AUDIT_STAGES } from '../../core/stages.js';
import {
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  call,
  fileDistribution,
  processingLogs,
  transcript,
} from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { auditForm, getJson, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  // Every node identifies languages on /detect-language, so the injected 400 hits transcription (STT) only.
  stack = await startStack({
    nodes: [
      { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
      { id: 'node-b', capacity: 2, lidPath: '/detect-language' },
    ],
    simulator: {
      timeScale: 0.02,
      failures: { clientErrorPattern: 'broken-stt', endpoints: ['transcriptions'] },
    },
  });
});
after(async () => {
  await stack?.stop();
});

const batchRows = async (batchId: number) => ({
  batch: (await stack.db.select().from(batchStatus).where(eq(batchStatus.id, batchId)))[0]!,
  calls: await stack.db.select().from(call).where(eq(call.batchId, batchId)),
  dist: await stack.db.select().from(fileDistribution).where(eq(fileDistribution.batchId, batchId)),
  events: await stack.db.select().from(batchExecutionLog).where(eq(batchExecutionLog.batchId, batchId)),
  failures: await stack.db
    .select()
    .from(processingLogs)
    .where(eq(processingLogs.batchId, String(batchId))),
});

describe('Test 1: audit upload of a single file', () => {
  test('queues at once, then runs every stage and leaves the rows the seed queries read', async () => {
    const utcDate = () => new Date().toISOString().slice(0, 10);
    const dayBefore = utcDate();
    const res = await uploadAudit(stack.app, auditForm([{ name: 'test.wav', bytes: makeWav(6, 1) }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'queued');
    assert.match(String(res.body.task_id), /^audit-\d+$/);
    const batchId = Number(res.body.batch_id);

    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed', JSON.stringify(final));

    const rows = await batchRows(batchId);
    assert.equal(rows.batch.status, 'Completed');
    assert.equal(rows.batch.totalFiles, 1);
    assert.ok([dayBefore, utcDate()].includes(rows.batch.batchDate), `dated by UTC: ${rows.batch.batchDate}`);
    for (const col of ['dbInsertionStatus', 'lidStatus', 'sttStatus', 'llm1Status', 'llm2Status'] as const) {
      assert.equal(rows.batch[col], 'Complete', col);
    }
    assert.equal(rows.calls.length, 1);
    const [c] = rows.calls;
    assert.equal(c!.status, 'Completed');
    assert.equal(c!.audioName, 'test.wav');
    assert.ok(c!.lang, 'language recorded');
    assert.ok(Math.abs((c!.audioDuration ?? 0) - 6) < 0.1, `duration ${c!.audioDuration}`);
    assert.ok(c!.auditScore !== null && c!.auditScore >= 0 && c!.auditScore <= 100);
    assert.equal(rows.dist.length, 1);
    const d = rows.dist[0]!;
    assert.deepEqual([d.lidDone, d.sttDone, d.llm1Done, d.llm2Done], [true, true, true, true]);
    for (const stage of ['file_distribution', 'lid', 'stt', 'llm1', 'llm2']) {
      const types = rows.events.filter((e) => e.stage === stage).map((e) => e.eventType);
      assert.deepEqual(types.sort(), ['stage_complete', 'stage_start'], `events of ${stage}`);
    }
    assert.equal(rows.failures.length, 0, 'processing_logs has no errors');
    assert.equal((await stack.db.select().from(transcript).where(eq(transcript.callId, c!.id))).length, 1);
    assert.equal((await stack.db.select().from(auditAnswer).where(eq(auditAnswer.callId, c!.id))).length, 9);

    // The seed review's "SQL Queries for Verification", verbatim but for the batch id.
    const seedSql = await readFile(new URL('../fixtures/seed-verification.sql', import.meta.url), 'utf8');
    const queries = seedSql
      .split(';')
      .map((q) => q.trim())
      .filter((q) => q && !/^--[^\n]*$/.test(q));
    assert.equal(queries.length, 5);
    const results: unknown[][] = [];
    for (const q of queries) {
      const [rowsOut] = await stack.database.pool.query(q.replaceAll('<BATCH_ID>', String(batchId)));
      results.push(rowsOut as unknown[]);
    }
    const [latest, distRows, callRows, eventRows, failureRows] = results as Record<string, unknown>[][];
    if (latest!.length === 0) {
      // The first query asks for a batch dated CURDATE(): it finds none only when this test crossed midnight UTC.
      assert.notEqual(utcDate(), rows.batch.batchDate, 'a batch dated today exists');
    } else {
      assert.equal(latest!.length, 1);
    }
    assert.deepEqual(Object.keys(distRows![0]!), [
      'file',
      'denoiseDone',
      'ivrDone',
      'lidDone',
      'sttDone',
      'llm1Done',
      'llm2Done',
    ]);
    assert.equal(distRows![0]!.file, 'test.wav');
    assert.equal(callRows![0]!.status, 'Completed');
    assert.ok(eventRows!.length >= 5, 'events grouped by stage');
    assert.equal(failureRows!.length, 0);

    await recordHistory(
      stack.client,
      workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
      'auditUploadV2.single',
    );
    await recordHistory(
      stack.client,
      workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, c!.id),
      'callPipelineV2.ok',
    );
  });
});

describe('Test 2 and 5: several files, one failing STT for good', () => {
  test('the others complete, the failure is logged with its request, progress is exact', async () => {
    const files = [
      { name: 'file1.wav', bytes: makeWav(5, 2) },
      { name: 'broken-stt.wav', bytes: makeWav(4, 3) },
      { name: 'file3.wav', bytes: makeWav(7, 4) },
    ];
    const res = await uploadAudit(stack.app, auditForm(files, { process_id: '1', category_mapping_id: '1' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const taskId = String(res.body.task_id);
    const batchId = Number(res.body.batch_id);
    const { final, seen } = await waitForBatch(stack.app, taskId);

    assert.equal(final.status, 'CompletedWithErrors');
    assert.equal(final.completed, 2);
    assert.equal(final.failed, 1);
    // Progress never counted a stage done before the rows said so: done never decreases, never exceeds total.
    for (const body of seen) {
      const progress = body.progress as Record<string, { total: number; done: number; failed: number }>;
      for (const stage of AUDIT_STAGES) {
        assert.ok(progress[stage]!.done + progress[stage]!.failed <= progress[stage]!.total);
      }
    }
    const rows = await batchRows(batchId);
    const progress = final.progress as Record<
      string,
      { total: number; done: number; failed: number; skipped: number; cancelled: number }
    >;
    const flags = { lid: 'lidDone', stt: 'sttDone', llm1: 'llm1Done', llm2: 'llm2Done' } as const;
    for (const [stage, flag] of Object.entries(flags)) {
      assert.equal(
        progress[stage]!.done,
        rows.dist.filter((d) => d[flag]).length,
        `${stage} done equals flags`,
      );
    }
    assert.deepEqual(progress.stt, { total: 3, done: 2, failed: 1, skipped: 0, cancelled: 0, no_speech: 0 });
    assert.deepEqual(progress.llm2, { total: 3, done: 2, failed: 0, skipped: 1, cancelled: 0, no_speech: 0 });

    const broken = rows.calls.find((c) => c.audioName === 'broken-stt.wav')!;
    assert.equal(broken.status, 'Failed');
    assert.equal(broken.failedStage, 'stt');
    assert.equal(rows.failures.length, 1);
    const failure = rows.failures[0]!;
    assert.equal(failure.stageName, 'stt');
    assert.equal(failure.callId, String(broken.id));
    assert.match(failure.requestUrl ?? '', /\/v1\/audio\/transcriptions$/);
    assert.match(failure.inputPayload ?? '', /broken-stt\.wav/);
    assert.equal(failure.errorType, 'client_error');
    const fileFailed = rows.events.filter((e) => e.eventType === 'file_failed');
    assert.equal(fileFailed.length, 1);
    assert.equal(fileFailed[0]!.callId, broken.id);
    const sttComplete = rows.events.find((e) => e.stage === 'stt' && e.eventType === 'stage_complete')!;
    assert.equal(sttComplete.successfulFiles, 2);
    assert.equal(sttComplete.failedFiles, 1);
    assert.equal(rows.batch.sttStatus, 'CompleteWithErrors');
    assert.equal(rows.batch.completedFiles, 2);
    assert.equal(rows.batch.failedFiles, 1);

    await recordHistory(
      stack.client,
      workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
      'auditUploadV2.with-failure',
    );
    await recordHistory(
      stack.client,
      workflowIds.call(stack.config.COFI_TASK_QUEUE, batchId, broken.id),
      'callPipelineV2.stt-failed',
    );
  });
});

describe('Test 3: one audit upload at a time', () => {
  test('two simultaneous uploads: exactly one is accepted, the other gets 409 and leaves nothing', async () => {
    const before = await stack.db.select({ id: batchStatus.id }).from(batchStatus);
    const form = (seed: number) => auditForm([{ name: `c${seed}.wav`, bytes: makeWav(3, seed) }]);
    const answers = await Promise.all([uploadAudit(stack.app, form(10)), uploadAudit(stack.app, form(11))]);
    const statuses = answers.map((a) => a.status).sort();
    assert.deepEqual(statuses, [200, 409], JSON.stringify(answers));
    const refused = answers.find((a) => a.status === 409)!;
    assert.equal(refused.body.detail, 'Another audit upload is already being processed');
    const accepted = answers.find((a) => a.status === 200)!;
    const afterRows = await stack.db.select({ id: batchStatus.id }).from(batchStatus);
    assert.equal(afterRows.length, before.length + 1, 'the refused upload left no batch row');
    // Once the accepted one is done, uploads are accepted again.
    await waitForBatch(stack.app, accepted.body.task_id);
    const fourth = await uploadAudit(stack.app, form(13));
    assert.equal(fourth.status, 200, JSON.stringify(fourth.body));
    await waitForBatch(stack.app, fourth.body.task_id);
  });

  test('status of an unknown task is 404 with a detail', async () => {
    const res = await getJson(stack.app, '/audit/status/audit-999999999');
    assert.equal(res.status, 404);
    assert.match(String(res.body.detail), /audit-999999999/);
  });
});
