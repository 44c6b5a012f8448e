// The access trail on the real MariaDB (and Temporal for an upload and its cancel, with no worker): every read
// of a call and every change is a row with the key's name and role, refusals too; GET /audit-log filters and
// pages it for an operator; bad filters are a 400 that writes nothing; no row holds a word of a transcript.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { eq, gt, inArray, max } from 'drizzle-orm';
import pino from 'pino';
import { createApp } from '../../api/app.js';
import { hashKey } from '../../api/auth.js';
import { probeAudio } from '../../core/audio/probe.js';
import {
  type AccessLogRow,
  accessLog,
  analysis,
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  call,
  callLock,
  transcript,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { makeWav } from '../support/audio.js';
import { auditForm } from '../support/http.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `trail-read-key-${tag}`;
const OPERATOR = `trail-operator-key-${tag}`;
const UNNAMED = `trail-unnamed-key-${tag}`;
// Names unique to this run, so the filters below see only what this file wrote.
const READER = `qa-reader-${tag}`;
const LEAD = `ops-lead-${tag}`;

let api: ApiApp;
let app: ReturnType<typeof createApp>;
let seed: SeededBatch;
const logLines: string[] = [];
let firstId = 0;
const uploaded: number[] = [];

before(async () => {
  api = await openApiApp({
    API_KEYS: `read:${READER}:${hashKey(READ)},operator:${LEAD}:${hashKey(OPERATOR)},read:${hashKey(UNNAMED)}`,
  });
  // The uploads need the real probe; the log is kept to see what a failed trail write says.
  const sink = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  app = createApp({ ...api.deps, probeAudio, logger: pino({ level: 'info' }, sink) });
  seed = await seedFinishedBatch(api.db, api.audio);
  firstId = await lastId();
});
after(async () => {
  for (const batchId of uploaded) {
    const [batch] = await api.db.select().from(batchStatus).where(eq(batchStatus.id, batchId));
    if (batch)
      await api.deps.temporal.workflow
        .getHandle(batch.workflowId)
        .terminate('access trail test done')
        .catch(() => {});
    await api.db.delete(callLock).where(eq(callLock.batchId, batchId));
    await api.db.delete(call).where(eq(call.batchId, batchId));
    await api.db.delete(batchExecutionLog).where(eq(batchExecutionLog.batchId, batchId));
    await api.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
  }
  await seed?.cleanup();
  await api?.stop();
});

async function lastId(): Promise<number> {
  const [row] = await api.db.select({ id: max(accessLog.id) }).from(accessLog);
  return row?.id ?? 0;
}
const rowsSince = (id: number): Promise<AccessLogRow[]> =>
  api.db.select().from(accessLog).where(gt(accessLog.id, id)).orderBy(accessLog.id);

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
type Json = Record<string, unknown>;
async function send(
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: RequestInit['body'],
) {
  const res = await app.request(url, { method, headers, ...(body === undefined ? {} : { body }) });
  const type = res.headers.get('content-type') ?? '';
  return { res, status: res.status, body: (type.includes('json') ? await res.json() : null) as Json };
}
/** Runs `act`, then returns the trail rows it wrote. */
async function trailOf(act: () => Promise<unknown>): Promise<AccessLogRow[]> {
  const before = await lastId();
  await act();
  return rowsSince(before);
}

describe('reads are recorded with the key that made them', () => {
  test('a call read by a named read key: one read_call row with name, role, target and batch', async () => {
    let status = 0;
    const rows = await trailOf(async () => {
      ({ status } = await send('GET', `/calls/${seed.okCallId}`, bearer(READ)));
    });
    assert.equal(status, 200);
    assert.equal(rows.length, 1);
    const row = rows[0]!;
    assert.equal(row.keyName, READER);
    assert.equal(row.role, 'read');
    assert.equal(row.action, 'read_call');
    assert.equal(row.targetType, 'call');
    assert.equal(row.targetId, seed.okCallId);
    assert.equal(row.batchId, seed.batchId);
    assert.equal(row.method, 'GET');
    assert.equal(row.path, `/calls/${seed.okCallId}`);
    assert.equal(row.status, 200);
    assert.ok(row.requestId, 'the request id is kept');
    assert.ok(row.at instanceof Date && !Number.isNaN(row.at.getTime()));
  });

  test('a key configured without a name is recorded as key-<first 8 hex of its hash>', async () => {
    const rows = await trailOf(() => send('GET', `/calls/${seed.okCallId}`, bearer(UNNAMED)));
    assert.deepEqual(
      rows.map((r) => [r.keyName, r.role, r.action]),
      [[`key-${hashKey(UNNAMED).slice(0, 8)}`, 'read', 'read_call']],
    );
  });

  test("the dashboard's call fragment (transcript, answers) is a read_call; its player fragment is not", async () => {
    const rows = await trailOf(async () => {
      assert.equal((await send('GET', `/ui/f/calls/${seed.okCallId}`, bearer(READ))).status, 200);
      assert.equal((await send('GET', `/ui/f/calls/${seed.okCallId}/player`, bearer(READ))).status, 200);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.path, r.keyName, r.targetId]),
      [['read_call', `/ui/f/calls/${seed.okCallId}`, READER, seed.okCallId]],
    );
  });

  test("a batch's failure log (its payloads may hold transcript text) is a read_failures of the batch", async () => {
    const rows = await trailOf(async () => {
      assert.equal((await send('GET', `/batches/${seed.batchId}/failures`, bearer(READ))).status, 200);
      assert.equal((await send('GET', `/ui/f/batches/${seed.batchId}/failures`, bearer(READ))).status, 200);
      assert.equal((await send('GET', `/batches/${seed.batchId}/events`, bearer(READ))).status, 200);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.targetType, r.targetId, r.keyName, r.status]),
      [
        ['read_failures', 'batch', seed.batchId, READER, 200],
        ['read_failures', 'batch', seed.batchId, READER, 200],
      ],
    );
  });

  test('a search and an export are search and export rows, not reads of a call named "search"', async () => {
    const rows = await trailOf(async () => {
      assert.equal((await send('GET', `/calls/search?batch_id=${seed.batchId}`, bearer(READ))).status, 200);
      const csv = await send('GET', `/calls/export.csv?batch_id=${seed.batchId}`, bearer(READ));
      assert.equal(csv.status, 200);
      await csv.res.text();
      assert.equal((await send('GET', `/ui/f/search?batch_id=${seed.batchId}`, bearer(READ))).status, 200);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.targetType, r.targetId, r.path, r.keyName, r.status]),
      [
        ['search', 'call', null, '/calls/search', READER, 200],
        ['export', 'call', null, '/calls/export.csv', READER, 200],
        ['search', 'call', null, '/ui/f/search', READER, 200],
      ],
    );
  });

  test('audio through a signed link is recorded as signed-link, without the signature', async () => {
    const { body } = await send('GET', `/calls/${seed.okCallId}`, bearer(READ));
    const link = String(body.audio_url);
    assert.match(link, /sig=/);
    const rows = await trailOf(async () => {
      assert.equal((await send('GET', link)).status, 200);
      assert.equal((await send('GET', link, { range: 'bytes=0-99' })).status, 206);
      assert.equal((await send('GET', `/calls/${seed.okCallId}/audio`, bearer(READ))).status, 200);
      assert.equal((await send('GET', link.replace(/exp=\d+/, 'exp=1000'))).status, 401);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.keyName, r.role, r.status, r.targetId, r.batchId]),
      [
        ['read_audio', 'signed-link', 'read', 200, seed.okCallId, seed.batchId],
        ['read_audio', 'signed-link', 'read', 206, seed.okCallId, seed.batchId],
        ['read_audio', READER, 'read', 200, seed.okCallId, seed.batchId],
        // An expired link is no key at all.
        ['read_audio', null, null, 401, seed.okCallId, null],
      ],
    );
    for (const r of rows) assert.equal(r.path, `/calls/${seed.okCallId}/audio`);
  });

  test('without keys (open on loopback) the actor is "open" with the operator role', async () => {
    const open = await openApiApp();
    try {
      const before = await lastId();
      assert.equal((await open.app.request(`/calls/${seed.okCallId}`)).status, 200);
      const rows = await rowsSince(before);
      assert.deepEqual(
        rows.map((r) => [r.keyName, r.role, r.action, r.targetId]),
        [['open', 'operator', 'read_call', seed.okCallId]],
      );
    } finally {
      await open.stop();
    }
  });
});

