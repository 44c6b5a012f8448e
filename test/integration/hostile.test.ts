// Issue 8, uploads: hostile POST /audit/upload requests, then slow, partial and aborted bodies on a real socket.
// Each is refused with a 4xx and a `detail`, leaves no row, file or workflow, and the server keeps answering.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { makeWav } from '../support/audio.js';
import {
  answerOf,
  assertNothingLeft,
  assertRefused,
  BOUNDARY,
  changes,
  listen,
  multipart,
  multipartType,
  type Part,
  type Residue,
  rawExchange,
  residue,
  type Watch,
} from '../support/hostile.js';
import { auditForm } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

const TIMEOUT_MS = 2000;
/** "Bounded in time": generous, not a speed check. */
const BOUND_MS = TIMEOUT_MS + 4000;

let stack: Stack;
let server: Awaited<ReturnType<typeof listen>>;
let baseline: Residue;
let watch: Watch;
before(async () => {
  stack = await startStack({
    simulator: { timeScale: 0 },
    env: { MAX_FILE_BYTES: '65536', MAX_UPLOAD_FILES: '3', REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) },
  });
  server = await listen(stack.app);
  watch = { stack, batchIds: [], callIds: [] };
  baseline = await residue(watch);
});
after(async () => {
  await server?.close();
  await stack?.stop();
});

const wav = (seed = 1, seconds = 1) => makeWav(seconds, seed);
const bytes = (s: string) => new TextEncoder().encode(s);
const file = (filename: string | Uint8Array, body: Uint8Array = wav()): Part => ({
  field: 'files',
  filename,
  type: 'audio/wav',
  body,
});
const encoded = (star: string): Part => ({ field: 'files', filenameStar: `UTF-8''${star}`, body: wav() });
const field = (name: string, value: string): Part => ({ field: name, body: value });
const processOne = field('process_id', '1');
const form = (parts: Part[]): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': multipartType() },
  body: multipart(parts),
});
const typed = (type: string | null, body: string | Uint8Array): RequestInit => ({
  method: 'POST',
  headers: type ? { 'content-type': type } : {},
  body,
});
const withSize = (header: Uint8Array, dataBytes: number) => {
  const out = Buffer.from(header);
  out.writeUInt32LE(dataBytes, 40);
  return out;
};
const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489', 'hex');

type Case = [name: string, request: () => RequestInit, status: number, detail: RegExp];

