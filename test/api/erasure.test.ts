// DELETE /calls/{id} on the real MariaDB (Temporal only for the app's client; no workflow runs): an erased call
// leaves its tombstone, its ledger rows and blanked log rows, and nothing else in any table with a call id
// (found in information_schema, so a table added later is covered) nor in the audio store; the trail records it;
// refusals (erased already, running batch, unknown, read key, malformed id) change nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq, gt, max, sql } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  type AccessLogRow,
  accessLog,
  batchExecutionLog,
  batchStatus,
  call,
  callLock,
  processingLogs,
  reauditCall,
  stageOutcome,
} from '../../drizzle/schema/index.js';
import { reopenLedger } from '../../lifecycle/ledger.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { makeWav } from '../support/audio.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `erase-read-key-${tag}`;
const OPERATOR = `erase-operator-key-${tag}`;
const READER = `qa-reader-${tag}`;
const LEAD = `ops-lead-${tag}`;
/** What the seeded calls say that is personal: their names, transcript, analysis, answers, failure payload. */
const NAMES = [`+44 7700 900${tag.slice(0, 3)} agent smith.wav`, `broken +44 7700 900123 ${tag}.wav`];
const PERSONAL = [
  ...NAMES,
  'thank you for calling',
  'Customer asked about a bill',
  'invoice 42',
  'no identity check',
  'HTTP 400: bad audio',
  'broken-stt.wav',
  // A daily sidecar's refusal (a metadata_refused event): the sidecar's name and the refused field's reason.
  `${NAMES[0]}.json`,
  'must be at most 128 characters',
];
/** Tables allowed to keep rows of an erased call, besides its tombstone, and why (see lifecycle/erasure.ts). */
const KEPT = new Set(['stageOutcome', 'processing_logs', 'batchExecutionLog', 'reauditCall']);

let api: ApiApp;
let seed: SeededBatch;
const extraBatches: number[] = [];