describe('refused attempts are recorded with their status', () => {
  test('no key: 401 with no key name; a read key POSTing: 403 with its name; a bad id: 422 without target', async () => {
    const rows = await trailOf(async () => {
      assert.equal((await send('GET', `/calls/${seed.okCallId}`)).status, 401);
      assert.equal((await send('GET', `/calls/${seed.okCallId}`, bearer('not-a-key'))).status, 401);
      assert.equal((await send('POST', `/batches/${seed.batchId}/cancel`, bearer(READ))).status, 403);
      assert.equal((await send('POST', '/audit/upload', bearer(READ))).status, 403);
      assert.equal((await send('GET', '/calls/abc', bearer(READ))).status, 422);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.keyName, r.role, r.status, r.targetType, r.targetId]),
      [
        ['read_call', null, null, 401, 'call', seed.okCallId],
        ['read_call', null, null, 401, 'call', seed.okCallId],
        ['cancel', READER, 'read', 403, 'batch', seed.batchId],
        ['upload', READER, 'read', 403, 'batch', null],
        ['read_call', READER, 'read', 422, 'call', null],
      ],
    );
  });

  test('an erasure by customer reference refused (a read key, a blank reference) is one erasure row each', async () => {
    const body = (ref: string) => JSON.stringify({ customer_reference: ref });
    const json = { 'content-type': 'application/json' };
    const rows = await trailOf(async () => {
      assert.equal((await send('POST', '/erasures', { ...bearer(READ), ...json }, body('C-1'))).status, 403);
      assert.equal(
        (await send('POST', '/erasures', { ...bearer(OPERATOR), ...json }, body('  '))).status,
        422,
      );
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.targetType, r.targetId, r.keyName, r.status]),
      [
        ['erasure', 'call', null, READER, 403],
        ['erasure', 'call', null, LEAD, 422],
      ],
    );
  });

  test('a cancel of a batch that has ended is recorded as the 409 it got, with the batch and task id', async () => {
    const rows = await trailOf(async () => {
      assert.equal((await send('POST', `/batches/${seed.batchId}/cancel`, bearer(OPERATOR))).status, 409);
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.keyName, r.status, r.targetId, r.batchId, r.taskId]),
      [['cancel', LEAD, 409, seed.batchId, seed.batchId, `audit-${seed.batchId}`]],
    );
  });
});

