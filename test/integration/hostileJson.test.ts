// Issue 8, JSON writes: hostile POST /reaudit, POST /reaudit/{task_id}/cancel and POST /batches requests.
// Each is refused with a 4xx and a `detail`, and leaves no row, file or workflow behind.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import type { BatchStatus } from '../../core/stages.js';
import { batchStatus, call } from '../../drizzle/schema/index.js';
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
import { nameTag } from '../support/names.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let seed: SeededBatch;
let dailyDir: string;
let baseline: Residue;
let watch: Watch;
const tag = nameTag();
const absent = `hostile-${tag}-absent.wav`;
const busy = `hostile-${tag}-busy.wav`;
/** Reaudit rows by status, written directly: finished ones, and one "running" whose workflow does not exist. */
const reaudits: Partial<Record<BatchStatus, string>> = {};

before(async () => {
  // DAILY_DIR holds one day's (empty) folder and a file, so only the hostile part of a request is wrong.
  dailyDir = await mkdtemp(path.join(tmpdir(), 'cofi-daily-'));
  await mkdir(path.join(dailyDir, '2024-01-01'));
  await writeFile(path.join(dailyDir, 'readme.txt'), 'not a folder');
  stack = await startStack({ simulator: { timeScale: 0 }, env: { DAILY_DIR: dailyDir } });
  seed = await seedFinishedBatch(stack.db, stack.audio, [`hostile-${tag}-done.wav`, busy]);
  await stack.db.update(call).set({ status: 'InProgress' }).where(eq(call.id, seed.failedCallId));
  for (const status of ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled', 'InProgress'] as const) {
    const [row] = await stack.db.insert(batchStatus).values({
      batchDate: '2024-01-01',
      kind: 'reaudit',
      status,
      taskId: `hostile-${tag}-${status}`,
      workflowId: `hostile-${tag}/no-such-workflow`,
      stages: ['llm2'],
    });
    await stack.db
      .update(batchStatus)
      .set({ taskId: `reaudit-${row.insertId}` })
      .where(eq(batchStatus.id, row.insertId));
    reaudits[status] = `reaudit-${row.insertId}`;
  }
  watch = {
    stack,
    batchIds: [seed.batchId, ...Object.values(reaudits).map((t) => Number(t.slice('reaudit-'.length)))],
    callIds: [seed.okCallId, seed.failedCallId],
  };
  baseline = await residue(watch);
});
after(async () => {
  const ids = Object.values(reaudits).map((t) => Number(t.slice('reaudit-'.length)));
  if (stack && ids.length) await stack.db.delete(batchStatus).where(inArray(batchStatus.id, ids));
  await seed?.cleanup();
  await stack?.stop();
  if (dailyDir) await rm(dailyDir, { recursive: true, force: true });
});

const post = (body: string | Uint8Array, type: string | null = 'application/json'): RequestInit => ({
  method: 'POST',
  headers: type ? { 'content-type': type } : {},
  body,
});
const json = (value: unknown) => post(JSON.stringify(value));
const deepArray = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
const deepObject = (n: number) => `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`;
const names = (...audio_names: unknown[]) => json({ audio_names, stages: ['llm2'] });
const stages = (...s: unknown[]) => json({ audio_names: [absent], stages: s });

/** [name, request, expected status(es), detail, url]; the url is the endpoint's unless given (lazily: some name seeded rows). */
type Case = [
  name: string,
  request: () => RequestInit,
  status: number | number[],
  detail: RegExp,
  url?: () => string,
];

