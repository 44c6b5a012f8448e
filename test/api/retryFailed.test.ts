// Retry of a batch's failed calls, reaudit by call ids and of a whole batch, on the real MariaDB and Temporal (the
// reaudits' workflows start on a queue no worker polls and are terminated after): which calls the ledger says
// failed in their latest run, from which stage each re-runs, and the refusals (nothing failed, held calls, bad
// bodies, read key), each on the access trail.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, gt, inArray, max } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  accessLog,
  batchStatus,
  call,
  callLock,
  fileDistribution,
  reauditCall,
  stageOutcome,
} from '../../drizzle/schema/index.js';
import { reauditStages } from '../../lifecycle/admission.js';
import { MAX_RETRY_CALLS, retryFailed } from '../../lifecycle/retryFailed.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `retry-read-key-${tag}`;
const OPERATOR = `retry-operator-key-${tag}`;
const LEAD = `retry-lead-${tag}`;

let api: ApiApp;
let seed: SeededBatch;
/** A call of the seeded batch that failed at llm2, and one whose distribution failed. */
let llm2Failed: number;
let distributeFailed: number;
const started: number[] = [];

type Json = Record<string, unknown>;
async function send(method: string, url: string, body?: unknown, key = OPERATOR) {
  const res = await api.app.request(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** A reaudit started by a test: its workflow is stopped and its rows go at the end. */
async function forget(batchId: number) {
  started.push(batchId);
}

async function finishReaudits() {
  for (const batchId of started) {
    const [b] = await api.db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
    if (b)
      await api.deps.temporal.workflow
        .getHandle(b.workflowId)
        .terminate('test done')
        .catch(() => undefined);
    await api.db.delete(callLock).where(eq(callLock.batchId, batchId));
    await api.db.delete(reauditCall).where(eq(reauditCall.batchId, batchId));
    await api.db.delete(stageOutcome).where(eq(stageOutcome.batchId, batchId));
    await api.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
  }
  started.length = 0;
}

async function addFailedCall(stage: 'llm2' | 'distribute', name = `failed-at-${stage}`): Promise<number> {
  const [row] = await api.db.insert(call).values({
    batchId: seed.batchId,
    audioName: `${name}-${tag}.wav`,
    storedPath: api.audio.batchFile(seed.batchId, stage === 'llm2' ? 3 : 4, 'wav'),
    processId: 1,
    categoryMappingId: 1,
    status: 'Failed',
    failedStage: stage,
  });
  const callId = row.insertId;
  const stages = ['distribute', 'lid', 'stt', 'llm1', 'llm2'] as const;
  const at = stages.indexOf(stage);
  if (stage !== 'distribute')
    await api.db.insert(fileDistribution).values({
      batchId: seed.batchId,
      callId,
      file: `failed-at-${stage}.wav`,
      gpuNode: 'node-a',
      gpuUrl: 'http://127.0.0.1:1',
    });
  await api.db.insert(stageOutcome).values(
    stages.map((s, i) => ({
      batchId: seed.batchId,
      callId,
      stage: s,
      outcome: i < at ? ('done' as const) : i === at ? ('failed' as const) : ('skipped' as const),
      finishedAt: new Date(),
    })),
  );
  return callId;
}

before(async () => {
  api = await openApiApp({ API_KEYS: `read:${hashKey(READ)},operator:${LEAD}:${hashKey(OPERATOR)}` });
  seed = await seedFinishedBatch(api.db, api.audio, [`ok ${tag}.wav`, `broken ${tag}.wav`]);
  llm2Failed = await addFailedCall('llm2');
  distributeFailed = await addFailedCall('distribute');
});
after(async () => {
  await finishReaudits();
  await seed?.cleanup();
  await api?.stop();
});

const lastTrailId = async () => (await api.db.select({ id: max(accessLog.id) }).from(accessLog))[0]?.id ?? 0;

describe('POST /batches/{id}/retry-failed', () => {
  after(finishReaudits);

  test('re-runs only the calls whose latest run failed, each from the stage it failed at', async () => {
    const from = await lastTrailId();
    const { status, body } = await send('POST', `/batches/${seed.batchId}/retry-failed`);
    assert.equal(status, 200, JSON.stringify(body));
    const retries = body.retries as Json[];
    for (const r of retries) await forget(r.batch_id as number);
    assert.equal(body.batch_id, seed.batchId);
    assert.equal(body.failed, 3);
    assert.deepEqual(
      retries.map((r) => [r.from_stage, r.stages, r.call_ids]),
      [
        // Stage lists from the registry: a stage added later is re-run where the registry says it belongs.
        ['distribute', ['distribute', ...reauditStages(['lid'])], [distributeFailed]],
        ['stt', reauditStages(['stt']), [seed.failedCallId]],
        ['llm2', reauditStages(['llm2']), [llm2Failed]],
      ],
    );
    // Each is a reaudit batch holding its calls, and says what it retries; the completed call is in none.
    const ids = retries.map((r) => r.batch_id as number);
    const rows = await api.db.select().from(batchStatus).where(inArray(batchStatus.id, ids));
    for (const row of rows) {
      assert.equal(row.kind, 'reaudit');
      assert.equal((row.details as Json).retryOf, seed.batchId);
    }
    const locked = await api.db.select().from(callLock).where(inArray(callLock.batchId, ids));
    assert.deepEqual(
      locked.map((l) => l.callId).sort(),
      [distributeFailed, seed.failedCallId, llm2Failed].sort(),
    );
    // The access trail has the request, by the operator key, about the batch retried.
    const trail = await api.db.select().from(accessLog).where(gt(accessLog.id, from));
    assert.deepEqual(
      trail.map((t) => [t.action, t.keyName, t.status, t.targetId, t.path]),
      [['reaudit', LEAD, 200, seed.batchId, `/batches/${seed.batchId}/retry-failed`]],
    );
  });

  test('again while those reaudits hold the calls: 409 naming the holder, nothing new started', async () => {
    const [before] = await api.db.select({ n: max(batchStatus.id) }).from(batchStatus);
    const { status, body } = await send('POST', `/batches/${seed.batchId}/retry-failed`);
    assert.equal(status, 409, JSON.stringify(body));
    assert.match(String(body.detail), /held by a running batch: .*\(reaudit-\d+\)/);
    assert.deepEqual(await api.db.select({ n: max(batchStatus.id) }).from(batchStatus), [before]);
  });
});

describe('a stage with more failed calls than a reaudit takes', () => {
  let more: number[] = [];
  before(async () => {
    more = [await addFailedCall('llm2', 'failed-at-llm2-b'), await addFailedCall('llm2', 'failed-at-llm2-c')];
  });
  after(async () => {
    await finishReaudits();
    await api.db.delete(stageOutcome).where(inArray(stageOutcome.callId, more));
    await api.db.delete(fileDistribution).where(inArray(fileDistribution.callId, more));
    await api.db.delete(call).where(inArray(call.id, more));
  });

  test('is retried by several reaudits of at most the cap each, in call id order', async () => {
    // The cap is a whole-batch reaudit's (10,000); two here, so three llm2 failures make two reaudits.
    assert.equal(MAX_RETRY_CALLS, 10_000);
    const lifecycle = {
      db: api.db,
      temporal: api.deps.temporal,
      config: api.deps.config,
      audio: api.deps.audio,
    };
    const { failed, started } = await retryFailed(lifecycle, { batchId: seed.batchId, maxCalls: 2 });
    for (const s of started) await forget(s.batchId);
    assert.equal(failed.length, 5);
    assert.deepEqual(
      started.map((s) => [s.stages[0], s.callIds]),
      [
        ['distribute', [distributeFailed]],
        ['stt', [seed.failedCallId]],
        ['llm2', [llm2Failed, more[0]]],
        ['llm2', [more[1]]],
      ],
    );
    const locked = await api.db
      .select()
      .from(callLock)
      .where(inArray(callLock.callId, [llm2Failed, ...more]));
    assert.deepEqual(
      locked.map((l) => l.batchId),
      [started[2]!.batchId, started[2]!.batchId, started[3]!.batchId],
    );
  });
});

describe('what counts as failed is the latest run', () => {
  test('a call that failed in batch N and completed in a later batch is not retried; none left: 409', async () => {
    // A later batch (standing for a reaudit that re-ran them) in which every failed call completed.
    const [later] = await api.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'reaudit',
      status: 'Completed',
      taskId: `later-${tag}`,
      workflowId: `test/later-${tag}`,
      stages: ['llm2'],
      totalFiles: 3,
    });
    await forget(later.insertId);
    await api.db.insert(stageOutcome).values(
      [seed.failedCallId, llm2Failed, distributeFailed].map((callId) => ({
        batchId: later.insertId,
        callId,
        stage: 'llm2' as const,
        outcome: 'done' as const,
        finishedAt: new Date(),
      })),
    );
    const { status, body } = await send('POST', `/batches/${seed.batchId}/retry-failed`);
    assert.equal(status, 409, JSON.stringify(body));
    assert.match(String(body.detail), /has no failed calls to retry/);
    await finishReaudits();
  });

  test('an unknown batch: 404; a malformed id: 422; a read key: 403 on the trail', async () => {
    assert.equal((await send('POST', '/batches/2147483647/retry-failed')).status, 404);
    const bad = await send('POST', '/batches/abc/retry-failed');
    assert.equal(bad.status, 422);
    assert.match(String(bad.body.detail), /path parameter id/);
    const from = await lastTrailId();
    const read = await send('POST', `/batches/${seed.batchId}/retry-failed`, undefined, READ);
    assert.equal(read.status, 403);
    const trail = await api.db.select().from(accessLog).where(gt(accessLog.id, from));
    assert.deepEqual(
      trail.map((t) => [t.action, t.status, t.targetId]),
      [['reaudit', 403, seed.batchId]],
    );
  });
});