describe('changes are recorded with the batch they made or touched', () => {
  test('an upload and its cancel, as operator: both rows carry the batch id', async () => {
    const form = auditForm([{ name: `trail-${tag}.wav`, bytes: makeWav(1, 3) }]);
    let batchId = 0;
    const rows = await trailOf(async () => {
      const up = await send('POST', '/audit/upload', bearer(OPERATOR), form);
      assert.equal(up.status, 200, JSON.stringify(up.body));
      batchId = Number(up.body.batch_id);
      uploaded.push(batchId);
      const cancel = await send('POST', `/batches/${batchId}/cancel`, bearer(OPERATOR));
      assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    });
    assert.ok(batchId > 0);
    assert.deepEqual(
      rows.map((r) => [r.action, r.keyName, r.role, r.targetType, r.targetId, r.batchId, r.taskId, r.status]),
      [
        ['upload', LEAD, 'operator', 'batch', batchId, batchId, `audit-${batchId}`, 200],
        ['cancel', LEAD, 'operator', 'batch', batchId, batchId, `audit-${batchId}`, 202],
      ],
    );
    assert.deepEqual(
      rows.map((r) => [r.method, r.path]),
      [
        ['POST', '/audit/upload'],
        ['POST', `/batches/${batchId}/cancel`],
      ],
    );
  });

  test('a reaudit and a daily run refused by the route are recorded with their action and status', async () => {
    const rows = await trailOf(async () => {
      const reaudit = await send(
        'POST',
        '/reaudit',
        { ...bearer(OPERATOR), 'content-type': 'application/json' },
        JSON.stringify({ audio_names: [`no-such-call-${tag}.wav`], stages: ['llm2'] }),
      );
      assert.equal(reaudit.status, 404);
      const day = await send(
        'POST',
        '/batches',
        { ...bearer(OPERATOR), 'content-type': 'application/json' },
        JSON.stringify({ date: '1999-01-02' }),
      );
      assert.equal(day.status, 404, JSON.stringify(day.body));
    });
    assert.deepEqual(
      rows.map((r) => [r.action, r.keyName, r.status, r.targetType, r.targetId, r.taskId]),
      [
        ['reaudit', LEAD, 404, 'batch', null, null],
        ['daily_run', LEAD, 404, 'batch', null, 'daily-1999-01-02'],
      ],
    );
  });
});

