// Bad uploads get a 4xx with a detail that says what was wrong, and leave no row and no file behind.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { count, eq } from 'drizzle-orm';
import { batchStatus, call } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { filesUnder } from '../support/hostile.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    simulator: { timeScale: 0 },
    env: { MAX_FILE_BYTES: '65536', MAX_UPLOAD_FILES: '3' },
  });
});
after(async () => {
  await stack?.stop();
});

async function counts() {
  const [b] = await stack.db.select({ n: count() }).from(batchStatus);
  const [c] = await stack.db.select({ n: count() }).from(call);
  return { batches: b!.n, calls: c!.n, files: (await filesUnder(stack.audio.root)).length };
}

const wav = (name: string, seed = 1) => ({ name, bytes: makeWav(1, seed) });
const text = (s: string) => new TextEncoder().encode(s);

const cases: [string, () => FormData | Request, number, RegExp][] = [
  ['no files', () => auditForm([], { process_id: '1' }), 400, /no files/],
  ['empty file', () => auditForm([{ name: 'empty.wav', bytes: new Uint8Array() }]), 400, /empty/],
  [
    'not audio with an audio name',
    () => auditForm([{ name: 'notes.wav', bytes: text('hello, not audio '.repeat(40)) }]),
    415,
    /not usable audio/,
  ],
  ['too large', () => auditForm([{ name: 'big.wav', bytes: makeWav(10, 2) }]), 413, /larger than the limit/],
  ['too many files', () => auditForm([1, 2, 3, 4].map((i) => wav(`f${i}.wav`, i))), 413, /too many files/],
  ['missing process_id', () => auditForm([wav('a.wav')], {}), 422, /process_id is required/],
  [
    'non-numeric process_id',
    () => auditForm([wav('a.wav')], { process_id: "1' OR '1'='1" }),
    422,
    /positive integer/,
  ],
  [
    'unknown process_id',
    () => auditForm([wav('a.wav')], { process_id: '999' }),
    422,
    /process_id 999 does not exist/,
  ],
  [
    'unknown category_mapping_id',
    () => auditForm([wav('a.wav')], { process_id: '1', category_mapping_id: '77' }),
    422,
    /category_mapping_id 77/,
  ],
  [
    'unknown stage',
    () => auditForm([wav('a.wav')], { process_id: '1', stages: 'lid,translate' }),
    422,
    /unknown stage.*translate/,
  ],
  [
    'llm without stt',
    () => auditForm([wav('a.wav')], { process_id: '1', stages: 'lid,llm2' }),
    422,
    /include stt/,
  ],
  ['duplicate names', () => auditForm([wav('same.wav', 1), wav('same.wav', 2)]), 400, /duplicate file name/],
  [
    'unknown field',
    () => auditForm([wav('a.wav')], { process_id: '1', priority: 'high' }),
    400,
    /unknown field/,
  ],
];

describe('upload validation', () => {
  for (const [name, make, status, detail] of cases) {
    test(`${name}: ${status}, nothing left behind`, async () => {
      const before = await counts();
      const res = await uploadAudit(stack.app, make() as FormData);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(String(res.body.detail), detail);
      assert.deepEqual(await counts(), before);
    });
  }

  test('a JSON body instead of multipart: 415', async () => {
    const res = await stack.app.request('/audit/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ files: ['a.wav'] }),
    });
    assert.equal(res.status, 415);
    assert.match(((await res.json()) as { detail: string }).detail, /multipart/);
  });

  test('a client path is never used as a path: a name with one is refused, nothing is written', async () => {
    const before = await counts();
    const res = await uploadAudit(stack.app, auditForm([wav('../../etc/evil.wav', 9)]));
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(String(res.body.detail), /is a path/);
    assert.deepEqual(await counts(), before);
  });

  test('an accepted name is shown as sent; the stored name is derived', async () => {
    const res = await uploadAudit(stack.app, auditForm([wav('..evil name.wav', 9)]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [row] = await stack.db
      .select()
      .from(call)
      .where(eq(call.batchId, Number(res.body.batch_id)));
    assert.equal(row!.audioName, '..evil name.wav');
    // The stored name is cofi's (batch folder, position, format), and it holds the bytes sent.
    assert.match(row!.storedPath, new RegExp(`^batch-${res.body.batch_id}/\\d{5}\\.wav$`));
    assert.deepEqual(
      new Uint8Array(await readFile(stack.audio.resolve(row!.storedPath))),
      wav('..evil name.wav', 9).bytes,
    );
    const files = await filesUnder(stack.audio.root);
    assert.deepEqual(
      files.map((f) => path.relative(stack.audio.root, f)).filter((f) => /evil/.test(f)),
      [],
      'no file anywhere is named after the client',
    );
    await waitForBatch(stack.app, res.body.task_id);
  });
});
