// GET/PUT /processes/{id}/policy on the real MariaDB: defaults for a process without a policy, an operator's PUT
// replaces it and is on the access trail with the key's name and role; bad input (unknown entity types, days that
// are not positive whole numbers, unknown fields), a read key and an unknown process change nothing.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, eq, gt, inArray, max } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import { accessLog, process, processPolicy } from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const tag = randomUUID().slice(0, 8);
const READ = `policy-read-key-${tag}`;
const OPERATOR = `policy-operator-key-${tag}`;
const READER = `qa-reader-${tag}`;
const LEAD = `dpo-${tag}`;
/** Process ids of this file only (the test database is shared). */
const base = 700_000_000 + Math.floor(Math.random() * 100_000_000);
const PLAIN = base;
const SET = base + 1;
const MISSING = base + 2;

let api: ApiApp;
before(async () => {
  api = await openApiApp({
    API_KEYS: `read:${READER}:${hashKey(READ)},operator:${LEAD}:${hashKey(OPERATOR)}`,
  });
  await api.db.insert(process).values([
    { id: PLAIN, name: `policy test ${tag} plain` },
    { id: SET, name: `policy test ${tag} set` },
  ]);
});
after(async () => {
  await api?.db.delete(processPolicy).where(inArray(processPolicy.processId, [PLAIN, SET, MISSING]));
  await api?.db.delete(process).where(inArray(process.id, [PLAIN, SET]));
  await api?.stop();
});