const uploadCases: Case[] = [
  // Sizes and counts
  ['a file over MAX_FILE_BYTES', () => form([file('big.wav', wav(2, 10)), processOne]), 413, /larger than/],
  [
    'a valid header followed by 1 MB of zeros',
    () =>
      form([file('zeros.wav', Buffer.concat([withSize(wav(), 1 << 20), Buffer.alloc(1 << 20)])), processOne]),
    413,
    /larger than/,
  ],
  [
    'one file more than MAX_UPLOAD_FILES',
    () => form([1, 2, 3, 4].map((i) => file(`f${i}.wav`, wav(i)))),
    413,
    /too many files/,
  ],
  [
    'forty tiny files',
    () => form(Array.from({ length: 40 }, (_, i) => file(`t${i}.wav`, bytes('x')))),
    413,
    /too many files/,
  ],
  // Content that is not audio, whatever its name says
  [
    'text named .wav',
    () => form([file('notes.wav', bytes('not audio at all '.repeat(50))), processOne]),
    415,
    /not usable audio/,
  ],
  ['a PNG named .mp3', () => form([file('picture.mp3', PNG), processOne]), 415, /not usable audio/],
  [
    'an HTML page named .flac',
    () => form([file('page.flac', bytes('<!doctype html><script>alert(1)</script>')), processOne]),
    415,
    /not usable audio/,
  ],
  [
    'a WAV header with no samples',
    () => form([file('hollow.wav', withSize(wav().subarray(0, 44), 0)), processOne]),
    415,
    /audio/,
  ],
  [
    'RIFF/WAVE magic followed by garbage',
    () =>
      form([
        file('garbage.wav', Buffer.concat([bytes('RIFF\0\0\0\0WAVE'), Buffer.alloc(2000, 0x7f)])),
        processOne,
      ]),
    415,
    /audio/,
  ],
  [
    'an ID3 tag and no MPEG frames',
    () =>
      form([
        file('tag-only.mp3', Buffer.concat([bytes('ID3\x03\0\0\0\0\0\x0a'), Buffer.alloc(10)])),
        processOne,
      ]),
    415,
    /audio/,
  ],
  ['a zero-byte file', () => form([file('zero.wav', new Uint8Array()), processOne]), 400, /empty/],
  [
    'a zero-byte file after a good one',
    () => form([file('good.wav'), file('zero.wav', new Uint8Array()), processOne]),
    400,
    /empty/,
  ],
  // Names
  ['a relative path as the name', () => form([file('../../etc/passwd.wav'), processOne]), 400, /path/],
  ['an absolute path as the name', () => form([file('/etc/passwd.wav'), processOne]), 400, /path/],
  ['a Windows path as the name', () => form([file('C:\\Windows\\win.ini.wav'), processOne]), 400, /path/],
  ['the name ".."', () => form([file('..'), processOne]), 400, /name/],
  ['the name "."', () => form([file('.'), processOne]), 400, /name/],
  ['an empty name', () => form([file(''), processOne]), 400, /file name/],
  ['a name of spaces', () => form([file('   '), processOne]), 400, /name/],
  ['a raw NUL in the name', () => form([file('call\0.wav'), processOne]), 400, /malformed/],
  ['a raw escape sequence in the name', () => form([file('call\x1b[31m.wav'), processOne]), 400, /malformed/],
  ['an encoded NUL in the name', () => form([encoded('call%00.wav'), processOne]), 400, /control characters/],
  [
    'an encoded escape sequence',
    () => form([encoded('call%1B%5B31m.wav'), processOne]),
    400,
    /control characters/,
  ],
  [
    'an encoded line break',
    () => form([encoded('call%0D%0Aevil.wav'), processOne]),
    400,
    /control characters/,
  ],
  [
    'encoded DEL and C1 characters',
    () => form([encoded('call%7F%C2%85.wav'), processOne]),
    400,
    /control characters/,
  ],
  ['an encoded path', () => form([encoded('..%2F..%2Fetc%2Fcron.d%2Fx.wav'), processOne]), 400, /path/],
  ['an encoded Latin-1 name', () => form([encoded('caf%E9.wav'), processOne]), 400, /UTF-8/],
  ['a 300-byte name', () => form([file(`${'a'.repeat(296)}.wav`), processOne]), 400, /255 bytes/],
  [
    'a name of 258 bytes in 3-byte characters',
    () => form([file(`${'€'.repeat(86)}`), processOne]),
    400,
    /255 bytes/,
  ],
  [
    'a Latin-1 name (not UTF-8)',
    () => form([file(Buffer.from('caf\xe9.wav', 'latin1')), processOne]),
    400,
    /UTF-8/,
  ],
  [
    'an overlong UTF-8 encoding of "/" in the name',
    () => form([file(Buffer.from([0x61, 0xc0, 0xaf, 0x2e, 0x77, 0x61, 0x76])), processOne]),
    400,
    /UTF-8/,
  ],
  [
    'the same name twice',
    () => form([file('twin.wav', wav(3)), file('twin.wav', wav(4)), processOne]),
    400,
    /duplicate/,
  ],
  [
    'names that differ only in case',
    () => form([file('Case.wav', wav(5)), file('case.wav', wav(6)), processOne]),
    400,
    /duplicate/,
  ],
  [
    'names that differ only in accents',
    () => form([file('cafe.wav', wav(7)), file('café.wav', wav(8)), processOne]),
    400,
    /duplicate/,
  ],
  // Fields
  [
    'SQL in process_id',
    () => form([file('a.wav'), field('process_id', '1; DROP TABLE `call`; --')]),
    422,
    /process_id/,
  ],
  [
    'SQL in category_mapping_id',
    () => form([file('a.wav'), processOne, field('category_mapping_id', '1 OR 1=1')]),
    422,
    /category_mapping_id/,
  ],
  [
    'SQL in stages',
    () => form([file('a.wav'), processOne, field('stages', "lid'); DELETE FROM call; --")]),
    422,
    /unknown stage/,
  ],
  ['process_id 0', () => form([file('a.wav'), field('process_id', '0')]), 422, /process_id/],
  ['process_id -1', () => form([file('a.wav'), field('process_id', '-1')]), 422, /process_id/],
  ['process_id 2^31', () => form([file('a.wav'), field('process_id', '2147483648')]), 422, /process_id/],
  ['process_id 1e3', () => form([file('a.wav'), field('process_id', '1e3')]), 422, /process_id/],
  [
    'process_id in Arabic-Indic digits',
    () => form([file('a.wav'), field('process_id', '١')]),
    422,
    /process_id/,
  ],
  [
    'process_id at the top of the range, absent',
    () => form([file('a.wav'), field('process_id', '2147483647')]),
    422,
    /does not exist/,
  ],
  [
    'process_id given twice',
    () => form([file('a.wav'), processOne, field('process_id', '2')]),
    400,
    /more than once/,
  ],
  [
    'an unknown field',
    () => form([file('a.wav'), processOne, field('callback_url', 'http://169.254.169.254/')]),
    400,
    /unknown field/,
  ],
  // A fuzzer driven by /openapi.json found these answered 503 ("reading 'slice'" of a missing name).
  ['a field with an empty name', () => form([file('a.wav'), processOne, field('', '1')]), 400, /has no name/],
  [
    'a file part with an empty field name',
    () => form([{ ...file('a.wav'), field: '' }, processOne]),
    400,
    /no field name/,
  ],
  [
    'a file in a field other than "files"',
    () => form([{ ...file('a.wav'), field: 'file' }, processOne]),
    400,
    /unexpected file field/,
  ],
  ['61 form fields', () => form(Array.from({ length: 61 }, (_, i) => field(`f${i}`, 'x'))), 400, /fields/],
  [
    'a 70 KB field value',
    () => form([file('a.wav'), field('stages', 'lid,'.repeat(18_000))]),
    400,
    /too long/,
  ],
  // Content types and framing
  ['a JSON body', () => typed('application/json', '{"files":["a.wav"]}'), 415, /multipart/],
  ['a text/plain body', () => typed('text/plain', 'files=a.wav'), 415, /multipart/],
  ['a urlencoded body', () => typed('application/x-www-form-urlencoded', 'process_id=1'), 415, /multipart/],
  ['no content type', () => typed(null, multipart([file('a.wav'), processOne])), 415, /multipart/],
  [
    'multipart without a boundary',
    () => typed('multipart/form-data', multipart([file('a.wav'), processOne])),
    400,
    /multipart/,
  ],
  [
    'a boundary that never occurs in the body',
    () => typed(multipartType('elsewhere'), multipart([file('a.wav'), processOne])),
    400,
    /malformed multipart request: Unexpected end of form/,
  ],
  [
    'a body cut off in the middle of a file',
    () => typed(multipartType(), multipart([processOne, file('a.wav')]).subarray(0, 4000)),
    400,
    /malformed multipart/,
  ],
  [
    'garbage with a multipart type',
    () => typed(multipartType(), PNG),
    400,
    /malformed multipart request: Unexpected end of form/,
  ],
  [
    'an empty multipart body',
    () => typed(multipartType(), ''),
    400,
    /malformed multipart request: Unexpected end of form/,
  ],
  [
    'a part header of 100 KB',
    () =>
      typed(
        multipartType(),
        Buffer.concat([
          bytes(
            `--${BOUNDARY}\r\nContent-Disposition: form-data; name="process_id"\r\nX-Pad: ${'p'.repeat(100_000)}\r\n\r\n1\r\n`,
          ),
          bytes(`--${BOUNDARY}--\r\n`),
        ]),
      ),
    400,
    /malformed multipart request: Malformed part header/,
  ],
];