before(async () => {
  api = await openApiApp({
    API_KEYS: `read:${READER}:${hashKey(READ)},operator:${LEAD}:${hashKey(OPERATOR)}`,
  });
  seed = await seedFinishedBatch(api.db, api.audio, NAMES);
  // The failed call's recording, and processed copies as denoise and ivr write them beside the original.
  const wav = makeWav(1, 3);
  const stored = (n: number, suffix: string) =>
    api.audio.resolve(path.join(`batch-${seed.batchId}`, `${String(n).padStart(5, '0')}${suffix}`));
  await writeFile(stored(2, '.wav'), wav);
  await writeFile(stored(1, '.denoise.wav'), wav);
  await writeFile(stored(1, '.ivr.wav'), wav);
  // A third recording of the batch that belongs to no erased call: it must stay.
  await writeFile(stored(3, '.wav'), wav);
});
after(async () => {
  for (const batchId of extraBatches) {
    await api.db.delete(callLock).where(eq(callLock.batchId, batchId));
    await api.db.delete(reauditCall).where(eq(reauditCall.batchId, batchId));
    await api.db.delete(call).where(eq(call.batchId, batchId));
    await api.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
  }
  await seed?.cleanup();
  await api?.stop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
type Json = Record<string, unknown>;
async function send(method: string, url: string, key = OPERATOR) {
  const res = await api.app.request(url, { method, headers: bearer(key) });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: (type.includes('json') ? await res.json() : null) as Json, res };
}

/** Every (table, column) of the test database whose column is a call id (`callId`, `call_id`). */
async function callIdColumns(): Promise<{ table: string; column: string }[]> {
  const [rows] = (await api.db.execute(
    sql`SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS
        WHERE TABLE_SCHEMA = DATABASE() AND LOWER(REPLACE(COLUMN_NAME, '_', '')) = 'callid'
        ORDER BY TABLE_NAME`,
  )) as unknown as [{ t: string; c: string }[]];
  return rows.map((r) => ({ table: r.t, column: r.c }));
}

/** Every row of every table that names the call, with the call's own row: the database's view of one call. */
async function everythingOf(callId: number): Promise<Record<string, Json[]>> {
  const out: Record<string, Json[]> = {};
  for (const { table, column } of await callIdColumns()) {
    const [rows] = (await api.db.execute(
      sql`SELECT * FROM ${sql.identifier(table)} WHERE ${sql.identifier(column)} = ${String(callId)}`,
    )) as unknown as [Json[]];
    if (rows.length) out[`${table}.${column}`] = rows;
  }
  const [own] = (await api.db.execute(sql`SELECT * FROM \`call\` WHERE id = ${callId}`)) as unknown as [
    Json[],
  ];
  out.call = own;
  return out;
}

async function lastTrailId(): Promise<number> {
  const [row] = await api.db.select({ id: max(accessLog.id) }).from(accessLog);
  return row?.id ?? 0;
}
const trailSince = (id: number): Promise<AccessLogRow[]> =>
  api.db.select().from(accessLog).where(gt(accessLog.id, id)).orderBy(accessLog.id);

const filesOf = async (batchId: number) =>
  (await readdir(api.audio.resolve(`batch-${batchId}`)).catch(() => [] as string[])).sort();

describe('erasing a finished call', () => {
  let ok0: Record<string, Json[]>;
  let beforeFailed: Record<string, Json[]>;
  let trailFrom = 0;
  const answers: Json[] = [];

  before(async () => {
    ok0 = await everythingOf(seed.okCallId);
    beforeFailed = await everythingOf(seed.failedCallId);
    // The event a daily intake writes when the call's sidecar is refused (activities/daily.ts).
    await api.db.insert(batchExecutionLog).values({
      batchId: seed.batchId,
      callId: seed.okCallId,
      stage: 'ingest',
      eventType: 'metadata_refused',
      status: 'Warning',
      message: `${NAMES[0]}.json: field customer_reference must be at most 128 characters, got 130`,
      metadata: {
        sidecar: `${NAMES[0]}.json`,
        field: 'customer_reference',
        reason: 'must be at most 128 characters, got 130',
      },
      eventKey: `test/erase-${tag}/ingest/metadata_refused/${seed.okCallId}`,
    });
    trailFrom = await lastTrailId();
    for (const id of [seed.okCallId, seed.failedCallId]) {
      const { status, body } = await send('DELETE', `/calls/${id}`);
      assert.equal(status, 200, JSON.stringify(body));
      answers.push(body);
    }
  });

  test('the setup had data in every result table and files in the store (else the test proves nothing)', () => {
    for (const table of [
      'lidResult.callId',
      'transcript.callId',
      'analysis.callId',
      'auditAnswer.callId',
      'fileDistribution.callId',
      'stageOutcome.callId',
    ])
      assert.ok(ok0[table]?.length, `${table} had rows of the call before`);
    assert.ok(beforeFailed['processing_logs.call_id']?.length, 'the failed call had a failure-log row');
    assert.ok(beforeFailed['batchExecutionLog.callId']?.length, 'the failed call had an event');
  });

  test('200 with the tombstone: id, batch, Erased, when, by which key, and what went', () => {
    const [ok, failed] = answers as [Json, Json];
    assert.equal(ok.call_id, seed.okCallId);
    assert.equal(ok.batch_id, seed.batchId);
    assert.equal(ok.task_id, `audit-${seed.batchId}`);
    assert.equal(ok.status, 'Erased');
    assert.equal(ok.erased_by, LEAD);
    assert.ok(!Number.isNaN(Date.parse(String(ok.erased_at))));
    assert.deepEqual(ok.deleted, {
      lidResult: 1,
      transcript: 1,
      analysis: 1,
      auditAnswer: 2,
      fileDistribution: 1,
      // Review tables (none seeded here): earlier result versions, overrides, reviews.
      resultVersion: 0,
      answerOverride: 0,
      answerReview: 0,
      callReview: 0,
      reviewVerdict: 0,
      failedRequest: 0,
    });
    assert.equal(ok.files_removed, 3, 'the recording and its denoise and ivr copies');
    assert.equal((failed.blanked as Json).processing_logs, 1);
    assert.equal(failed.files_removed, 1);
  });

  test('no table with a call id holds a row of the erased calls but the ledger and blanked logs', async () => {
    const columns = await callIdColumns();
    // The query found the tables it must (a renamed column would silently shrink it).
    for (const t of ['transcript', 'auditAnswer', 'processing_logs', 'stageOutcome', 'callLock'])
      assert.ok(
        columns.some((c) => c.table === t),
        `${t} is among the tables with a call id`,
      );
    for (const id of [seed.okCallId, seed.failedCallId]) {
      const now = await everythingOf(id);
      const left = Object.keys(now)
        .filter((k) => k !== 'call')
        .map((k) => k.split('.')[0]!);
      assert.deepEqual(
        left.filter((t) => !KEPT.has(t)),
        [],
        `call ${id}: rows left in ${left.join(', ')}`,
      );
      // The kept rows carry no text: failure log without name, message, payload; events without message.
      for (const row of now['processing_logs.call_id'] ?? []) {
        assert.equal(row.audio_name, null);
        assert.equal(row.error_message, null);
        assert.equal(row.input_payload, null);
        assert.equal(row.error_type, 'client_error', 'the error class stays for failure statistics');
        assert.equal(row.stage_name, 'stt');
      }
      for (const row of now['batchExecutionLog.callId'] ?? []) {
        assert.equal(row.message, null);
        assert.equal(row.metadata, null);
      }
      if (id === seed.okCallId)
        assert.ok(
          now['batchExecutionLog.callId']?.some((r) => r.eventType === 'metadata_refused'),
          'the refusal event stays for the timeline',
        );
      // Nothing personal anywhere in what is left, tombstone included.
      const text = JSON.stringify(now);
      for (const p of PERSONAL) assert.ok(!text.includes(p), `call ${id}: "${p}" is still in ${text}`);
      const [tomb] = now.call as [Json];
      assert.equal(tomb.status, 'Erased');
      assert.equal(tomb.audioName, `erased-${id}`);
      assert.equal(tomb.erasedBy, LEAD);
      assert.ok(tomb.erasedAt);
      assert.equal(tomb.originalPath, null);
      assert.equal(tomb.sourcePath, null);
      assert.equal(tomb.errorMessage, null);
      assert.equal(tomb.auditScore, null);
    }
  });

  test('the ledger keeps every outcome, so the batch counts the calls as what they were', async () => {
    const outcomes = async () =>
      (await api.db.select().from(stageOutcome).where(eq(stageOutcome.batchId, seed.batchId)))
        .map((r) => `${r.callId}:${r.stage}:${r.outcome}`)
        .sort();
    assert.equal((await outcomes()).length, 10);
    const { body } = await send('GET', `/batches/${seed.batchId}`, READ);
    assert.equal(body.completed, 1, JSON.stringify(body));
    const [failedStt] = await api.db
      .select({ reason: stageOutcome.reason })
      .from(stageOutcome)
      .where(sql`${stageOutcome.callId} = ${seed.failedCallId} AND ${stageOutcome.stage} = 'stt'`);
    assert.equal(failedStt?.reason, 'client_error', 'the reason is cut to its error class');
  });

  test('no file of the erased calls remains in the audio store; another call of the batch keeps its file', async () => {
    assert.deepEqual(await filesOf(seed.batchId), ['00003.wav']);
  });

  test('the access trail has an erasure row per call, with the key, its role and the batch', async () => {
    const rows = (await trailSince(trailFrom)).filter((r) => r.action === 'erasure');
    assert.deepEqual(
      rows.map((r) => [r.targetType, r.targetId, r.batchId, r.keyName, r.role, r.method, r.status]),
      [seed.okCallId, seed.failedCallId].map((id) => [
        'call',
        id,
        seed.batchId,
        LEAD,
        'operator',
        'DELETE',
        200,
      ]),
    );
  });

  test('GET of an erased call and of its audio: 410 with the tombstone', async () => {
    for (const url of [`/calls/${seed.okCallId}`, `/calls/${seed.okCallId}/audio`]) {
      const { status, body } = await send('GET', url, READ);
      assert.equal(status, 410, url);
      assert.equal(body.code, 'gone');
      assert.equal(body.call_id, seed.okCallId);
      assert.equal(body.batch_id, seed.batchId);
      assert.equal(body.status, 'Erased');
      assert.equal(body.erased_by, LEAD);
      assert.match(String(body.detail), new RegExp(`call ${seed.okCallId} was erased on .* by ${LEAD}`));
    }
  });

  test("the batch's call list shows the calls as erased, without their names", async () => {
    const { status, body } = await send('GET', `/batches/${seed.batchId}/calls`, READ);
    assert.equal(status, 200);
    const calls = body.calls as Json[];
    assert.deepEqual(
      calls.map((c) => [c.call_id, c.status, c.audio_name]),
      [seed.okCallId, seed.failedCallId].map((id) => [id, 'Erased', `erased-${id}`]),
    );
    assert.ok(!JSON.stringify(body).includes(NAMES[0]!));
  });

  test('the dashboard call page says erased and shows no player and no transcript', async () => {
    const page = await (
      await api.app.request(`/ui/f/calls/${seed.okCallId}`, { headers: bearer(READ) })
    ).text();
    assert.match(page, /erased/);
    assert.ok(!page.includes('thank you for calling'));
    const player = await (
      await api.app.request(`/ui/f/calls/${seed.okCallId}/player`, { headers: bearer(READ) })
    ).text();
    assert.match(player, /data-erased/);
    assert.ok(!player.includes('<audio'));
  });

  test('a second erase: 409 "already erased on <date> by <key>", nothing changed', async () => {
    const was = await everythingOf(seed.okCallId);
    const { status, body } = await send('DELETE', `/calls/${seed.okCallId}`);
    assert.equal(status, 409);
    assert.match(
      String(body.detail),
      new RegExp(`already erased: call ${seed.okCallId} was erased on \\d{4}-.* by ${LEAD}`),
    );
    assert.deepEqual(await everythingOf(seed.okCallId), was);
  });

  test('files that outlived the commit (a crash in between) are removed by the next DELETE', async () => {
    const stray = api.audio.resolve(path.join(`batch-${seed.batchId}`, '00001.wav'));
    await writeFile(stray, makeWav(1, 3));
    const was = await everythingOf(seed.okCallId);
    assert.equal((await send('DELETE', `/calls/${seed.okCallId}`)).status, 409);
    assert.deepEqual(await filesOf(seed.batchId), ['00003.wav']);
    assert.deepEqual(await everythingOf(seed.okCallId), was);
  });

  test('a reaudit naming an erased call is refused (409) and starts nothing', async () => {
    const batchesBefore = await api.db.select({ n: max(batchStatus.id) }).from(batchStatus);
    const res = await api.app.request('/reaudit', {
      method: 'POST',
      headers: { ...bearer(OPERATOR), 'content-type': 'application/json' },
      body: JSON.stringify({ audio_names: [`erased-${seed.okCallId}`], stages: ['llm2'] }),
    });
    const body = (await res.json()) as Json;
    assert.equal(res.status, 409, JSON.stringify(body));
    assert.match(String(body.detail), /erased calls cannot be re-run/);
    assert.deepEqual(await api.db.select({ n: max(batchStatus.id) }).from(batchStatus), batchesBefore);
  });
});

describe('an erased call is never run again', () => {
  test('a day opened again makes its failed calls undecided, but not an erased one (its outcomes stay)', async () => {
    // A failed call of the same batch that was not erased: the one whose outcomes a re-run must reopen.
    const [other] = await api.db.insert(call).values({
      batchId: seed.batchId,
      audioName: `still here ${tag}.wav`,
      storedPath: api.audio.batchFile(seed.batchId, 3, 'wav'),
      processId: 1,
      status: 'Failed',
    });
    await api.db.insert(stageOutcome).values({
      batchId: seed.batchId,
      callId: other.insertId,
      stage: 'distribute',
      outcome: 'failed',
      reason: 'unreadable: not audio',
      finishedAt: new Date(),
    });
    const outcomesOf = async (callId: number) =>
      (await api.db.select().from(stageOutcome).where(eq(stageOutcome.callId, callId)))
        .map((r) => `${r.stage}:${r.outcome}`)
        .sort();
    const erasedBefore = await outcomesOf(seed.failedCallId);
    assert.ok(erasedBefore.includes('stt:failed'));
    await reopenLedger(api.db, seed.batchId);
    assert.deepEqual(await outcomesOf(other.insertId), [], 'the failed call is undecided again');
    assert.deepEqual(await outcomesOf(seed.failedCallId), erasedBefore, 'the erased call stays decided');
  });
});

describe('refusals change nothing', () => {
  /** A batch with one call, written directly: `status` of the batch, and a lock when it holds its call. */
  async function callIn(status: 'InProgress' | 'Completed', locked: boolean) {
    const t = randomUUID().slice(0, 8);
    const [b] = await api.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'audit',
      status,
      taskId: `erase-${t}`,
      workflowId: `test/erase-${t}`,
      stages: ['distribute', 'lid'],
      totalFiles: 1,
    });
    extraBatches.push(b.insertId);
    const storedPath = api.audio.batchFile(b.insertId, 1, 'wav');
    await mkdir(path.dirname(api.audio.resolve(storedPath)), { recursive: true });
    await writeFile(api.audio.resolve(storedPath), makeWav(1, 3));
    const [c] = await api.db.insert(call).values({
      batchId: b.insertId,
      audioName: `running ${t}.wav`,
      storedPath,
      processId: 1,
      status: status === 'InProgress' ? 'InProgress' : 'Completed',
    });
    if (locked) await api.db.insert(callLock).values({ callId: c.insertId, batchId: b.insertId });
    return { batchId: b.insertId, callId: c.insertId, taskId: `erase-${t}` };
  }

  test('a call of a running batch: 409 "cancel the batch first", its rows and file untouched', async () => {
    const r = await callIn('InProgress', true);
    const was = await everythingOf(r.callId);
    const { status, body } = await send('DELETE', `/calls/${r.callId}`);
    assert.equal(status, 409);
    assert.match(String(body.detail), new RegExp(`held by ${r.taskId}.*cancel the batch first`));
    assert.deepEqual(await everythingOf(r.callId), was);
    assert.deepEqual(await filesOf(r.batchId), ['00001.wav']);
  });

  test('a call of a batch not ended (no lock held): 409, nothing changed', async () => {
    const r = await callIn('InProgress', false);
    const was = await everythingOf(r.callId);
    const { status, body } = await send('DELETE', `/calls/${r.callId}`);
    assert.equal(status, 409);
    assert.match(String(body.detail), /still running \(InProgress\): cancel the batch first/);
    assert.deepEqual(await everythingOf(r.callId), was);
  });

  test('a finished call held by a running reaudit: 409 naming the reaudit', async () => {
    const r = await callIn('Completed', false);
    const holder = await callIn('InProgress', false);
    await api.db.insert(callLock).values({ callId: r.callId, batchId: holder.batchId });
    const was = await everythingOf(r.callId);
    const { status, body } = await send('DELETE', `/calls/${r.callId}`);
    assert.equal(status, 409);
    assert.match(String(body.detail), new RegExp(`held by ${holder.taskId}`));
    assert.deepEqual(await everythingOf(r.callId), was);
  });

  test('an unknown call: 404; a malformed id: 422 naming the parameter', async () => {
    const unknown = await send('DELETE', '/calls/2147483647');
    assert.equal(unknown.status, 404);
    assert.match(String(unknown.body.detail), /no call with id 2147483647/);
    for (const id of ['abc', '0', '99999999999']) {
      const bad = await send('DELETE', `/calls/${id}`);
      assert.equal(bad.status, 422, id);
      assert.match(String(bad.body.detail), /path parameter id/);
    }
  });

  test('a read key: 403, nothing changed, and the attempt is on the trail', async () => {
    const r = await callIn('Completed', false);
    const was = await everythingOf(r.callId);
    const from = await lastTrailId();
    const { status, body } = await send('DELETE', `/calls/${r.callId}`, READ);
    assert.equal(status, 403);
    assert.match(String(body.detail), /operator/);
    assert.deepEqual(await everythingOf(r.callId), was);
    assert.deepEqual(
      (await trailSince(from)).map((t) => [t.action, t.targetId, t.keyName, t.status]),
      [['erasure', r.callId, READER, 403]],
    );
    // The operator key may: the same call erases.
    assert.equal((await send('DELETE', `/calls/${r.callId}`)).status, 200);
    const [row] = await api.db
      .select()
      .from(processingLogs)
      .where(eq(processingLogs.callId, String(r.callId)));
    assert.equal(row, undefined);
  });
});

