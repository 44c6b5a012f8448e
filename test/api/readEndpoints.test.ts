// The read endpoints through app.request() on the real database: batches, events, failures, calls, a call
// with every result, its audio with ranges, reference data, and ids that are refused before any query.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

let api: ApiApp;
let seed: SeededBatch;
before(async () => {
  api = await openApiApp();
  seed = await seedFinishedBatch(api.db, api.audio);
});
after(async () => {
  await seed?.cleanup();
  await api?.stop();
});

type Json = Record<string, unknown> & { detail?: string };
async function get(url: string, headers: Record<string, string> = {}) {
  const res = await api.app.request(url, { headers });
  const type = res.headers.get('content-type') ?? '';
  return { res, status: res.status, body: (type.includes('json') ? await res.json() : null) as Json };
}

describe('GET /batches', () => {
  test('newest first, with per-stage status and counts', async () => {
    const { status, body } = await get('/batches?limit=200');
    assert.equal(status, 200, JSON.stringify(body));
    const batches = body.batches as Json[];
    const ids = batches.map((b) => Number(b.batch_id));
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'ids descending',
    );
    const mine = batches.find((b) => b.batch_id === seed.batchId)!;
    assert.equal(mine.task_id, `audit-${seed.batchId}`);
    assert.equal(mine.status, 'CompletedWithErrors');
    assert.deepEqual(mine.stages, ['distribute', 'lid', 'stt', 'llm1', 'llm2']);
    assert.deepEqual((mine.stage_status as Json).stt, 'CompleteWithErrors');
    assert.deepEqual((mine.progress as Json).stt, {
      total: 2,
      done: 1,
      failed: 1,
      skipped: 0,
      cancelled: 0,
      no_speech: 0,
    });
    assert.match(String(mine.temporal_url), /\/namespaces\/cofi-test\/workflows\//);
  });

  test('filters by kind and status; pages with before', async () => {
    const { body } = await get('/batches?kind=audit&status=CompletedWithErrors&limit=1');
    const [first] = body.batches as Json[];
    assert.equal(first?.kind, 'audit');
    assert.equal(first?.status, 'CompletedWithErrors');
    const older = await get(`/batches?before=${seed.batchId}&limit=200`);
    assert.ok((older.body.batches as Json[]).every((b) => Number(b.batch_id) < seed.batchId));
    const none = await get('/batches?kind=reaudit&status=Pending&before=1');
    assert.deepEqual(none.body, { batches: [], next_before: null });
  });

  for (const [query, field] of [
    ['limit=0', 'limit'],
    ['limit=abc', 'limit'],
    ['kind=weekly', 'kind'],
    ['status=Done', 'status'],
    ['before=-3', 'cursor'],
  ] as const) {
    test(`bad query ${query}: 422 naming ${field}`, async () => {
      const { status, body } = await get(`/batches?${query}`);
      assert.equal(status, 422);
      assert.equal(body.code, 'validation_error');
      assert.match(String(body.detail), new RegExp(field));
    });
  }
});