type Json = Record<string, unknown>;
async function send(method: string, url: string, body?: unknown, key = OPERATOR) {
  const headers: Record<string, string> = { authorization: `Bearer ${key}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await api.app.request(url, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}
const rowOf = async (id: number) =>
  (await api.db.select().from(processPolicy).where(eq(processPolicy.processId, id)))[0];
async function lastTrailId(): Promise<number> {
  const [row] = await api.db.select({ id: max(accessLog.id) }).from(accessLog);
  return row?.id ?? 0;
}

const GOOD = {
  redaction: { entities: ['card', 'iban'], languages: ['en', 'es'], keepOriginal: false, audio: 'beep' },
  retention: { recordingDays: 30, transcriptDays: 90, analysisDays: 365, answerDays: null },
};

describe('reading a policy', () => {
  test('a process without one answers the defaults: everything redacted, nothing expires', async () => {
    const { status, body } = await send('GET', `/processes/${PLAIN}/policy`, undefined, READ);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.process_id, PLAIN);
    assert.equal(body.stored, false);
    assert.deepEqual(body.retention, {
      recordingDays: null,
      transcriptDays: null,
      analysisDays: null,
      answerDays: null,
    });
    const redaction = body.redaction as Json;
    assert.equal(redaction.keepOriginal, false);
    assert.ok((redaction.entities as string[]).includes('card'));
  });

  test('an unknown process is a 404, a malformed id a 422', async () => {
    const missing = await send('GET', `/processes/${MISSING}/policy`);
    assert.equal(missing.status, 404);
    assert.match(String(missing.body.detail), new RegExp(`no process with id ${MISSING}`));
    assert.equal((await send('GET', '/processes/x1/policy')).status, 422);
  });
});

describe('setting a policy', () => {
  let trailFrom = 0;
  before(async () => {
    trailFrom = await lastTrailId();
  });

  test("an operator's PUT replaces it; GET answers what was set, with the key that set it", async () => {
    const put = await send('PUT', `/processes/${SET}/policy`, GOOD);
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.retention, GOOD.retention);
    assert.deepEqual(put.body.redaction, GOOD.redaction);
    assert.equal(put.body.stored, true);
    assert.equal(put.body.updated_by, LEAD);
    const got = await send('GET', `/processes/${SET}/policy`, undefined, READ);
    assert.deepEqual(got.body, put.body);
    const row = await rowOf(SET);
    assert.equal(row?.recordingDays, 30);
    assert.equal(row?.answerDays, null);
  });

  test('a PUT replaces the whole policy: what it leaves out gets its default', async () => {
    const put = await send('PUT', `/processes/${SET}/policy`, { retention: { transcriptDays: 7 } });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(put.body.retention, {
      recordingDays: null,
      transcriptDays: 7,
      analysisDays: null,
      answerDays: null,
    });
    assert.equal((put.body.redaction as Json).audio, 'silence');
    // Back to the full policy for the refusals below.
    assert.equal((await send('PUT', `/processes/${SET}/policy`, GOOD)).status, 200);
  });

  test('every change is on the access trail with the key name and role, a refused one with its status', async () => {
    assert.equal((await send('PUT', `/processes/${SET}/policy`, GOOD, READ)).status, 403);
    const rows = await api.db
      .select()
      .from(accessLog)
      .where(and(gt(accessLog.id, trailFrom), eq(accessLog.action, 'policy_change')))
      .orderBy(accessLog.id);
    const mine = rows.filter((r) => r.targetId === SET);
    assert.deepEqual(
      mine.map((r) => [r.keyName, r.role, r.targetType, r.method, r.status]),
      [
        [LEAD, 'operator', 'process', 'PUT', 200],
        [LEAD, 'operator', 'process', 'PUT', 200],
        [LEAD, 'operator', 'process', 'PUT', 200],
        [READER, 'read', 'process', 'PUT', 403],
      ],
    );
  });
});

describe('bad input is a 422 naming the field, and changes nothing', () => {
  const cases: [string, unknown, RegExp][] = [
    ['an unknown entity type', { ...GOOD, redaction: { entities: ['card', 'ssn'] } }, /entities.*"ssn"/],
    ['an unknown language', { ...GOOD, redaction: { languages: ['fr'] } }, /languages.*"fr"/],
    ['an unknown redaction field', { ...GOOD, redaction: { colour: 'red' } }, /redaction.*colour/],
    ['negative days', { retention: { recordingDays: -5 } }, /retention\.recordingDays.*at least 1/],
    ['zero days', { retention: { transcriptDays: 0 } }, /retention\.transcriptDays.*at least 1/],
    ['fractional days', { retention: { analysisDays: 1.5 } }, /retention\.analysisDays.*whole number/],
    ['days as text', { retention: { answerDays: '30' } }, /retention\.answerDays/],
    ['an unknown retention field', { retention: { recordingDayz: 3 } }, /retention.*recordingDayz/],
    ['an unknown top-level field', { ...GOOD, keepForever: true }, /keepForever/],
    ['a body that is not an object', [1, 2], /body/],
  ];
  for (const [what, body, detail] of cases) {
    test(what, async () => {
      const before = await rowOf(SET);
      const trail = await lastTrailId();
      const res = await send('PUT', `/processes/${SET}/policy`, body);
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.match(String(res.body.detail), detail);
      assert.deepEqual(await rowOf(SET), before, 'the stored policy is unchanged');
      // The refused attempt is on the trail too.
      const [row] = await api.db
        .select()
        .from(accessLog)
        .where(and(gt(accessLog.id, trail), eq(accessLog.targetId, SET)));
      assert.equal(row?.status, 422);
    });
  }

  test('malformed JSON is refused and changes nothing', async () => {
    const before = await rowOf(SET);
    const res = await send('PUT', `/processes/${SET}/policy`, '{"retention": ');
    assert.ok(res.status >= 400 && res.status < 500, String(res.status));
    assert.ok(res.body.detail);
    assert.deepEqual(await rowOf(SET), before);
  });

  test('an unknown process is a 404 and no policy row appears for it', async () => {
    const res = await send('PUT', `/processes/${MISSING}/policy`, GOOD);
    assert.equal(res.status, 404);
    assert.equal(await rowOf(MISSING), undefined);
  });
});

describe('the data-protection page', () => {
  test('its shell needs no key; its policy table shows each process read-only', async () => {
    const shell = await api.app.request('/ui/data-protection');
    assert.equal(shell.status, 200);
    assert.match(await shell.text(), /data-src="\/ui\/f\/policies"/);
    const res = await api.app.request('/ui/f/policies', { headers: { authorization: `Bearer ${READ}` } });
    assert.equal(res.status, 200);
    const text = await res.text();
    const row = new RegExp(`<tr data-process="${SET}">[\\s\\S]*?</tr>`).exec(text)?.[0] ?? '';
    assert.match(row, /card, iban/);
    assert.match(row, /30 days[\s\S]*90 days[\s\S]*365 days[\s\S]*until erased/);
    assert.match(text, new RegExp(`<tr data-process="${PLAIN}">[\\s\\S]*?until erased`));
  });

  test('the retention runs need an operator key, as GET /retention/runs does', async () => {
    for (const url of ['/ui/f/retention-runs', '/retention/runs']) {
      const read = await api.app.request(url, { headers: { authorization: `Bearer ${READ}` } });
      assert.equal(read.status, 403, url);
      const op = await api.app.request(url, { headers: { authorization: `Bearer ${OPERATOR}` } });
      assert.equal(op.status, 200, url);
    }
  });
});
