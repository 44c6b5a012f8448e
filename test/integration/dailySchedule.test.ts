// Scheduled days: the schedule's run and an on-demand run of one date are one workflow; a run that starts late
// (a catch-up after an outage) processes the day it was due for, each missed day once and in order; a day run
// again leaves a call that a running reaudit holds to that reaudit.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq, inArray, like } from 'drizzle-orm';
import { answer } from '../../api/client.js';
import { batchExecutionLog, batchStatus, call, stageOutcome } from '../../drizzle/schema/index.js';
import { dailyScheduleOptions } from '../../worker/schedule.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { api, postDay, postReaudit, statusOf, waitForBatch } from '../support/http.js';
import { nameTag } from '../support/names.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let dailyDir: string;
before(async () => {
  dailyDir = await mkdtemp(path.join(tmpdir(), 'cofi-days-'));
  // Every node identifies languages on /detect-language, so the injected 400 hits STT only: a held call routed
  // to a node that identifies by transcription would fail its reaudit's LID at once, and the day would then
  // never meet it held (a clean-clone run failed so, by routing alone).
  stack = await startStack({
    nodes: [
      { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
      { id: 'node-b', capacity: 2, lidPath: '/detect-language' },
    ],
    simulator: {
      timeScale: 0,
      failures: { clientErrorPattern: 'broken-stt', endpoints: ['transcriptions'] },
    },
    env: { DAILY_DIR: dailyDir, DAILY_CRON: '', DAILY_AUDIO_STAGES: '' },
  });
});
after(async () => {
  await stack?.stop();
  await rm(dailyDir, { recursive: true, force: true });
});

const DAY_MS = 86_400_000;
/** Names of this file's recordings: the test database is shared, and a reaudit picks calls by name. */
const tag = nameTag();
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

async function dayFolder(date: string, names: string[]) {
  await mkdir(path.join(dailyDir, date), { recursive: true });
  for (const [i, name] of names.entries())
    await writeFile(path.join(dailyDir, date, name), makeWav(2, 700 + i + date.length, 200));
}

async function dayBatch(date: string) {
  const [row] = await stack.db
    .select()
    .from(batchStatus)
    .where(eq(batchStatus.taskId, `daily-${date}`));
  return row;
}

/** Runs of a workflow id, oldest first (each run's start names the run it continues). */
async function executions(workflowId: string): Promise<string[]> {
  const runs: string[] = [];
  for await (const w of stack.client.workflow.list({ query: `WorkflowId = '${workflowId}'` }))
    runs.push(w.runId);
  return runs;
}

async function waitForDay(date: string, timeoutMs = 120_000) {
  for (let i = 0; i < timeoutMs / 200; i++) {
    if ((await statusOf(stack.app, `daily-${date}`)).status === 200) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  return waitForBatch(stack.app, `daily-${date}`, timeoutMs);
}

/** Waits until the day's batch has been opened for the `attempt`th time. */
async function waitForAttempt(date: string, attempt: number) {
  for (let i = 0; ((await dayBatch(date))?.attempt ?? 0) < attempt; i++) {
    assert.ok(i < 300, `the day ran (attempt ${attempt})`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** A schedule of this test's own (its prefix), paused: only what the test triggers runs. */
async function schedule() {
  const options = dailyScheduleOptions({ ...stack.config, DAILY_CRON: '30 1 * * *' });
  const handle = await stack.client.schedule.create({ ...options, state: { paused: true } });
  return handle;
}

describe('scheduled days', () => {
  test('the scheduled run and an on-demand run of the same day are one workflow, one ingestion', async () => {
    // Not across midnight UTC: the schedule's day and the request's must be the same day.
    const toMidnight = DAY_MS - (Date.now() % DAY_MS);
    if (toMidnight < 60_000) await new Promise((r) => setTimeout(r, toMidnight + 1000));
    const date = isoDate(Date.now() - DAY_MS);
    const names = [`${tag}-joined-a.wav`, `${tag}-joined-b.wav`];
    await dayFolder(date, names);
    // The test database may hold this date from an earlier run: what counts is what this run adds.
    const attemptBefore = (await dayBatch(date))?.attempt ?? 0;
    const handle = await schedule();
    try {
      const [, onDemand] = await Promise.all([
        handle.trigger(),
        postDay(stack.app, { date, audio_stages: [] }),
      ]);
      assert.equal(onDemand.status, 202, JSON.stringify(onDemand.body));
      for (let i = 0; ((await dayBatch(date))?.attempt ?? 0) <= attemptBefore; i++) {
        assert.ok(i < 300, 'the day started');
        await new Promise((r) => setTimeout(r, 200));
      }
      const { final } = await waitForDay(date);
      // The scheduled run has finished too (it waited for, or was, the day's workflow).
      for (let i = 0; i < 100; i++) {
        const d = await handle.describe();
        if (d.info.runningActions.length === 0 && d.info.recentActions.length > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      const batch = (await dayBatch(date))!;
      assert.equal(batch.attempt, attemptBefore + 1, 'the day was opened once');
      assert.equal(final.attempt, batch.attempt);
      const calls = await stack.db
        .select()
        .from(call)
        .where(and(eq(call.batchId, batch.id), inArray(call.audioName, names)));
      assert.deepEqual(
        calls.map((c) => c.status),
        ['Completed', 'Completed'],
      );
      const ingestions = await stack.db
        .select()
        .from(batchExecutionLog)
        .where(
          and(
            eq(batchExecutionLog.batchId, batch.id),
            eq(batchExecutionLog.eventType, 'batch_ingested'),
            like(batchExecutionLog.eventKey, `${batch.id}.${batch.attempt}:%`),
          ),
        );
      assert.equal(ingestions.length, 1, 'one ingestion of the day');
      assert.equal((await executions(workflowIds.dailyBatch(stack.config.COFI_TASK_QUEUE, date))).length, 1);
    } finally {
      await handle.delete();
    }
  });

  test('a catch-up after an outage processes each missed day once, on its own date, one after another', async () => {
    // Three due times on consecutive days at 01:30 UTC, in a past of this run's own (the test database may
    // hold earlier runs' days): each processes the day before it.
    const base = Date.UTC(2000 + Math.floor(Math.random() * 20), Math.floor(Math.random() * 12), 5);
    const due = [0, 1, 2].map((d) => base + d * DAY_MS + 90 * 60_000);
    const dates = due.map((t) => isoDate(t - DAY_MS));
    for (const date of dates) await dayFolder(date, [`${tag}-${date}-call.wav`]);
    const handle = await schedule();
    try {
      await handle.backfill({ start: new Date(due[0]! - 60_000), end: new Date(due[2]! + 60_000) });
      const finals = [];
      for (const date of dates) finals.push((await waitForDay(date)).final);
      assert.deepEqual(
        finals.map((f) => [f.batch_date, f.status, f.total_files]),
        dates.map((d) => [d, 'Completed', 1]),
      );
      const batches = await stack.db
        .select()
        .from(batchStatus)
        .where(
          inArray(
            batchStatus.taskId,
            dates.map((d) => `daily-${d}`),
          ),
        );
      const byDate = dates.map((d) => batches.find((b) => b.batchDate === d)!);
      for (let i = 1; i < byDate.length; i++)
        assert.ok(
          byDate[i]!.startedAt!.getTime() >= byDate[i - 1]!.completedAt!.getTime(),
          'a day waits for the one before it',
        );
      assert.ok(
        byDate.every((b) => b.attempt === 1),
        'each day ran once',
      );
      const [last] = (await handle.describe()).info.recentActions.slice(-1);
      if (last) await recordHistory(stack.client, last.action.workflow.workflowId, 'scheduledDay.backfilled');
    } finally {
      await handle.delete();
    }
  });
});

test('a day run again leaves a call that a running reaudit holds to the reaudit', async () => {
  // A day of its own per run: the batch of a day is found by its date.
  const date = `${2100 + Math.floor(Math.random() * 800)}-0${1 + Math.floor(Math.random() * 9)}-1${Math.floor(Math.random() * 9)}`;
  const held = `${tag}-broken-stt.wav`;
  await dayFolder(date, [`${tag}-fine.wav`, held]);
  const first = await postDay(stack.app, { date, audio_stages: [] });
  assert.equal(first.status, 202, JSON.stringify(first.body));
  const { final: firstRun } = await waitForDay(date);
  assert.equal(firstRun.status, 'CompletedWithErrors', JSON.stringify(firstRun));
  const batch = (await dayBatch(date))!;
  const [broken] = await stack.db
    .select()
    .from(call)
    .where(and(eq(call.batchId, batch.id), eq(call.audioName, held)));
  const childId = workflowIds.call(stack.config.COFI_TASK_QUEUE, batch.id, broken!.id);
  const runsBefore = await executions(childId);
  // The day's row is final a moment before its workflow closes: stopping the workers in that moment leaves the
  // run open, and the day asked for again then joins it (it cannot close in startDay's 5 s) instead of
  // starting anew. A clean-clone run failed so: wait for the first run to close.
  await stack.client.workflow.getHandle(workflowIds.dailyBatch(stack.config.COFI_TASK_QUEUE, date)).result();
  // With the workers stopped, a reaudit of the failed call is admitted (it holds the call), then the day is run
  // again: both start together once the workers are back. The reaudit's LID takes 30 s, so the day's run meets
  // the call while the reaudit holds it on any machine (at LID's usual speed a fast reaudit could end first,
  // and the day then rightly ran the call itself; at 9 s a clean-clone run once lost that race too).
  await stack.stopWorkers();
  stack.sim.setTimeScale(200);
  let reauditTask: string;
  try {
    const reaudit = await postReaudit(stack.app, {
      audio_names: [held],
      stages: ['lid'],
    });
    assert.equal(reaudit.status, 200, JSON.stringify(reaudit.body));
    reauditTask = String(reaudit.body.task_id);
    const again = await postDay(stack.app, { date, audio_stages: [] });
    assert.equal(again.status, 202, JSON.stringify(again.body));
  } finally {
    await stack.startWorkers();
  }
  /** The held call's outcome at the day's last stage. */
  const llm2Outcome = async () => {
    const [row] = await stack.db
      .select()
      .from(stageOutcome)
      .where(
        and(
          eq(stageOutcome.batchId, batch.id),
          eq(stageOutcome.callId, broken!.id),
          eq(stageOutcome.stage, 'llm2'),
        ),
      );
    return row;
  };
  try {
    for (let i = 0; !(await llm2Outcome())?.reason?.startsWith('held by'); i++) {
      assert.ok(
        i < 300,
        `the day met the held call (its llm2 outcome: ${JSON.stringify(await llm2Outcome())})`,
      );
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    stack.sim.setTimeScale(0);
  }
  await waitForBatch(stack.app, reauditTask);
  await waitForAttempt(date, 2);
  const { final } = await waitForDay(date);
  assert.equal(final.attempt, 2);
  assert.deepEqual(await executions(childId), runsBefore, 'the day did not run the held call again');
  const secondChild = workflowIds.call(stack.config.COFI_TASK_QUEUE, batch.id, broken!.id, 2);
  assert.deepEqual(await executions(secondChild), [], 'nor under its second attempt');
  const outcome = await llm2Outcome();
  assert.equal(outcome?.outcome, 'skipped');
  assert.match(String(outcome?.reason), new RegExp(`held by ${reauditTask}`));
});

test('a day run again after a failed call lost its recording: the call fails with why, the day ends', async () => {
  const date = `${2100 + Math.floor(Math.random() * 800)}-1${Math.floor(Math.random() * 3)}-2${Math.floor(Math.random() * 9)}`;
  const lost = `${tag}-lost-broken-stt.wav`;
  await dayFolder(date, [`${tag}-kept.wav`, lost]);
  await postDay(stack.app, { date, audio_stages: [] });
  const { final: first } = await waitForDay(date);
  assert.equal(first.status, 'CompletedWithErrors', JSON.stringify(first));
  // The failed call's recording is gone from the day's folder and from the audio store.
  const batch = (await dayBatch(date))!;
  const [row] = await stack.db
    .select()
    .from(call)
    .where(and(eq(call.batchId, batch.id), eq(call.audioName, lost)));
  await rm(path.join(dailyDir, date, lost));
  await rm(stack.audio.resolve(row!.storedPath));
  const again = await postDay(stack.app, { date, audio_stages: [] });
  assert.equal(again.status, 202, JSON.stringify(again.body));
  await waitForAttempt(date, 2);
  const { final } = await waitForDay(date, 60_000);
  assert.equal(final.status, 'CompletedWithErrors', JSON.stringify(final));
  const { failures } = await answer(
    api(stack.app).batches[':id'].failures.$get({ param: { id: String(batch.id) }, query: {} }),
  );
  const mine = failures.filter((f) => f.call_id === row!.id);
  assert.ok(
    mine.some((f) => /not found/.test(f.error_message ?? '')),
    `the call failed saying its audio is not found: ${JSON.stringify(mine)}`,
  );
});

test('a day asked for again while its last run is closing starts anew once that run has closed', async () => {
  const date = `${2100 + Math.floor(Math.random() * 800)}-0${1 + Math.floor(Math.random() * 9)}-0${1 + Math.floor(Math.random() * 8)}`;
  await dayFolder(date, [`${tag}-early.wav`]);
  await postDay(stack.app, { date, audio_stages: [] });
  const { final: first } = await waitForDay(date);
  assert.equal(first.status, 'Completed', JSON.stringify(first));
  // The run that has closed its day but not yet ended (a moment, made long here): an execution with the day's
  // id, options and memo, on a queue nobody polls, ended by hand a second after the request came. The first
  // run's row is final a moment before its workflow closes: wait for that, or the id is still taken.
  const workflowId = workflowIds.dailyBatch(stack.config.COFI_TASK_QUEUE, date);
  await stack.client.workflow.getHandle(workflowId).result();
  const closing = await stack.client.workflow.start('dailyBatchV2', {
    workflowId,
    taskQueue: `${stack.config.COFI_TASK_QUEUE}-nobody`,
    args: [{ date, audioStages: [] }],
    memo: { date, folder: null, audioStages: [] },
  });
  await dayFolder(date, [`${tag}-early.wav`, `${tag}-late.wav`]);
  const ending = new Promise((r) => setTimeout(r, 1000)).then(() => closing.terminate('closed'));
  const again = await postDay(stack.app, { date, audio_stages: [] });
  await ending;
  assert.equal(again.status, 202, JSON.stringify(again.body));
  assert.equal(again.body.joined, false, 'a run that had closed its day is not joined');
  await waitForAttempt(date, 2);
  const { final } = await waitForDay(date);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  assert.equal(final.total_files, 2, 'the late file was ingested');
});
