// Issue 8, reads and keys: hostile path and query parameters on every GET that takes input, then requests
// without or with a wrong API key (and read keys on writes) to every endpoint. The API here requires keys.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { hashKey } from '../../api/auth.js';
import { makeWav } from '../support/audio.js';
import {
  answerOf,
  assertNothingLeft,
  assertRefused,
  multipart,
  multipartType,
  type Residue,
  residue,
  type Watch,
} from '../support/hostile.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';
import { type Stack, startStack } from '../support/stack.js';

const READ = 'hostile-read-key-0001';
const OPERATOR = 'hostile-operator-key-0001';

let stack: Stack;
let seed: SeededBatch;
let baseline: Residue;
let watch: Watch;
before(async () => {
  stack = await startStack({
    simulator: { timeScale: 0 },
    env: { API_KEYS: `read:${hashKey(READ)},operator:${hashKey(OPERATOR)}` },
  });
  seed = await seedFinishedBatch(stack.db, stack.audio);
  watch = { stack, batchIds: [seed.batchId], callIds: [seed.okCallId, seed.failedCallId] };
  baseline = await residue(watch);
});
after(async () => {
  await seed?.cleanup();
  await stack?.stop();
});

const as = (key: string | null, init: RequestInit = {}): RequestInit => ({
  ...init,
  headers: {
    ...(init.headers as Record<string, string>),
    ...(key ? { authorization: `Bearer ${key}` } : {}),
  },
});
const get = async (url: string, headers: Record<string, string> = {}) =>
  answerOf(await stack.app.request(url, as(READ, { headers })));

/** [what, path segment] for ids: each is refused before a query (422) or finds nothing (404). */
const HOSTILE_IDS: [string, string, number][] = [
  ['zero', '0', 422],
  ['negative zero', '-0', 422],
  ['negative', '-1', 422],
  ['an octal literal', '0o17', 422],
  ['2^31', '2147483648', 422],
  ['2^32', '4294967296', 422],
  ['past 2^64', '99999999999999999999', 422],
  ['eleven digits', '00000000001', 422],
  ['a fraction', '1.5', 422],
  ['an exponent', '1e3', 422],
  ['hexadecimal', '0x10', 422],
  ['an underscore separator', '1_000', 422],
  ['a leading space', '%201', 422],
  ['a trailing space', '1%20', 422],
  ['a plus sign', '%2B1', 422],
  ['a full-width digit', '%EF%BC%91', 422],
  ['an Arabic-Indic digit', '%D9%A3', 422],
  ['letters', 'abc', 422],
  ['NaN', 'NaN', 422],
  ['Infinity', 'Infinity', 422],
  ['null', 'null', 422],
  ['SQL', encodeURIComponent("1' OR '1'='1"), 422],
  ['a stacked statement', encodeURIComponent('1; DROP TABLE `call`'), 422],
  ['an encoded NUL after digits', '1%00', 422],
  ['an encoded traversal', '..%2F..%2Fetc%2Fpasswd', 422],
  ['an invalid percent-encoding', '%FF', 422],
  ['a list', '1,2', 422],
  ['a JSON array', encodeURIComponent('[1]'), 422],
  ['a JSON object', encodeURIComponent('{"id":1}'), 422],
  ['a line break', '1%0D%0A', 422],
  ['5000 digits', '9'.repeat(5000), 422],
  ['the largest id, absent', '2147483647', 404],
];

/** The dashboard's page shells hold no data: they check an id's form, and their fragments its existence. */
const SHELLS = ['/ui/batches/{id}', '/ui/calls/{id}'];
const ID_ENDPOINTS = [
  '/batches/{id}',
  '/batches/{id}/events',
  '/batches/{id}/failures',
  '/batches/{id}/calls',
  '/calls/{id}',
  '/calls/{id}/audio',
  ...SHELLS,
  '/ui/f/batches/{id}/summary',
  '/ui/f/batches/{id}/calls',
  '/ui/f/batches/{id}/events',
  '/ui/f/batches/{id}/failures',
  '/ui/f/calls/{id}',
  '/ui/f/calls/{id}/player',
];

for (const endpoint of ID_ENDPOINTS) {
  describe(`GET ${endpoint}: hostile ids`, () => {
    const cases = HOSTILE_IDS.filter(([, , status]) => status !== 404 || !SHELLS.includes(endpoint));
    for (const [what, id, status] of cases) {
      test(`${what}: ${status}`, async () => {
        assertRefused(what, await get(endpoint.replace('{id}', id)), status);
      });
    }
    test('nothing left behind', () => assertNothingLeft(watch, baseline, endpoint));
  });
}

