// The daily batch: a day's folder becomes a batch with denoise and IVR stages before LID; a second run of
// the same day adds only new recordings and never re-runs a finished stage.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import {
  batchExecutionLog,
  batchStatus,
  call,
  fileDistribution,
  transcript,
} from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { postJson as postJsonTo, statusOf, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let dailyDir: string;
// A day of its own per run: the batch of a day is found by its date.
const date = `${2100 + Math.floor(Math.random() * 800)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}`;

/** A call that opens with a 4 s IVR menu and 2 s of silence before the conversation. */
function withIvrPrompt(seed: number): Uint8Array {
  const menu = Buffer.from(makeWav(4, seed));
  const silence = Buffer.alloc(2 * 8000 * 2);
  const talk = Buffer.from(makeWav(6, seed + 1));
  const data = Buffer.concat([menu.subarray(44), silence, talk.subarray(44)]);
  const header = Buffer.from(menu.subarray(0, 44));
  header.writeUInt32LE(36 + data.length, 4);
  header.writeUInt32LE(data.length, 40);
  return new Uint8Array(Buffer.concat([header, data]));
}

before(async () => {
  execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  dailyDir = await mkdtemp(path.join(tmpdir(), 'cofi-daily-'));
  await mkdir(path.join(dailyDir, date, 'team-a'), { recursive: true });
  await writeFile(path.join(dailyDir, date, 'team-a', 'ivr-call.wav'), withIvrPrompt(61));
  await writeFile(path.join(dailyDir, date, 'plain-call.wav'), makeWav(5, 63));
  await writeFile(path.join(dailyDir, date, 'notes.txt'), 'not a recording');
  // A link to a recording outside the day's folder: reported, not followed.
  await writeFile(path.join(dailyDir, 'outside.wav'), makeWav(3, 64));
  await symlink(path.join(dailyDir, 'outside.wav'), path.join(dailyDir, date, 'linked-call.wav'));
  stack = await startStack({ simulator: { timeScale: 0 }, env: { DAILY_DIR: dailyDir, DAILY_CRON: '' } });
});
after(async () => {
  await stack?.stop();
  await rm(dailyDir, { recursive: true, force: true });
});

const postJson = (url: string, body: unknown) => postJsonTo(stack.app, url, body);

async function waitForDaily(taskId: string) {
  // The day's row exists once the workflow has ingested the folder: allow a slow machine two minutes.
  for (let i = 0; i < 1200; i++) {
    if ((await statusOf(stack.app, taskId)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return waitForBatch(stack.app, taskId);
}

describe('daily batch', () => {
  test('ingests the day, cleans the audio, cuts the IVR prompt, runs every stage', async () => {
    const res = await postJson('/batches', { date, audio_stages: ['denoise', 'ivr'] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.task_id, `daily-${date}`);
    const { final } = await waitForDaily(String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    assert.equal(final.total_files, 2, 'the text file is not a recording');
    const batchId = Number(final.batch_id);
    const calls = await stack.db.select().from(call).where(eq(call.batchId, batchId));
    const ivr = calls.find((c) => c.audioName === path.join('team-a', 'ivr-call.wav'))!;
    const plain = calls.find((c) => c.audioName === 'plain-call.wav')!;
    assert.ok(Math.abs((ivr.ivrOffset ?? 0) - 6) < 0.4, `IVR cut at ${ivr.ivrOffset}`);
    assert.equal(plain.ivrOffset, 0);
    // The stored recording is the IVR-cut one, or its redacted copy when redaction masked a span of it (the
    // default policy keeps no unredacted copy of the recording then).
    const [ivrText] = await stack.db.select().from(transcript).where(eq(transcript.callId, ivr.id));
    if ((ivrText?.redactedEntities ?? []).some((e) => e.time)) {
      assert.match(ivr.storedPath, /\.redact\.wav$/);
      assert.equal(ivr.originalPath, null);
    } else {
      assert.match(ivr.storedPath, /\.ivr\.wav$/);
      assert.ok(ivr.originalPath && !ivr.originalPath.includes('.ivr.'));
    }
    const dist = await stack.db.select().from(fileDistribution).where(eq(fileDistribution.batchId, batchId));
    assert.ok(dist.every((d) => d.denoiseDone && d.ivrDone && d.redactDone && d.llm2Done));
    const events = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(eq(batchExecutionLog.batchId, batchId));
    for (const stage of ['denoise', 'ivr']) {
      assert.ok(
        events.some((e) => e.stage === stage && e.eventType === 'stage_complete' && e.successfulFiles === 2),
      );
    }
    // The ingestion is in the batch's log, with what it left out and why.
    const ingested = events.filter((e) => e.eventType === 'batch_ingested');
    assert.equal(ingested.length, 1);
    assert.deepEqual(ingested[0]!.metadata, {
      folder: date,
      added: 2,
      skipped: 0,
      ignored: 2,
      ignoredExamples: [
        { path: path.join(date, 'linked-call.wav'), reason: 'symbolic link (not followed)' },
        { path: path.join(date, 'notes.txt'), reason: 'not an audio file name' },
      ],
    });
    assert.match(ingested[0]!.message ?? '', /2 new recording\(s\).*2 other file\(s\) ignored/);
    await recordHistory(
      stack.client,
      workflowIds.dailyBatch(stack.config.COFI_TASK_QUEUE, date),
      'dailyBatchV2.two-calls',
    );
  });

  test('a second run of the day adds only the new file and re-runs no finished stage', async () => {
    const [day] = await stack.db
      .select()
      .from(batchStatus)
      .where(eq(batchStatus.taskId, `daily-${date}`));
    const [before] = await stack.db
      .select({ id: transcript.id, callId: transcript.callId })
      .from(transcript)
      .innerJoin(call, eq(call.id, transcript.callId))
      .where(and(eq(call.batchId, day!.id), eq(call.audioName, 'plain-call.wav')));
    await writeFile(path.join(dailyDir, date, 'late-call.wav'), makeWav(4, 65));
    const childId = workflowIds.call(stack.config.COFI_TASK_QUEUE, day!.id, before!.callId);
    // Read from the server's store, not the eventually consistent visibility list.
    const firstRun = await stack.client.workflow.getHandle(childId).describe();
    const res = await postJson('/batches', { date, audio_stages: [] });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { final } = await waitForDaily(String(res.body.task_id));
    assert.equal(final.status, 'Completed');
    assert.equal(final.total_files, 3);
    const [after] = await stack.db
      .select({ id: transcript.id })
      .from(transcript)
      .where(eq(transcript.callId, before!.callId));
    assert.equal(after!.id, before!.id, 'the finished call kept its transcript');
    // A finished call is counted from its flags: no second child workflow ran for it. Its latest run is
    // still the one of the first run of the day (run ids, not the server's clock against this one's).
    const latest = await stack.client.workflow.getHandle(childId).describe();
    assert.equal(latest.runId, firstRun.runId, `${childId} ran again at ${latest.startTime.toISOString()}`);
    assert.equal(final.completed, 3);
    // The second ingestion has an event of its own: one new recording, two already in the batch.
    const ingested = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(and(eq(batchExecutionLog.batchId, day!.id), eq(batchExecutionLog.eventType, 'batch_ingested')))
      .orderBy(batchExecutionLog.id);
    assert.deepEqual(
      ingested.map((e) => [e.metadata?.added, e.metadata?.skipped]),
      [
        [2, 0],
        [1, 2],
      ],
    );
    // Each run of the day logs its own start, stages and end: the second run's are not dropped as repeats.
    const events = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(eq(batchExecutionLog.batchId, day!.id))
      .orderBy(batchExecutionLog.id);
    const count = (stage: string, type: string) =>
      events.filter((e) => e.stage === stage && e.eventType === type).length;
    assert.deepEqual(
      [count('batch', 'batch_start'), count('batch', 'batch_complete')],
      [2, 2],
      'two runs, two starts and two ends',
    );
    for (const stage of ['file_distribution', 'lid', 'stt', 'llm1', 'llm2'])
      assert.deepEqual([count(stage, 'stage_start'), count(stage, 'stage_complete')], [2, 2], stage);
    const lastLid = events.filter((e) => e.stage === 'lid' && e.eventType === 'stage_complete').at(-1)!;
    assert.equal(lastLid.successfulFiles, 3, "the second run's lid counts the whole day");
  });

  test('bad requests: unknown field, bad date, folder outside DAILY_DIR, missing folder', async () => {
    assert.equal((await postJson('/batches', { date, when: 'now' })).status, 422);
    assert.equal((await postJson('/batches', { date: '2026-02-30' })).status, 422);
    assert.equal((await postJson('/batches', { folder: '../../etc' })).status, 422);
    assert.equal((await postJson('/batches', { date: '2020-01-01' })).status, 404);
  });
});