describe('GET /batches/{id} and its parts', () => {
  test('the batch, with stage timings from the event log', async () => {
    const { status, body } = await get(`/batches/${seed.batchId}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.batch_id, seed.batchId);
    assert.equal(body.source, 'ledger');
    const stt = (body.stage_timings as Record<string, Json>).stt!;
    assert.equal(stt.seconds, 3.5);
    assert.equal((body.stage_timings as Record<string, Json>).lid?.seconds, null);
  });

  test('events oldest first, paged with after', async () => {
    const { body } = await get(`/batches/${seed.batchId}/events`);
    const events = body.events as Json[];
    assert.deepEqual(
      events.map((e) => e.event_type),
      ['batch_start', 'stage_start', 'file_failed', 'stage_complete'],
    );
    const page = await get(`/batches/${seed.batchId}/events?limit=2`);
    assert.equal((page.body.events as Json[]).length, 2);
    const rest = await get(`/batches/${seed.batchId}/events?after=${page.body.next_after}`);
    assert.deepEqual(
      (rest.body.events as Json[]).map((e) => e.event_type),
      ['file_failed', 'stage_complete'],
    );
  });

  test('failures with the request URL and the payload as JSON', async () => {
    const { body } = await get(`/batches/${seed.batchId}/failures`);
    const [failure] = body.failures as Json[];
    assert.equal(failure?.call_id, seed.failedCallId);
    assert.equal(failure?.stage, 'stt');
    assert.equal(failure?.request_url, 'http://127.0.0.1:1/v1/audio/transcriptions');
    assert.deepEqual((failure?.input_payload as Json | undefined)?.model, 'whisper-1');
  });

  test('calls with status, language, score, failed stage and category', async () => {
    const { body } = await get(`/batches/${seed.batchId}/calls`);
    const calls = body.calls as Json[];
    assert.equal(calls.length, 2);
    const ok = calls.find((c) => c.call_id === seed.okCallId)!;
    assert.deepEqual(
      [ok.status, ok.lang, ok.score, ok.category, ok.failed_stage],
      ['Completed', 'en', 87.5, 'billing', null],
    );
    const bad = calls.find((c) => c.call_id === seed.failedCallId)!;
    assert.deepEqual([bad.status, bad.failed_stage, bad.score], ['Failed', 'stt', null]);
  });

  for (const suffix of ['', '/events', '/failures', '/calls']) {
    test(`/batches/{id}${suffix}: unknown 404, non-numeric and out of range 422`, async () => {
      const unknown = await get(`/batches/2147483000${suffix}`);
      assert.equal(unknown.status, 404);
      assert.match(String(unknown.body.detail), /no batch with id 2147483000/);
      for (const bad of ['abc', '0', '1.5', '99999999999', "1'%20OR%20'1'='1"]) {
        const res = await get(`/batches/${bad}${suffix}`);
        assert.equal(res.status, 422, `${bad}: ${JSON.stringify(res.body)}`);
        assert.match(String(res.body.detail), /path parameter id/);
        assert.equal(res.body.code, 'validation_error');
      }
    });
  }
});

describe('GET /calls/{id}', () => {
  test('the call with language, transcript segments, analysis, answers joined with questions, score', async () => {
    const { status, body } = await get(`/calls/${seed.okCallId}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal((body.call as Json).audio_name, 'good <b>call</b>.wav');
    assert.deepEqual(body.batch, { batch_id: seed.batchId, task_id: `audit-${seed.batchId}`, kind: 'audit' });
    assert.equal((body.lid as Json).confidence, 0.93);
    assert.equal(((body.transcript as Json).segments as Json[]).length, 2);
    assert.equal((body.analysis as Json).category, 'billing');
    const answers = body.answers as Json[];
    assert.deepEqual(
      answers.map((a) => [a.code, a.answer, a.score, a.max_score]),
      [
        ['greeting', 'yes', 8, 8],
        ['identity_verification', 'no', 0, 15],
      ],
    );
    assert.match(String(answers[0]?.question), /\w/);
    assert.equal(body.score, 87.5);
    assert.equal(body.audio_url, `/calls/${seed.okCallId}/audio`);
  });

  test('a failed call has nulls where stages did not run', async () => {
    const { body } = await get(`/calls/${seed.failedCallId}`);
    assert.equal(body.transcript, null);
    assert.equal(body.analysis, null);
    assert.deepEqual(body.answers, []);
    assert.equal((body.call as Json).failed_stage, 'stt');
  });

  test('unknown 404, bad id 422', async () => {
    assert.equal((await get('/calls/2147483000')).status, 404);
    assert.equal((await get('/calls/x1')).status, 422);
  });
});

describe('GET /calls/{id}/audio', () => {
  const url = () => `/calls/${seed.okCallId}/audio`;

  test('the whole file with its content type', async () => {
    const { res, status } = await get(url());
    assert.equal(status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    const bytes = new Uint8Array(await res.arrayBuffer());
    assert.equal(bytes.byteLength, seed.wavBytes);
    assert.equal(new TextDecoder().decode(bytes.subarray(0, 4)), 'RIFF');
  });

  test('a range: 206 with Content-Range and only those bytes', async () => {
    for (const [range, start, end] of [
      ['bytes=0-3', 0, 3],
      ['bytes=8-', 8, seed.wavBytes - 1],
      ['bytes=-10', seed.wavBytes - 10, seed.wavBytes - 1],
    ] as const) {
      const { res, status } = await get(url(), { range });
      assert.equal(status, 206, range);
      assert.equal(res.headers.get('content-range'), `bytes ${start}-${end}/${seed.wavBytes}`);
      assert.equal((await res.arrayBuffer()).byteLength, end - start + 1);
    }
  });

  test('a range past the end: 416 with {detail}', async () => {
    const { res, status, body } = await get(url(), { range: `bytes=${seed.wavBytes + 5}-` });
    assert.equal(status, 416);
    assert.equal(res.headers.get('content-range'), `bytes */${seed.wavBytes}`);
    assert.match(String(body.detail), /outside the recording/);
  });

  test('a call whose file is gone: 404 with {detail}', async () => {
    const { status, body } = await get(`/calls/${seed.failedCallId}/audio`);
    assert.equal(status, 404);
    assert.match(String(body.detail), /no longer in the audio store/);
  });
});

describe('reference data', () => {
  test('GET /processes and GET /category-mappings', async () => {
    const processes = (await get('/processes')).body.processes as Json[];
    assert.deepEqual(
      processes.find((p) => p.id === 1),
      {
        id: 1,
        name: 'Inbound customer service',
        description: processes[0]?.description,
        active: true,
        question_count: 9,
      },
    );
    const mappings = (await get('/category-mappings')).body.category_mappings as Json[];
    assert.equal(mappings.find((m) => m.id === 1)?.name, 'Contact-centre call reasons');
    assert.ok(Number(mappings[0]?.category_count) > 0);
  });
});