/** Task ids are looked up, never parsed: every hostile one finds nothing. */
const HOSTILE_TASK_IDS: [string, string][] = [
  ['a number only', '1'],
  ['zero', 'audit-0'],
  ['negative', 'audit--1'],
  ['past 2^64', 'audit-99999999999999999999'],
  ['an exponent', 'audit-1e3'],
  ['SQL', encodeURIComponent("audit-1' OR '1'='1")],
  ['a stacked statement', encodeURIComponent('x; DELETE FROM batchStatus; --')],
  ['a LIKE wildcard', '%25'],
  ['a LIKE wildcard after a prefix', 'audit-%25'],
  ['an underscore wildcard', 'audit-_'],
  ['an encoded NUL', 'audit-1%00'],
  ['a lone encoded NUL', '%00'],
  ['an encoded traversal', '..%2F..%2Fetc%2Fpasswd'],
  ['an encoded backslash traversal', '..%5C..%5Cwin.ini'],
  ['an invalid percent-encoding', '%FF%FE'],
  ['an encoded lone surrogate', '%ED%A0%80'],
  ['an emoji', '%F0%9F%92%A5'],
  ['a right-to-left override', '%E2%80%AEtidua'],
  ['a zero-width space', 'audit-%E2%80%8B1'],
  ['a 5000-character id', 't'.repeat(5000)],
  ['an encoded header injection', 'x%0D%0ASet-Cookie:%20a=1'],
  ['markup', encodeURIComponent('<img src=x onerror=alert(1)>')],
  ['a JSON object', encodeURIComponent('{"$ne":null}')],
  ['a template expression', encodeURIComponent(`\${7*7}`)],
  ['a space', '%20'],
  ['a tab', '%09'],
  ['a workflow id', encodeURIComponent('cofi/audit-upload')],
  ['a shell substitution', encodeURIComponent('$(reboot)')],
  ['a Windows device name', 'CON'],
  ['a dot', '.'],
];

const TASK_ENDPOINTS: [string, string][] = [
  ['/audit/status/{id}', 'audit'],
  ['/reaudit/status/{id}', 'reaudit'],
  ['/daily/status/{id}', 'daily'],
];

for (const [endpoint, kind] of TASK_ENDPOINTS) {
  describe(`GET ${endpoint}: unknown and hostile task ids`, () => {
    const wrongKind = kind === 'audit' ? 'reaudit' : 'audit';
    const cases: [string, () => string][] = [
      ...HOSTILE_TASK_IDS.map(([what, id]): [string, () => string] => [what, () => id]),
      [
        `another kind's task id (${wrongKind})`,
        () => `${kind === 'audit' ? 'daily-2024-01-01' : `audit-${seed.batchId}`}`,
      ],
      ['an unknown, well-formed task id', () => `${kind}-2147483647`],
    ];
    for (const [what, id] of cases) {
      test(`${what}: 404`, async () => {
        const answer = await get(endpoint.replace('{id}', id()));
        assertRefused(what, answer, 404);
        // The detail names the id, cut short: a 5,000-character id is not echoed whole.
        assert.ok(String(answer.body.detail).length < 300, String(answer.body.detail).slice(0, 300));
      });
    }
    test('nothing left behind', () => assertNothingLeft(watch, baseline, endpoint));
  });
}

const LIST_QUERIES: string[] = [
  'kind=evil',
  'kind=',
  'kind=AUDIT',
  'kind=audit&kind=daily',
  'kind=audit%00',
  'status=Running',
  'status=completed',
  'status=%FF',
  "status=Completed' OR '1'='1",
  'limit=0',
  'limit=-1',
  'limit=201',
  'limit=1e9',
  'limit=1.5',
  'limit=abc',
  'limit=',
  'limit=NaN',
  'limit=Infinity',
  'limit=99999999999999999999',
  'limit=1&limit=2',
  'limit=%20',
  'before=0',
  'before=-5',
  'before=2147483648',
  'before=abc',
  'before=1.5',
  'before=1e3',
  'before=',
  'before=%00',
  "before=1' OR 1=1",
  'before=00000000001',
];

describe('GET /batches: hostile query parameters', () => {
  for (const query of LIST_QUERIES) {
    test(`?${query}: 422`, async () => {
      assertRefused(query, await get(`/batches?${query}`), 422);
    });
  }
  test('nothing left behind', () => assertNothingLeft(watch, baseline, '/batches'));
});

const PAGE_QUERIES = (max: number) => [
  'after=0',
  'after=-1',
  'after=abc',
  'after=2147483648',
  'after=1.5',
  'limit=0',
  `limit=${max + 1}`,
  'limit=-5',
  'limit=1e9',
  'limit=x',
];

for (const [page, max] of [
  ['events', 2000],
  ['failures', 1000],
  ['calls', 5000],
] as const) {
  describe(`GET /batches/{id}/${page}: hostile paging`, () => {
    for (const query of PAGE_QUERIES(max)) {
      test(`?${query}: 422`, async () => {
        assertRefused(query, await get(`/batches/${seed.batchId}/${page}?${query}`), 422);
      });
    }
  });
}

