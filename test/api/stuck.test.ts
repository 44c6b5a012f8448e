// Stuck calls on the real MariaDB: a running batch's call an hour in STT while STT usually takes 20 s is flagged in
// GET /batches/{id}/stuck and counted in /metrics (cofi_stuck_calls{stage="stt"}); a call that just entered its
// stage, a failed one and one that just joined the batch are not; a call with no outcome yet in its batch (a
// reaudit's first stage) is timed from when it joined the batch, and found too; the threshold is the multiple of
// the running median, never below the floor; only candidates come back from the database; an ended batch has none.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { batchStatus, call, callLock, stageOutcome } from '../../drizzle/schema/index.js';
import {
  DEFAULT_STUCK_RULE,
  stageMedians,
  stuckCalls,
  stuckCandidates,
  thresholdOf,
} from '../../lifecycle/stuck.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const tag = randomUUID().slice(0, 8);
const STAGES = ['distribute', 'lid', 'stt', 'llm1', 'llm2'] as const;
const now = Date.now();
const ago = (seconds: number) => new Date(now - seconds * 1000);

let api: ApiApp;
let running: number;
let history: number;
const ids: Record<'stuck' | 'fresh' | 'failed' | 'waiting' | 'firstStage', number> = {
  stuck: 0,
  fresh: 0,
  failed: 0,
  waiting: 0,
  firstStage: 0,
};
const allCalls: number[] = [];

async function addBatch(status: 'InProgress' | 'Completed', name: string) {
  const [row] = await api.db.insert(batchStatus).values({
    batchDate: new Date().toISOString().slice(0, 10),
    kind: 'audit',
    status,
    taskId: `${name}-${tag}`,
    workflowId: `test/${name}-${tag}`,
    processId: 1,
    stages: [...STAGES],
    totalFiles: 4,
    startedAt: ago(7200),
  });
  return row.insertId;
}

async function addCall(batchId: number, name: string) {
  const [row] = await api.db.insert(call).values({
    batchId,
    audioName: `${name}-${tag}.wav`,
    storedPath: 'none',
    processId: 1,
    status: 'InProgress',
  });
  allCalls.push(row.insertId);
  return row.insertId;
}

before(async () => {
  api = await openApiApp();
  running = await addBatch('InProgress', 'stuck-running');
  history = await addBatch('Completed', 'stuck-history');
  for (const key of Object.keys(ids) as (keyof typeof ids)[]) {
    ids[key] = await addCall(running, key);
    // firstStage joined the batch 7000 s ago and has no outcome yet (a reaudit's call in its first stage).
    const lockedAt = key === 'firstStage' ? ago(7000) : new Date(now);
    await api.db.insert(callLock).values({ callId: ids[key], batchId: running, lockedAt });
  }
  const done = (callId: number, stage: (typeof STAGES)[number], secondsAgo: number) => ({
    batchId: running,
    callId,
    stage,
    outcome: 'done' as const,
    startedAt: ago(secondsAgo + 1),
    finishedAt: ago(secondsAgo),
  });
  await api.db.insert(stageOutcome).values([
    done(ids.stuck, 'distribute', 7200),
    done(ids.stuck, 'lid', 3600),
    done(ids.fresh, 'distribute', 7200),
    done(ids.fresh, 'lid', 10),
    done(ids.failed, 'distribute', 7200),
    { ...done(ids.failed, 'lid', 3600), outcome: 'failed' as const },
    ...(['stt', 'llm1', 'llm2'] as const).map((s) => ({
      ...done(ids.failed, s, 3600),
      outcome: 'skipped' as const,
    })),
  ]);
  // STT's recent history: 200 calls, each 20 s from the end of its LID to the end of its STT (the latest rows).
  for (let i = 0; i < 200; i += 50) {
    const batch = [];
    for (let j = i; j < i + 50; j += 1) {
      const id = await addCall(history, `history-${j}`);
      batch.push(
        // Its first stage in the batch (nothing before it): timed from the batch's start, 7200 s before it ended
        // at 30 s ago, although the attempt itself took a second (the wait for the batch's window counts).
        {
          batchId: history,
          callId: id,
          stage: 'denoise' as const,
          outcome: 'done' as const,
          startedAt: ago(31),
          finishedAt: ago(30),
        },
        {
          batchId: history,
          callId: id,
          stage: 'lid' as const,
          outcome: 'done' as const,
          finishedAt: ago(21),
        },
        {
          batchId: history,
          callId: id,
          stage: 'stt' as const,
          outcome: 'done' as const,
          startedAt: ago(5),
          finishedAt: ago(1),
        },
      );
    }
    await api.db.insert(stageOutcome).values(batch);
  }
});
after(async () => {
  await api.db.delete(stageOutcome).where(inArray(stageOutcome.batchId, [running, history]));
  await api.db.delete(callLock).where(eq(callLock.batchId, running));
  await api.db.delete(call).where(inArray(call.id, allCalls));
  await api.db.delete(batchStatus).where(inArray(batchStatus.id, [running, history]));
  await api?.stop();
});