describe('POST /audit/upload: hostile requests', () => {
  for (const [name, request, status, detail] of uploadCases) {
    test(`${name}: ${status} with a detail, nothing left behind`, async () => {
      const answer = await answerOf(await stack.app.request('/audit/upload', request()));
      assertRefused(name, answer, status);
      assert.match(String(answer.body.detail), detail);
      await assertNothingLeft(watch, baseline, name);
    });
  }

  test('FormData from a client library with a traversal name: refused the same way', async () => {
    const answer = await answerOf(
      await stack.app.request('/audit/upload', {
        method: 'POST',
        body: auditForm([{ name: '..\\..\\boot.ini.wav', bytes: wav(9) }]),
      }),
    );
    assertRefused('FormData traversal', answer, 400);
    await assertNothingLeft(watch, baseline, 'FormData traversal');
  });
});

const HEAD = (path: string, headers: string[]) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${headers.join('\r\n')}\r\n\r\n`;

describe('requests Node itself cannot parse', () => {
  test('a header with a control character: 400 with a detail', async () => {
    const x = await rawExchange(
      server.port,
      ['GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Bad: a\u0001b\r\n\r\n'],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('control character in a header', x.answer, 400);
  });

  test('headers larger than Node accepts: 431 with a detail', async () => {
    const x = await rawExchange(
      server.port,
      [`GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('oversized headers', x.answer, 431);
  });

  test('a request line that is not HTTP: 400 with a detail', async () => {
    const x = await rawExchange(server.port, ['HELLO /\r\n\r\n'], BOUND_MS);
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('not HTTP', x.answer, 400);
  });
});

