// GET /calls/export.csv on the real database: the CSV parses back (quotes, commas and line breaks in fields), has
// the search's rows in the search's order, answers come one line each, a would-be formula is defused, bad
// filters are 422s before anything is streamed, an export of thousands of calls arrives in several chunks over
// HTTP (chunked, no Content-Length), and the export is on the access trail.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { searchFilters } from '../../api/queries/search.js';
import { EXPORT_PAGE, exportStream } from '../../api/routes/search.js';
import { accessLog, batchStatus, call } from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { serveApp } from '../support/browser.js';
import { parseCsv, type SearchSeed, seedSearch } from './searchSeed.js';

const asObjects = (records: string[][]) => {
  const [header, ...rows] = records;
  assert.ok(header);
  return rows.map((r) => {
    assert.equal(r.length, header.length, `a row of ${r.length} fields under ${header.length} columns`);
    return Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']));
  });
};

let api: ApiApp;
let seed: SearchSeed;
before(async () => {
  api = await openApiApp();
  seed = await seedSearch(api);
});
after(async () => {
  await seed?.cleanup();
  await api?.stop();
});

async function exportCsv(query: string) {
  const res = await api.app.request(`/calls/export.csv?batch_id=${seed.batchId}&${query}`);
  return { res, text: await res.text() };
}

type Found = Record<string, string | number | boolean | null>;
async function searchAll(query: string): Promise<Found[]> {
  const out: Found[] = [];
  let cursor: string | null = null;
  do {
    const res = await api.app.request(
      `/calls/search?batch_id=${seed.batchId}&limit=7&${query}${cursor ? `&cursor=${cursor}` : ''}`,
    );
    const body = (await res.json()) as { calls: Found[]; next_cursor: string | null };
    out.push(...body.calls);
    cursor = body.next_cursor;
  } while (cursor);
  return out;
}

describe('GET /calls/export.csv', () => {
  test('a CSV with a header, named as a download, that parses back to the search, field by field', async () => {
    for (const sort of ['-created_at', 'score', 'started_at']) {
      const { res, text } = await exportCsv(`sort=${sort}`);
      assert.equal(res.status, 200, text);
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.match(
        res.headers.get('content-disposition') ?? '',
        /^attachment; filename="cofi-calls-\d{4}-\d{2}-\d{2}\.csv"$/,
      );
      const rows = asObjects(parseCsv(text));
      const found = await searchAll(`sort=${sort}`);
      assert.equal(rows.length, 33);
      assert.deepEqual(
        rows.map((r) => Number(r.call_id)),
        found.map((c) => c.call_id),
        `same calls in the same order (${sort})`,
      );
      for (const [i, c] of found.entries()) {
        const row = rows[i] ?? {};
        for (const [k, v] of Object.entries(c)) {
          const expected =
            v === null ? '' : typeof v === 'string' && /^[=+\-@]/.test(v) ? `'${v}` : String(v);
          assert.equal(row[k], expected, `call ${c.call_id} ${k}`);
        }
      }
    }
  });

  test('quotes, commas and line breaks survive; a formula is defused with an apostrophe', async () => {
    const { text } = await exportCsv('team=team-1&sort=id');
    const rows = asObjects(parseCsv(text));
    assert.deepEqual(
      rows.map((r) => r.audio_name),
      ['refund, "quoted"\nname.wav', "'=kuendigung.wav"],
    );
    assert.match(text, /"refund, ""quoted""\nname\.wav"/);
    assert.deepEqual(
      rows.map((r) => [r.score, r.category, r.reviewed, r.direction]),
      [
        ['90', 'billing', 'true', 'inbound'],
        ['40', 'complaint', 'false', 'outbound'],
      ],
    );
  });

  test('rows=answers: one line per answer with its call, in question order', async () => {
    const { res, text } = await exportCsv('rows=answers&team=team-1&sort=id');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-disposition') ?? '', /filename="cofi-answers-/);
    const records = parseCsv(text);
    assert.deepEqual(records[0], [
      'call_id',
      'batch_id',
      'audio_name',
      'process_id',
      'agent_id',
      'team',
      'call_started_at',
      'call_score',
      'question_id',
      'question_code',
      'question_position',
      'answer',
      'points',
      'max_points',
    ]);
    const rows = asObjects(records);
    assert.deepEqual(
      rows.map((r) => [Number(r.call_id), r.question_id, r.answer, r.points, r.max_points, r.call_score]),
      [
        [seed.ids.refund, '101', 'yes', '8', '8', '90'],
        [seed.ids.refund, '102', 'no', '0', '15', '90'],
      ],
      'the kuendigung call has no answers, so no line',
    );
    assert.ok(rows.every((r) => r.question_code && r.question_position));
  });

  test('words filter the export as they filter the search', async () => {
    const rows = asObjects(parseCsv((await exportCsv('q=refund')).text));
    assert.deepEqual(
      rows.map((r) => Number(r.call_id)),
      [seed.ids.refund],
    );
    const none = parseCsv((await exportCsv('q=refund&language=de')).text);
    assert.equal(none.length, 1, 'only the header');
  });

  test('bad filters are a 422 naming the parameter, before anything is streamed', async () => {
    for (const [query, detail] of [
      ['rows=questions', /^query parameter rows: rows must be calls or answers/],
      ['score_min=-1', /^query parameter score_min: /],
      ['sort=name', /^query parameter sort: /],
      ['to=2026-01-01&from=2026-02-01', /^query parameter from: from is greater than to/],
    ] as const) {
      const { res, text } = await exportCsv(query);
      assert.equal(res.status, 422, text);
      assert.match((JSON.parse(text) as { detail: string }).detail, detail);
    }
  });

  test('the export is on the access trail', async () => {
    const requestId = `export-${randomUUID()}`;
    const res = await api.app.request(`/calls/export.csv?batch_id=${seed.batchId}`, {
      headers: { 'x-request-id': requestId },
    });
    await res.text();
    const rows = await api.db
      .select()
      .from(accessLog)
      .where(and(eq(accessLog.requestId, requestId), eq(accessLog.path, '/calls/export.csv')));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.status, 200);
  });
});