describe('GET /calls/{id}/audio: hostile ranges and links', () => {
  const audio = () => `/calls/${seed.okCallId}/audio`;
  for (const range of [
    'bytes=999999999-',
    'bytes=99999999999999999999-',
    'bytes=-0',
    `bytes=${1e6}-${2e6}`,
  ]) {
    test(`Range ${range}: 416`, async () => {
      assertRefused(range, await get(audio(), { range }), 416);
    });
  }
  test('a call whose recording is not in the store: 404', async () => {
    assertRefused('missing file', await get(`/calls/${seed.failedCallId}/audio`), 404);
  });
  for (const [what, query] of [
    ['a forged signature', 'exp=9999999999&sig=AAAA'],
    ['an expired link', 'exp=1000&sig=AAAA'],
    ['a non-numeric expiry', 'exp=tomorrow&sig=AAAA'],
    ['a signature without expiry', 'sig=AAAA'],
  ]) {
    test(`${what}, no key: 401`, async () => {
      assertRefused(what!, await answerOf(await stack.app.request(`${audio()}?${query}`)), 401);
    });
  }
});

/** Every endpoint that takes input, with a request that would be valid but for the key. */
const ENDPOINTS: [string, string, () => RequestInit][] = [
  ['GET', '/batches?limit=1', () => ({})],
  ['GET', '/batches/1', () => ({})],
  ['GET', '/batches/1/events', () => ({})],
  ['GET', '/batches/1/failures', () => ({})],
  ['GET', '/batches/1/calls', () => ({})],
  ['GET', '/calls/1', () => ({})],
  ['GET', '/calls/1/audio', () => ({})],
  ['GET', '/audit/status/audit-1', () => ({})],
  ['GET', '/reaudit/status/reaudit-1', () => ({})],
  ['GET', '/daily/status/daily-2024-01-01', () => ({})],
  ['GET', '/processes', () => ({})],
  ['GET', '/category-mappings', () => ({})],
  ['GET', '/metrics', () => ({})],
  ['GET', '/ui/f/batches', () => ({})],
  [
    'POST',
    '/audit/upload',
    () => ({
      headers: { 'content-type': multipartType() },
      body: multipart([
        { field: 'files', filename: 'a.wav', body: makeWav(1, 1) },
        { field: 'process_id', body: '1' },
      ]),
    }),
  ],
  [
    'POST',
    '/reaudit',
    () => ({
      headers: { 'content-type': 'application/json' },
      body: '{"audio_names": ["a.wav"], "stages": ["llm2"]}',
    }),
  ],
  ['POST', '/reaudit/reaudit-1/cancel', () => ({})],
  ['POST', '/batches', () => ({ headers: { 'content-type': 'application/json' }, body: '{}' })],
];

const WRONG_AUTH: [string, string | null, RegExp][] = [
  ['no Authorization header', null, /API key is required/],
  ['an empty Authorization header', '', /API key is required/],
  ['"Bearer" without a key', 'Bearer', /API key is required/],
  ['an unknown key', 'Bearer not-a-key', /not valid/],
  ['the read key with a character more', `Bearer ${READ}x`, /not valid/],
  ['the operator key in capitals', `Bearer ${OPERATOR.toUpperCase()}`, /not valid/],
  ["the key's hash instead of the key", `Bearer ${hashKey(OPERATOR)}`, /not valid/],
  ['the key as Basic credentials', `Basic ${btoa(`x:${OPERATOR}`)}`, /API key is required/],
  ['another scheme', `Token ${OPERATOR}`, /API key is required/],
  ['two keys', `Bearer ${OPERATOR} ${READ}`, /API key is required/],
  ['a 10,000-character key', `Bearer ${'k'.repeat(10_000)}`, /not valid/],
  ['a Latin-1 key', 'Bearer cl\u00e9', /not valid/],
];

for (const [method, url, init] of ENDPOINTS) {
  describe(`${method} ${url.split('?')[0]}: without a key or with a wrong one`, () => {
    for (const [what, header, detail] of WRONG_AUTH) {
      test(`${what}: 401`, async () => {
        const headers = { ...(init().headers as Record<string, string>) };
        if (header !== null) headers.authorization = header;
        const answer = await answerOf(await stack.app.request(url, { ...init(), method, headers }));
        assertRefused(what, answer, 401);
        assert.match(String(answer.body.detail), detail);
      });
    }
    test('the key in the query string instead of the header: 401', async () => {
      const sep = url.includes('?') ? '&' : '?';
      const answer = await answerOf(
        await stack.app.request(`${url}${sep}api_key=${OPERATOR}&token=${OPERATOR}`, { ...init(), method }),
      );
      assertRefused('key in the query', answer, 401);
    });
    if (method === 'POST') {
      test('a read key: 403', async () => {
        const answer = await answerOf(await stack.app.request(url, as(READ, { ...init(), method })));
        assertRefused('read key on a write', answer, 403);
        assert.match(String(answer.body.detail), /"read" key may not POST/);
      });
    }
    test('nothing left behind', () => assertNothingLeft(watch, baseline, `${method} ${url}`));
  });
}

describe('afterwards', () => {
  test('the app still answers, and no workflow was started', async () => {
    const res = await stack.app.request('/health');
    assert.equal(res.status, 200);
    assert.equal((await residue(watch)).workflows, 0);
    await assertNothingLeft(watch, baseline, 'the whole file');
  });
});