const reauditCases: Case[] = [
  [
    'a JSON body sent as text/plain',
    () => post(JSON.stringify({ audio_names: [absent] }), 'text/plain'),
    415,
    /json/,
  ],
  ['no content type', () => post(JSON.stringify({ audio_names: [absent] }), null), 415, /json/],
  [
    'a multipart body',
    () => post(multipart([{ field: 'audio_names', body: absent }]), multipartType()),
    415,
    /json/,
  ],
  [
    'a urlencoded body',
    () => post(`audio_names=${absent}&stages=llm2`, 'application/x-www-form-urlencoded'),
    415,
    /json/,
  ],
  ['an XML body', () => post('<reaudit><name>a.wav</name></reaudit>', 'application/xml'), 415, /json/],
  ['truncated JSON', () => post('{"audio_names": ['), 400, /not valid JSON/],
  ['an empty body', () => post(''), 400, /not valid JSON/],
  ['single-quoted JSON', () => post("{'audio_names': ['a.wav'], 'stages': ['llm2']}"), 400, /not valid JSON/],
  ['a trailing comma', () => post('{"audio_names": ["a.wav"], "stages": ["llm2"],}'), 400, /not valid JSON/],
  ['a NaN literal', () => post('{"audio_names": NaN, "stages": ["llm2"]}'), 400, /not valid JSON/],
  [
    'a UTF-16 body',
    () => post(Buffer.from(JSON.stringify({ audio_names: [absent] }), 'utf16le')),
    400,
    /JSON/,
  ],
  ['null', () => post('null'), 422, /body/],
  ['an array', () => post('[]'), 422, /body/],
  ['a string', () => post('"a.wav"'), 422, /body/],
  ['a number', () => post('123'), 422, /body/],
  [
    'a 100,000-deep array as audio_names',
    () => post(`{"audio_names": ${deepArray(100_000)}, "stages": ["llm2"]}`),
    422,
    /audio_names/,
  ],
  [
    'a 100,000-deep object in an unknown field',
    () => post(`{"audio_names": ["${absent}"], "stages": ["llm2"], "x": ${deepObject(100_000)}}`),
    422,
    /Unrecognized key/,
  ],
  [
    'an unknown field',
    () => json({ audio_names: [absent], stages: ['llm2'], priority: 'high' }),
    422,
    /priority/,
  ],
  [
    'a __proto__ field',
    () => post(`{"audio_names": ["${absent}"], "stages": ["llm2"], "__proto__": {"admin": true}}`),
    422,
    /__proto__/,
  ],
  [
    'a constructor field',
    () => post(`{"audio_names": ["${absent}"], "stages": ["llm2"], "constructor": {"prototype": {}}}`),
    422,
    /constructor/,
  ],
  ['audio_names missing', () => json({ stages: ['llm2'] }), 422, /audio_names/],
  ['audio_names empty', () => names(), 422, /audio_names/],
  ['audio_names a string', () => json({ audio_names: absent, stages: ['llm2'] }), 422, /audio_names/],
  ['a number among the names', () => names(absent, 42), 422, /audio_names/],
  ['null among the names', () => names(null), 422, /audio_names/],
  ['an empty name', () => names(''), 422, /audio_names/],
  ['a name of spaces', () => names('   '), 422, /audio_names/],
  ['a 256-character name', () => names(`${'n'.repeat(252)}.wav`), 422, /audio_names/],
  ['1001 names', () => names(...Array.from({ length: 1001 }, (_, i) => `n${i}.wav`)), 422, /at most 1000/],
  ['the same name twice', () => names(absent, absent), 422, /duplicates/],
  ['stages missing', () => json({ audio_names: [absent] }), 422, /stages/],
  ['stages empty', () => stages(), 422, /stages/],
  ['an unknown stage', () => stages('translate'), 422, /stages/],
  ['distribute, which is not re-run', () => stages('distribute'), 422, /stages/],
  ['the same stage twice', () => stages('stt', 'stt'), 422, /duplicates/],
  ['stages as an object', () => json({ audio_names: [absent], stages: { stt: true } }), 422, /stages/],
  [
    'stages as a 100,000-deep array',
    () => post(`{"audio_names": ["${absent}"], "stages": ${deepArray(100_000)}}`),
    422,
    /stages/,
  ],
  [
    'a repeated key whose last value is invalid',
    () => post(`{"audio_names": ["${absent}"], "stages": ["llm2"], "stages": "all"}`),
    422,
    /stages/,
  ],
  ['SQL as a name', () => names(`x' OR '1'='1`, `"; DROP TABLE \`call\`; --`), 404, /no call matches/],
  ['LIKE wildcards as names', () => names('%', '_', '%.wav'), 404, /no call matches/],
  [
    'NUL and control characters in names',
    () => names('a\u0000.wav', 'b\u001b[2J.wav', 'c\r\n.wav'),
    404,
    /no call/,
  ],
  [
    'lone surrogates and emoji in names',
    () => names('\ud800.wav', '\udfff', '💥.wav'),
    404,
    /no call matches/,
  ],
  [
    'bytes that are not UTF-8 inside a name',
    () =>
      post(
        Buffer.concat([
          Buffer.from('{"audio_names": ["a'),
          Buffer.from([0xff, 0xfe]),
          Buffer.from('.wav"], "stages": ["llm2"]}'),
        ]),
      ),
    404,
    /no call matches/,
  ],
  [
    'a body over JSON_BODY_LIMIT',
    () => names(...Array.from({ length: 900 }, (_, i) => `${'x'.repeat(250)}${i}`), 'y'.repeat(2e6)),
    413,
    /larger than/,
  ],
  ['a call that is still being processed', () => names(busy), 409, /still being processed/],
];