type Json = Record<string, unknown>;
const get = async (url: string) => {
  const res = await api.app.request(url);
  return { status: res.status, text: await res.text() };
};

describe('a call far longer in a stage than usual', () => {
  test("the running median is from the end of the call's previous stage (queue time counts)", async () => {
    const medians = await stageMedians(api.db);
    assert.equal(medians.get('stt'), 20);
  });

  test("a batch's first stage is timed from the batch's start, as a call waiting in it now is", async () => {
    const medians = await stageMedians(api.db);
    assert.equal(medians.get('denoise'), 7170);
  });

  test('GET /batches/{id}/stuck lists the call an hour in STT and the one 2 h in its first stage, with why', async () => {
    const { status, text } = await get(`/batches/${running}/stuck`);
    assert.equal(status, 200, text);
    const body = JSON.parse(text) as { stuck: Json[]; task_id: string };
    assert.equal(body.task_id, `stuck-running-${tag}`);
    assert.deepEqual(
      body.stuck.map((s) => [s.call_id, s.stage]),
      [
        [ids.firstStage, 'distribute'],
        [ids.stuck, 'stt'],
      ],
    );
    const [first, s] = body.stuck;
    // No outcome yet: timed from when it joined the batch (its lock, after the batch's start).
    assert.equal(first?.since, ago(7000).toISOString());
    // 5 x 20 s is under the floor: the floor is the threshold.
    assert.deepEqual([s?.median_seconds, s?.threshold_seconds], [20, DEFAULT_STUCK_RULE.minSeconds]);
    assert.ok(Number(s?.seconds) >= 3600, `in the stage for ${s?.seconds} s`);
    assert.equal(s?.since, ago(3600).toISOString());
  });

  test('the threshold is the multiple of the median, never below the floor', async () => {
    assert.equal(thresholdOf(DEFAULT_STUCK_RULE, 20), DEFAULT_STUCK_RULE.minSeconds);
    assert.equal(thresholdOf(DEFAULT_STUCK_RULE, 1000), 5000);
    assert.equal(thresholdOf(DEFAULT_STUCK_RULE, null), DEFAULT_STUCK_RULE.minSeconds);
    const slow = await stuckCalls(api.db, {
      batchId: running,
      medians: new Map([
        ['stt', 1000],
        ['distribute', 2000],
      ]),
    });
    assert.deepEqual(slow, [], 'STT usually 1000 s: an hour is not 5 times that');
    const strict = await stuckCalls(api.db, {
      batchId: running,
      now: new Date(now),
      rule: { ...DEFAULT_STUCK_RULE, minSeconds: 5 },
      medians: new Map([['stt', 1]]),
    });
    assert.deepEqual(
      strict.map((s) => s.callId),
      [ids.firstStage, ids.stuck, ids.fresh],
      'with a 5 s floor and a 1 s median, 10 s in STT is stuck too',
    );
  });

  test('the database returns only candidates: open calls in their stage past the floor', async () => {
    const rows = await stuckCandidates(api.db, {
      batchId: running,
      now: new Date(now),
      minSeconds: DEFAULT_STUCK_RULE.minSeconds,
    });
    // Not the call 10 s in STT, not the failed one (every stage decided), not the one that just joined.
    assert.deepEqual(
      rows.map((r) => [r.callId, r.stage]).sort((a, b) => Number(a[0]) - Number(b[0])),
      [
        [ids.stuck, 'stt'],
        [ids.firstStage, 'distribute'],
      ],
    );
  });

  test('/metrics counts it in cofi_stuck_calls{stage="stt"}, and every stage has a series', async () => {
    const { status, text } = await get('/metrics');
    assert.equal(status, 200);
    const value = (stage: string) =>
      Number(
        new RegExp(`^cofi_stuck_calls\\{stage="${stage}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? Number.NaN,
      );
    assert.ok(
      value('stt') >= 1,
      text
        .split('\n')
        .filter((l) => l.includes('stuck'))
        .join('\n'),
    );
    for (const stage of STAGES) assert.ok(Number.isFinite(value(stage)), `no series for ${stage}`);
  });

  test('a batch that has ended has no stuck calls; an unknown batch is a 404', async () => {
    await api.db.update(batchStatus).set({ status: 'Completed' }).where(eq(batchStatus.id, running));
    const { text } = await get(`/batches/${running}/stuck`);
    assert.deepEqual(JSON.parse(text).stuck, []);
    await api.db.update(batchStatus).set({ status: 'InProgress' }).where(eq(batchStatus.id, running));
    assert.equal((await get('/batches/2147483647/stuck')).status, 404);
  });
});