describe('slow, partial and aborted bodies on a real socket (bounded in time)', () => {
  test('a JSON body that stops half way: 408 with a detail, connection closed', async () => {
    const x = await rawExchange(
      server.port,
      [HEAD('/reaudit', ['Content-Type: application/json', 'Content-Length: 200']), '{"audio_names": ["a'],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('stalled JSON body', x.answer, 408);
    assert.ok(x.closed, 'the connection is closed');
    await assertNothingLeft(watch, baseline, 'stalled JSON body');
  });

  test('a chunked JSON body that never ends: 408', async () => {
    const x = await rawExchange(
      server.port,
      [HEAD('/batches', ['Content-Type: application/json', 'Transfer-Encoding: chunked']), '5\r\n{"dat\r\n'],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('stalled chunked body', x.answer, 408);
    assert.ok(x.closed, 'the connection is closed');
  });

  test('a cancel with a body that never arrives: 408', async () => {
    const x = await rawExchange(
      server.port,
      [HEAD('/reaudit/reaudit-1/cancel', ['Content-Type: application/json', 'Content-Length: 50']), '{'],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('stalled cancel body', x.answer, 408);
  });

  test('a body declared larger than the JSON limit: 413 at once, without reading it', async () => {
    const x = await rawExchange(
      server.port,
      [HEAD('/reaudit', ['Content-Type: application/json', `Content-Length: ${64 * 1024 * 1024}`]), '{'],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('declared oversized body', x.answer, 413);
  });

  test('an upload that stalls in the middle of a file: 408, the staging folder removed', async () => {
    const body = multipart([processOne, file('slow.wav', wav(11))]);
    const x = await rawExchange(
      server.port,
      [
        HEAD('/audit/upload', [`Content-Type: ${multipartType()}`, `Content-Length: ${body.length}`]),
        body.subarray(0, 3000),
        300,
        body.subarray(3000, 6000),
      ],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('stalled upload', x.answer, 408);
    assert.ok(x.closed, 'the connection is closed');
    await assertNothingLeft(watch, baseline, 'stalled upload');
  });

  test('an upload the client abandons half way: nothing left behind', async () => {
    const body = multipart([processOne, file('gone.wav', wav(12)), file('never.wav', wav(13))]);
    await rawExchange(
      server.port,
      [
        HEAD('/audit/upload', [`Content-Type: ${multipartType()}`, `Content-Length: ${body.length}`]),
        body.subarray(0, 20_000),
        200,
        'destroy',
      ],
      500,
    );
    await assertNothingLeft(watch, baseline, 'abandoned upload', BOUND_MS);
  });

  test('a chunked multipart body that ends in the middle of a file: 400, nothing left', async () => {
    const body = multipart([processOne, file('short.wav', wav(14))]);
    const x = await rawExchange(
      server.port,
      [
        HEAD('/audit/upload', [
          `Content-Type: ${multipartType()}`,
          'Transfer-Encoding: chunked',
          'Connection: close',
        ]),
        `${(5000).toString(16)}\r\n`,
        body.subarray(0, 5000),
        '\r\n0\r\n\r\n',
      ],
      BOUND_MS,
    );
    assert.ok(x.answer, `no answer within ${BOUND_MS} ms`);
    assertRefused('multipart ending early', x.answer, 400);
    await assertNothingLeft(watch, baseline, 'multipart ending early', BOUND_MS);
  });
});

describe('afterwards', () => {
  test('the server still answers, and no workflow was started', async () => {
    const res = await fetch(`${server.url}/health`);
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { status: string }).status, 'ok');
    const now = await residue(watch);
    assert.equal(now.workflows, 0);
    assert.equal(now['upload workflow'], 'none');
    assert.deepEqual(changes(baseline, now), []);
  });
});