const cancel = (id: string) => () => `/reaudit/${id}/cancel`;
const cancelOf = (status: BatchStatus) => () => `/reaudit/${reaudits[status]}/cancel`;
const bare = (): RequestInit => ({ method: 'POST' });
const cancelCases: Case[] = [
  ['an unknown task id', bare, 404, /no reaudit task/, cancel('reaudit-2147483647')],
  ['task id reaudit-0', bare, 404, /no reaudit task/, cancel('reaudit-0')],
  ['task id reaudit--1', bare, 404, /no reaudit task/, cancel('reaudit--1')],
  ['a task id past 2^64', bare, 404, /no reaudit task/, cancel('reaudit-99999999999999999999')],
  ['task id reaudit-1e3', bare, 404, /no reaudit task/, cancel('reaudit-1e3')],
  ["an audit's task id", bare, 404, /no reaudit task/, () => `/reaudit/audit-${seed.batchId}/cancel`],
  ["a daily batch's task id", bare, 404, /no reaudit task/, cancel('daily-2024-01-01')],
  ['SQL in the task id', bare, 404, /no reaudit task/, cancel(encodeURIComponent("reaudit-1' OR '1'='1"))],
  [
    'a stacked SQL statement',
    bare,
    404,
    /no reaudit task/,
    cancel(encodeURIComponent('1; DELETE FROM batchStatus')),
  ],
  ['a LIKE wildcard', bare, 404, /no reaudit task/, cancel('reaudit-%25')],
  ['an encoded NUL', bare, 404, /no reaudit task/, cancel('reaudit-1%00')],
  ['an encoded traversal', bare, 404, /no reaudit task/, cancel('..%2F..%2Fhealth')],
  ['an invalid percent-encoding', bare, 404, /no reaudit task/, cancel('%FF%FE')],
  ['an encoded lone surrogate', bare, 404, /no reaudit task/, cancel('%ED%A0%80')],
  ['an emoji', bare, 404, /no reaudit task/, cancel('%F0%9F%92%A5')],
  ['a 5000-character task id', bare, 404, /no reaudit task/, cancel('r'.repeat(5000))],
  ['an encoded header injection', bare, 404, /no reaudit task/, cancel('x%0D%0ASet-Cookie:%20a=1')],
  [
    'markup in the task id',
    bare,
    404,
    /no reaudit task/,
    cancel(encodeURIComponent('<script>alert(1)</script>')),
  ],
  ['a Completed reaudit', bare, 409, /already finished/, cancelOf('Completed')],
  ['a CompletedWithErrors reaudit', bare, 409, /already finished/, cancelOf('CompletedWithErrors')],
  ['a Failed reaudit', bare, 409, /already finished/, cancelOf('Failed')],
  ['a Cancelled reaudit', bare, 409, /already finished/, cancelOf('Cancelled')],
  // The column's collation ignores case and trailing spaces: these find the finished reaudit or nothing.
  [
    'a finished task id in capitals',
    bare,
    [404, 409],
    /reaudit/i,
    () => `/reaudit/${reaudits.Completed!.toUpperCase()}/cancel`,
  ],
  [
    'a finished task id with a trailing space',
    bare,
    [404, 409],
    /reaudit/,
    () => `/reaudit/${reaudits.Failed}%20/cancel`,
  ],
  ['a reaudit whose workflow does not exist', bare, 409, /not running/, cancelOf('InProgress')],
  [
    'a JSON body with unknown fields',
    () => json({ force: true, reason: 'x' }),
    404,
    /no reaudit task/,
    cancel('reaudit-2147483646'),
  ],
  ['a malformed JSON body', () => post('{"force":'), 404, /no reaudit task/, cancel('reaudit-2147483645')],
  [
    'a body over JSON_BODY_LIMIT',
    () => post('x'.repeat(2e6), 'text/plain'),
    413,
    /larger than/,
    cancelOf('InProgress'),
  ],
  [
    'GET instead of POST',
    () => ({ method: 'GET' }),
    405,
    /GET is not allowed.*use POST/,
    cancelOf('InProgress'),
  ],
  [
    'DELETE instead of POST',
    () => ({ method: 'DELETE' }),
    405,
    /DELETE is not allowed/,
    cancelOf('InProgress'),
  ],
  ['a trailing slash', bare, 404, /no route/, () => `/reaudit/${reaudits.InProgress}/cancel/`],
  ['an extra path segment', bare, 404, /no route/, () => `/reaudit/${reaudits.InProgress}/x/cancel`],
  ['an empty task id', bare, 404, /no route/, () => '/reaudit//cancel'],
];