describe('a trail write that fails', () => {
  test('leaves the answer as it was and is logged loudly', async () => {
    const requestId = `trail-fault-${tag}`;
    const trigger = `trail_fault_${tag.replaceAll('-', '')}`;
    // A real refusal by the database, for this one request only (other files' rows are not touched).
    await api.database.pool.query(
      `CREATE TRIGGER ${trigger} BEFORE INSERT ON accessLog FOR EACH ROW
       BEGIN
         IF NEW.requestId = '${requestId}' THEN
           SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected access trail fault';
         END IF;
       END`,
    );
    try {
      const before = await lastId();
      const read = await send('GET', `/calls/${seed.okCallId}`, {
        ...bearer(READ),
        'x-request-id': requestId,
      });
      assert.equal(read.status, 200);
      assert.ok(read.body.transcript, 'the read still answers with the call');
      assert.deepEqual(await rowsSince(before), []);
      const line = logLines.find((l) => l.includes('ACCESS TRAIL NOT WRITTEN') && l.includes(requestId));
      assert.ok(line, 'the failed write is logged');
      const logged = JSON.parse(line) as { level: number; access: Json };
      assert.equal(logged.level, 50, 'at error level');
      assert.equal(logged.access.keyName, READER);
      assert.equal(logged.access.targetId, seed.okCallId);
    } finally {
      await api.database.pool.query(`DROP TRIGGER IF EXISTS ${trigger}`);
    }
  });
});

describe('GET /audit-log', () => {
  type Entry = Json & { id: number; key_name: string | null; status: number; at: string };
  const auditLog = async (query: string, key = OPERATOR) => {
    const r = await send('GET', `/audit-log?${query}`, bearer(key));
    return { ...r, entries: (r.body.entries ?? []) as Entry[], next: r.body.next_before as number | null };
  };

  test('a read key gets 403 and no key 401; neither is an entry', async () => {
    const rows = await trailOf(async () => {
      const read = await send('GET', '/audit-log', bearer(READ));
      assert.equal(read.status, 403);
      assert.match(String(read.body.detail), /operator/);
      assert.equal((await send('GET', '/audit-log')).status, 401);
    });
    assert.deepEqual(rows, []);
  });

  test('newest first, filtered by key, action, target, batch, status class or code, role', async () => {
    const mine = await auditLog(`key=${READER}&limit=500`);
    assert.equal(mine.status, 200, JSON.stringify(mine.body));
    assert.ok(mine.entries.length >= 7, `entries: ${mine.entries.length}`);
    assert.ok(mine.entries.every((e) => e.key_name === READER));
    const ids = mine.entries.map((e) => e.id);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );
    assert.equal(mine.next, null);
    const first = mine.entries.at(-1)!;
    assert.deepEqual(Object.keys(first).sort(), [
      'action',
      'at',
      'batch_id',
      'id',
      'key_name',
      'method',
      'path',
      'request_id',
      'role',
      'status',
      'target_id',
      'target_type',
      'task_id',
    ]);

    const audio = await auditLog(`key=${READER}&action=read_audio`);
    assert.deepEqual(
      audio.entries.map((e) => [e.action, e.status]),
      [['read_audio', 200]],
    );
    const link = await auditLog(`key=signed-link&target_type=call&target_id=${seed.okCallId}`);
    assert.ok(link.entries.length >= 2);
    assert.ok(link.entries.every((e) => e.action === 'read_audio' && e.target_id === seed.okCallId));

    const batch = await auditLog(`batch_id=${seed.batchId}&key=${READER}&limit=500`);
    assert.ok(batch.entries.length >= 5);
    assert.ok(batch.entries.every((e) => e.batch_id === seed.batchId));

    const refused = await auditLog(`key=${READER}&status=4xx`);
    assert.deepEqual(refused.entries.map((e) => e.status).sort(), [403, 403, 403, 422]);
    const forbidden = await auditLog(`key=${READER}&status=403`);
    assert.deepEqual(
      forbidden.entries.map((e) => e.action),
      ['erasure', 'upload', 'cancel'],
    );
    assert.deepEqual((await auditLog(`key=${READER}&role=operator`)).entries, []);
    const lead = await auditLog(`key=${LEAD}&role=operator&target_type=batch`);
    assert.ok(lead.entries.some((e) => e.action === 'upload' && e.status === 200));
  });

  test('from and to: ISO dates (a date is its whole day) or date-times', async () => {
    const { entries } = await auditLog(`key=${READER}&limit=500`);
    const oldest = entries.at(-1)!;
    const newest = entries[0]!;
    const day = oldest.at.slice(0, 10);
    const sameDay = await auditLog(`key=${READER}&limit=500&from=${day}&to=${newest.at.slice(0, 10)}`);
    assert.equal(sameDay.entries.length, entries.length);
    const exact = await auditLog(`key=${READER}&limit=500&from=${oldest.at}&to=${oldest.at}`);
    assert.deepEqual(
      exact.entries.map((e) => e.id),
      entries.filter((e) => e.at === oldest.at).map((e) => e.id),
    );
    assert.deepEqual((await auditLog(`key=${READER}&to=2000-01-01`)).entries, []);
    assert.deepEqual((await auditLog(`key=${READER}&from=2999-01-01T00:00:00Z`)).entries, []);
  });

  test('pages with before = next_before, without gaps or repeats', async () => {
    const all = (await auditLog(`key=${READER}&limit=500`)).entries.map((e) => e.id);
    const paged: number[] = [];
    let cursor: number | null = null;
    let pages = 0;
    do {
      const page = await auditLog(`key=${READER}&limit=3${cursor ? `&before=${cursor}` : ''}`);
      assert.equal(page.status, 200);
      assert.ok(page.entries.length <= 3);
      paged.push(...page.entries.map((e) => e.id));
      cursor = page.next;
      pages += 1;
    } while (cursor !== null && pages < 50);
    assert.deepEqual(paged, all);
    assert.ok(pages >= 3);
  });

  test('bad filters are a 400 naming the parameter, and write nothing', async () => {
    const cases: [string, string][] = [
      ['action=read_everything', 'action'],
      ['role=admin', 'role'],
      ['target_type=agent&target_id=1', 'target_type'],
      ['target_id=5', 'target_id'],
      ['target_type=call&target_id=0', 'target_id'],
      ['batch_id=abc', 'batch_id'],
      ['from=2026-13-01', 'from'],
      ['from=2026-02-30', 'from'],
      ['to=yesterday', 'to'],
      ['from=2026-12-01T10:00:00', 'from'],
      ['from=2026-12-02&to=2026-12-01', 'from'],
      ['limit=0', 'limit'],
      ['limit=10000', 'limit'],
      ['limit=ten', 'limit'],
      ['before=-1', 'before'],
      ['status=6xx', 'status'],
      ['key=not%20a%20name', 'key'],
    ];
    const rows = await trailOf(async () => {
      for (const [query, parameter] of cases) {
        const { status, body } = await send('GET', `/audit-log?${query}`, bearer(OPERATOR));
        assert.equal(status, 400, `${query}: ${JSON.stringify(body)}`);
        assert.equal(body.code, 'bad_request');
        assert.match(String(body.detail), new RegExp(`^query parameter ${parameter}: `), query);
      }
    });
    assert.deepEqual(rows, []);
  });
});