describe('erasure by customer reference (POST /erasures)', () => {
  const REF = `cust-${tag}`;
  /** A batch with one call carrying `reference` and the call metadata, written directly. */
  async function callWith(reference: string, status: 'InProgress' | 'Completed', locked = false) {
    const t = randomUUID().slice(0, 8);
    const [b] = await api.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'audit',
      status,
      taskId: `erase-ref-${t}`,
      workflowId: `test/erase-ref-${t}`,
      stages: ['distribute', 'lid'],
      totalFiles: 1,
    });
    extraBatches.push(b.insertId);
    const storedPath = api.audio.batchFile(b.insertId, 1, 'wav');
    await mkdir(path.dirname(api.audio.resolve(storedPath)), { recursive: true });
    await writeFile(api.audio.resolve(storedPath), makeWav(1, 3));
    const [c] = await api.db.insert(call).values({
      batchId: b.insertId,
      audioName: `Jane Doe ${reference} ${t}.wav`,
      storedPath,
      processId: 1,
      status: status === 'InProgress' ? 'InProgress' : 'Completed',
      customerReference: reference,
      agentId: `agent-${t}`,
      team: 'billing',
      direction: 'inbound',
      callStartedAt: new Date('2026-11-30T09:15:00Z'),
    });
    if (locked) await api.db.insert(callLock).values({ callId: c.insertId, batchId: b.insertId });
    return { batchId: b.insertId, callId: c.insertId, taskId: `erase-ref-${t}` };
  }
  async function post(body: unknown, key = OPERATOR) {
    const res = await api.app.request('/erasures', {
      method: 'POST',
      headers: { ...bearer(key), 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  test('erases every call with the reference in one go, answers with their ids, and trails each', async () => {
    const a = await callWith(REF, 'Completed');
    const b = await callWith(REF, 'Completed');
    const other = await callWith(`${REF}-other`, 'Completed');
    // The column's collation ignores case and trailing spaces; an erasure does not.
    const upper = await callWith(REF.toUpperCase(), 'Completed');
    const padded = await callWith(`${REF} `, 'Completed');
    const kept = [other, upper, padded];
    const keptBefore = await Promise.all(kept.map((k) => everythingOf(k.callId)));
    const from = await lastTrailId();
    const { status, body } = await post({ customer_reference: ` ${REF} ` });
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.erased, 2);
    assert.deepEqual(body.call_ids, [a.callId, b.callId]);
    const calls = body.calls as Json[];
    assert.deepEqual(
      calls.map((c) => [c.call_id, c.batch_id, c.status, c.erased_by, c.files_removed]),
      [a, b].map((x) => [x.callId, x.batchId, 'Erased', LEAD, 1]),
    );
    assert.ok(!JSON.stringify(body).includes(REF), 'the answer does not repeat the reference');
    for (const x of [a, b]) {
      const [tomb] = await api.db.select().from(call).where(eq(call.id, x.callId));
      assert.equal(tomb!.status, 'Erased');
      assert.equal(tomb!.audioName, `erased-${x.callId}`);
      // The customer's part of the metadata goes; the contact centre's stays (see lifecycle/erasure.ts).
      assert.equal(tomb!.customerReference, null);
      assert.equal(tomb!.callStartedAt, null);
      assert.match(tomb!.agentId ?? '', /^agent-/);
      assert.equal(tomb!.team, 'billing');
      assert.equal(tomb!.direction, 'inbound');
      assert.deepEqual(await filesOf(x.batchId), []);
    }
    assert.deepEqual(
      await Promise.all(kept.map((k) => everythingOf(k.callId))),
      keptBefore,
      'calls with another reference (another case, a trailing space) are untouched',
    );
    assert.deepEqual(
      (await trailSince(from)).map((r) => [
        r.action,
        r.targetType,
        r.targetId,
        r.batchId,
        r.keyName,
        r.role,
        r.method,
        r.path,
        r.status,
      ]),
      [a, b].map((x) => ['erasure', 'call', x.callId, x.batchId, LEAD, 'operator', 'POST', '/erasures', 200]),
    );
  });

  test('the same reference again: 404, nothing changed (an erased call no longer carries it)', async () => {
    const { status, body } = await post({ customer_reference: REF });
    assert.equal(status, 404, JSON.stringify(body));
    assert.match(String(body.detail), /no call has this customer reference/);
  });

  test('one call held by a running batch: 409 naming it, and none of them erased', async () => {
    const ref = `${REF}-held`;
    const done = await callWith(ref, 'Completed');
    const running = await callWith(ref, 'InProgress', true);
    const was = [await everythingOf(done.callId), await everythingOf(running.callId)];
    const from = await lastTrailId();
    const { status, body } = await post({ customer_reference: ref });
    assert.equal(status, 409, JSON.stringify(body));
    assert.match(
      String(body.detail),
      new RegExp(
        `^none of the 2 calls with this customer reference erased: call ${running.callId} is held by ${running.taskId}.*cancel the batch first`,
      ),
    );
    assert.deepEqual([await everythingOf(done.callId), await everythingOf(running.callId)], was);
    assert.deepEqual(await filesOf(done.batchId), ['00001.wav']);
    assert.deepEqual(
      (await trailSince(from)).filter((r) => r.status === 200),
      [],
    );
    // Once the batch has ended and released it, both go.
    await api.db.delete(callLock).where(eq(callLock.callId, running.callId));
    await api.db.update(batchStatus).set({ status: 'Cancelled' }).where(eq(batchStatus.id, running.batchId));
    await api.db.update(call).set({ status: 'Cancelled' }).where(eq(call.id, running.callId));
    const retry = await post({ customer_reference: ref });
    assert.equal(retry.status, 200, JSON.stringify(retry.body));
    assert.deepEqual(retry.body.call_ids, [done.callId, running.callId]);
  });

  test('bad input: 422 naming the field, nothing erased; a read key 403', async () => {
    const target = await callWith(`${REF}-bad`, 'Completed');
    const was = await everythingOf(target.callId);
    for (const body of [
      {},
      { customer_reference: '' },
      { customer_reference: '   ' },
      { customer_reference: 42 },
      { customer_reference: 'x'.repeat(129) },
      { customer_reference: `${REF}-bad`, call_id: target.callId },
    ]) {
      const res = await post(body);
      assert.equal(res.status, 422, JSON.stringify(body));
      assert.match(String(res.body.detail), /customer_reference|call_id|body/, JSON.stringify(res.body));
    }
    const notJson = await post('{"customer_reference":');
    assert.ok(notJson.status >= 400 && notJson.status < 500, String(notJson.status));
    assert.ok(notJson.body.detail);
    const read = await post({ customer_reference: `${REF}-bad` }, READ);
    assert.equal(read.status, 403);
    assert.match(String(read.body.detail), /operator/);
    assert.deepEqual(await everythingOf(target.callId), was);
  });

  test('DELETE /calls/{id} clears the customer reference too', async () => {
    const one = await callWith(`${REF}-single`, 'Completed');
    assert.equal((await send('DELETE', `/calls/${one.callId}`)).status, 200);
    const [tomb] = await api.db.select().from(call).where(eq(call.id, one.callId));
    assert.equal(tomb!.customerReference, null);
    assert.equal((await post({ customer_reference: `${REF}-single` })).status, 404);
  });

  test('a file that cannot be removed after the commit: 200 naming it in files_error, the erasure stands', async () => {
    const one = await callWith(`${REF}-stuck`, 'Completed');
    // An entry of the call's stem that rm cannot remove (a directory): removal fails after the commit.
    const stuck = api.audio.resolve(path.join(`batch-${one.batchId}`, '00001.stuck'));
    await mkdir(stuck);
    try {
      const { status, body } = await post({ customer_reference: `${REF}-stuck` });
      assert.equal(status, 200, JSON.stringify(body));
      const [erased] = body.calls as Json[];
      assert.equal(erased?.status, 'Erased');
      assert.match(String(erased?.files_error), /could not be removed .*\(ERR_FS_EISDIR|EISDIR|EPERM\)/);
      assert.doesNotMatch(String(erased?.files_error), /\//, 'no path');
      const [tomb] = await api.db.select().from(call).where(eq(call.id, one.callId));
      assert.equal(tomb!.status, 'Erased');
      // A clean erasure answers files_error null.
      const clean = await callWith(`${REF}-clean`, 'Completed');
      const ok = await send('DELETE', `/calls/${clean.callId}`);
      assert.equal(ok.body.files_error, null);
    } finally {
      await rm(stuck, { recursive: true, force: true });
    }
  });
});