describe('GET /calls/export.csv: thousands of calls, streamed', () => {
  const N = 2600;
  let batchId: number;
  before(async () => {
    const tag = randomUUID().slice(0, 8);
    const [b] = await api.db.insert(batchStatus).values({
      batchDate: '2026-03-05',
      kind: 'audit',
      status: 'Completed',
      taskId: `export-${tag}`,
      workflowId: `test/export-${tag}`,
      processId: 1,
      stages: ['distribute'],
    });
    batchId = b.insertId;
    const rows = Array.from({ length: N }, (_, i) => ({
      batchId,
      audioName: `many-${i}.wav`,
      storedPath: `x/${i}.wav`,
      processId: 1,
      status: 'Completed' as const,
      auditScore: i % 101,
    }));
    for (let i = 0; i < N; i += 1000) await api.db.insert(call).values(rows.slice(i, i + 1000));
  });
  after(async () => {
    await api.db.delete(call).where(eq(call.batchId, batchId));
    await api.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
  });

  test('over HTTP: chunked, no Content-Length, several chunks, every call once', async () => {
    const server = await serveApp(api.app);
    try {
      const res = await fetch(`${server.url}/calls/export.csv?batch_id=${batchId}&sort=score`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('transfer-encoding'), 'chunked');
      assert.equal(res.headers.get('content-length'), null);
      const reader = res.body?.getReader();
      assert.ok(reader);
      const decoder = new TextDecoder();
      let text = '';
      let chunks = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        chunks++;
        text += decoder.decode(value, { stream: true });
      }
      // The header, then one piece per page of 1000 calls at least (the socket may split them further).
      assert.ok(chunks >= 4, `${chunks} chunks`);
      const rows = asObjects(parseCsv(text));
      assert.equal(rows.length, N);
      assert.equal(new Set(rows.map((r) => r.call_id)).size, N);
      const scores = rows.map((r) => Number(r.score));
      assert.deepEqual(
        scores,
        [...scores].sort((a, b) => a - b),
      );
    } finally {
      await server.close();
    }
  });

  test('a client that stops reading early ends the export between pages, without an error', async () => {
    const errors: unknown[] = [];
    const filters = searchFilters.parse({ batch_id: String(batchId), sort: 'id' });
    const stream = exportStream(api.db, filters, 'calls', (err) => errors.push(err));
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    assert.match(decoder.decode((await reader.read()).value), /^call_id,batch_id,/);
    const firstPage = parseCsv(decoder.decode((await reader.read()).value));
    assert.equal(firstPage.length, EXPORT_PAGE, 'one page of calls per chunk');
    // The stream is already reading the next page for its queue: cancel waits for it, then stops.
    await reader.cancel();
    assert.deepEqual(errors, []);
  });
});