describe('what the trail holds', () => {
  test('no row written by this file holds a word of a transcript, an analysis or an answer', async () => {
    const rows = await rowsSince(firstId);
    assert.ok(rows.length >= 15, `rows: ${rows.length}`);
    const [said] = await api.db.select().from(transcript).where(eq(transcript.callId, seed.okCallId));
    const [analysed] = await api.db.select().from(analysis).where(eq(analysis.callId, seed.okCallId));
    const answers = await api.db
      .select()
      .from(auditAnswer)
      .where(inArray(auditAnswer.callId, [seed.okCallId]));
    const texts = [
      said?.text,
      ...((said?.segments ?? []) as { text: string }[]).map((s) => s.text),
      analysed?.summary,
      ...answers.map((a) => a.evidence),
    ].filter((t): t is string => !!t && t.length >= 8);
    assert.ok(texts.length >= 4, 'the seeded call has a transcript, an analysis and answers');
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        const cell = value instanceof Date ? value.toISOString() : String(value ?? '');
        for (const text of texts)
          assert.ok(!cell.includes(text), `accessLog ${row.id}.${column} holds ${JSON.stringify(text)}`);
        // Nor a key, or a signed link's signature.
        for (const secret of [READ, OPERATOR, UNNAMED, hashKey(READ), 'sig=', 'exp='])
          assert.ok(!cell.includes(secret), `accessLog ${row.id}.${column} holds a secret`);
      }
    }
  });
});