const day = (value: unknown) => json({ date: value });
const folder = (value: unknown) => json({ folder: value });
const dailyCases: Case[] = [
  ['a JSON body sent as text/plain', () => post('{"date": "2024-01-01"}', 'text/plain'), 415, /json/],
  ['no content type', () => post('{"date": "2024-01-01"}', null), 415, /json/],
  [
    'a multipart body',
    () => post(multipart([{ field: 'date', body: '2024-01-01' }]), multipartType()),
    415,
    /json/,
  ],
  ['truncated JSON', () => post('{"date": "2024-'), 400, /not valid JSON/],
  ['an empty body', () => post(''), 400, /not valid JSON/],
  ['null', () => post('null'), 422, /body/],
  ['an array', () => post('["2024-01-01"]'), 422, /body/],
  ['a bare date string', () => post('"2024-01-01"'), 422, /body/],
  [
    'a 100,000-deep object in an unknown field',
    () => post(`{"date": "2024-01-01", "x": ${deepObject(100_000)}}`),
    422,
    /Unrecognized key/,
  ],
  [
    'a 100,000-deep array as audio_stages',
    () => post(`{"date": "2024-01-01", "audio_stages": ${deepArray(100_000)}}`),
    422,
    /audio_stages/,
  ],
  ['an unknown field', () => json({ date: '2024-01-01', process_id: 2 }), 422, /process_id/],
  [
    'a __proto__ field',
    () => post('{"date": "2024-01-01", "__proto__": {"polluted": true}}'),
    422,
    /__proto__/,
  ],
  ['date 2024-1-1', () => day('2024-1-1'), 422, /date/],
  ['date 2024-02-30', () => day('2024-02-30'), 422, /calendar date/],
  ['date 2024-13-01', () => day('2024-13-01'), 422, /calendar date/],
  ['date 0000-00-00', () => day('0000-00-00'), 422, /calendar date/],
  ['a six-digit year', () => day('+02024-01-01'), 422, /date/],
  ['a timestamp as date', () => day('2024-01-01T00:00:00Z'), 422, /date/],
  ['a date with a trailing newline', () => day('2024-01-01\n'), 422, /date/],
  ['a date as a number', () => day(20240101), 422, /date/],
  ['date null', () => day(null), 422, /date/],
  ['date empty', () => day(''), 422, /date/],
  ['SQL as date', () => day("2024-01-01' OR '1'='1"), 422, /date/],
  ['a date far in the future, no such folder', () => day('9999-12-31'), 404, /no recordings folder/],
  ['no date and no folder, no folder for today', () => json({}), 404, /no recordings folder/],
  ['a relative path out of DAILY_DIR', () => folder('../../etc'), 422, /inside DAILY_DIR/],
  ['an absolute path', () => folder('/etc'), 422, /inside DAILY_DIR/],
  ['the parent folder', () => folder('..'), 422, /inside DAILY_DIR/],
  ['out of DAILY_DIR through a day folder', () => folder('2024-01-01/../../..'), 422, /inside DAILY_DIR/],
  ['an empty folder name', () => folder(''), 422, /folder/],
  ['a 256-character folder name', () => folder('f'.repeat(256)), 422, /folder/],
  ['a NUL in the folder', () => folder('2024-01-01\u0000'), 422, /control characters/],
  ['a line break in the folder', () => folder('2024-01-01\n'), 422, /control characters/],
  ['a file, not a folder', () => folder('readme.txt'), 422, /not a folder/],
  ['folder as an object', () => folder({ path: '2024-01-01' }), 422, /folder/],
  ['SQL as folder', () => folder("'; DROP TABLE batchStatus; --"), 404, /no recordings folder/],
  ['audio_stages a string', () => json({ date: '2024-01-01', audio_stages: 'denoise' }), 422, /audio_stages/],
  ['a stage not for audio', () => json({ date: '2024-01-01', audio_stages: ['lid'] }), 422, /audio_stages/],
  [
    'the same audio stage twice',
    () => json({ date: '2024-01-01', audio_stages: ['ivr', 'ivr'] }),
    422,
    /duplicates/,
  ],
  ['null among audio_stages', () => json({ date: '2024-01-01', audio_stages: [null] }), 422, /audio_stages/],
  [
    'a body over JSON_BODY_LIMIT',
    () => json({ date: '2024-01-01', pad: 'p'.repeat(2e6) }),
    413,
    /larger than/,
  ],
];

function run(endpoint: string, cases: Case[]) {
  describe(`${endpoint}: hostile requests`, () => {
    for (const [name, request, status, detail, url] of cases) {
      test(`${name}: ${[status].flat().join(' or ')} with a detail, nothing left behind`, async () => {
        const target = url?.() ?? endpoint.split(' ')[1]!;
        const answer = await answerOf(await stack.app.request(target, request()));
        assertRefused(name, answer, status);
        assert.match(String(answer.body.detail), detail);
        await assertNothingLeft(watch, baseline, name);
      });
    }
  });
}

run('POST /reaudit', reauditCases);
run('POST /reaudit/{task_id}/cancel', cancelCases);
run('POST /batches', dailyCases);

describe('afterwards', () => {
  test('the app still answers, and no workflow was started', async () => {
    const res = await stack.app.request('/health');
    assert.equal(res.status, 200);
    const now = await residue(watch);
    assert.equal(now.workflows, 0);
    await assertNothingLeft(watch, baseline, 'the whole file');
  });
});