describe('POST /reaudit by call ids and of a whole batch', () => {
  after(finishReaudits);

  test('by call ids: exactly those calls; an id that matches nothing is reported', async () => {
    const { status, body } = await send('POST', '/reaudit', {
      call_ids: [seed.okCallId, 2147483646],
      stages: ['llm1'],
    });
    assert.equal(status, 200, JSON.stringify(body));
    await forget(body.batch_id as number);
    assert.equal(body.calls, 1);
    // The seeded call's transcript was never redacted: its LLM reaudit runs redact first (lifecycle/admission.ts).
    assert.deepEqual(body.stages, ['redact', ...reauditStages(['llm1'])]);
    assert.deepEqual(body.not_found, ['2147483646']);
    const links = await api.db
      .select()
      .from(reauditCall)
      .where(eq(reauditCall.batchId, body.batch_id as number));
    assert.deepEqual(
      links.map((l) => [l.callId, l.originalBatchId]),
      [[seed.okCallId, seed.batchId]],
    );
    await finishReaudits();
  });

  test('of a whole batch with chosen stages: every call of it', async () => {
    const { status, body } = await send('POST', '/reaudit', { batch_id: seed.batchId, stages: ['stt'] });
    assert.equal(status, 200, JSON.stringify(body));
    await forget(body.batch_id as number);
    assert.equal(body.calls, 4);
    // One call was never distributed: distribution runs first.
    assert.deepEqual(body.stages, ['distribute', ...reauditStages(['stt'])]);
    const [row] = await api.db
      .select()
      .from(batchStatus)
      .where(eq(batchStatus.id, body.batch_id as number));
    assert.equal((row?.details as Json | undefined)?.reauditOf, seed.batchId);
    await finishReaudits();
  });

  test('refusals: no call id matches (404), unknown batch (404), two targets or none (422), bad ids (422)', async () => {
    const none = await send('POST', '/reaudit', { call_ids: [2147483645], stages: ['llm2'] });
    assert.equal(none.status, 404);
    assert.match(String(none.body.detail), /no call matches any of the call ids: 2147483645/);
    const batch = await send('POST', '/reaudit', { batch_id: 2147483647, stages: ['llm2'] });
    assert.equal(batch.status, 404);
    assert.match(String(batch.body.detail), /no batch with id 2147483647/);
    for (const [body, detail] of [
      [{ stages: ['llm2'] }, /give exactly one of audio_names, call_ids, batch_id/],
      [
        { audio_names: ['a.wav'], call_ids: [1], stages: ['llm2'] },
        /give exactly one of .* \(got audio_names and call_ids\)/,
      ],
      [{ call_ids: [1, 1], stages: ['llm2'] }, /call_ids has duplicates/],
      [{ call_ids: [0], stages: ['llm2'] }, /call ids are positive/],
      [{ call_ids: ['7'], stages: ['llm2'] }, /call_ids/],
      [{ batch_id: 1.5, stages: ['llm2'] }, /batch_id/],
    ] as const) {
      const res = await send('POST', '/reaudit', body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(String(res.body.detail), detail, JSON.stringify(res.body));
    }
  });
});
