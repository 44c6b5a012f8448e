// An erased daily recording is not ingested again (issue 16): its source file stays in DAILY_DIR (the client's,
// not cofi's to delete) and the erased call no longer names it, so the day's intake would take it as new. The
// erasure keeps a fingerprint (sha256 and size of the bytes, no call id, no path) and the intake skips a file
// that matches it, saying so in its event: the same day run again, and the same bytes under another name on
// another day. Real Temporal, MariaDB and simulated nodes.
import assert from 'node:assert/strict';
import { createHash, randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, desc, eq } from 'drizzle-orm';
import { batchExecutionLog, batchStatus, call, erasedSource } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { postJson as postJsonTo, statusOf, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let dailyDir: string;
const day = () =>
  `${2100 + Math.floor(Math.random() * 800)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}`;
const date = day();
let other = day();
while (other === date) other = day();
const ERASED = 'Jane Doe +44 7700 900123.wav';
const REFERENCE = `cust-${Math.random().toString(36).slice(2, 10)}`;
const SEED = Math.floor(Math.random() * 1_000_000);
/**
 * A recording no other test writes: makeWav has 50 tones per length, and while its fingerprint is in the
 * (shared) test database, a day of another test with the same bytes would skip them. Its last samples are noise.
 */
function ownRecording(): Uint8Array {
  const wav = Buffer.from(makeWav(5, SEED));
  randomFillSync(wav, wav.length - 400);
  return new Uint8Array(wav);
}
let erasedPrint = '';

before(async () => {
  dailyDir = await mkdtemp(path.join(tmpdir(), 'cofi-erased-'));
  await mkdir(path.join(dailyDir, date), { recursive: true });
  await mkdir(path.join(dailyDir, other), { recursive: true });
  await writeFile(path.join(dailyDir, date, ERASED), ownRecording());
  await writeFile(path.join(dailyDir, date, 'kept.wav'), makeWav(5, SEED + 1));
  stack = await startStack({ simulator: { timeScale: 0 }, env: { DAILY_DIR: dailyDir, DAILY_CRON: '' } });
});
after(async () => {
  if (erasedPrint) await stack?.db.delete(erasedSource).where(eq(erasedSource.sha256, erasedPrint));
  await stack?.stop();
  await rm(dailyDir, { recursive: true, force: true });
});

const postJson = (url: string, body: unknown) => postJsonTo(stack.app, url, body);

/** Runs a day (again) and waits for it; its ingestion event of this run. */
async function runDay(d: string) {
  const res = await postJson('/batches', { date: d, audio_stages: [] });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  const taskId = String(res.body.task_id);
  for (let i = 0; i < 1200; i++) {
    if ((await statusOf(stack.app, taskId)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const { final } = await waitForBatch(stack.app, taskId);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  const [b] = await stack.db.select().from(batchStatus).where(eq(batchStatus.taskId, taskId));
  const [event] = await stack.db
    .select()
    .from(batchExecutionLog)
    .where(and(eq(batchExecutionLog.batchId, b!.id), eq(batchExecutionLog.eventType, 'batch_ingested')))
    .orderBy(desc(batchExecutionLog.id))
    .limit(1);
  const calls = await stack.db.select().from(call).where(eq(call.batchId, b!.id));
  return { batch: b!, event: event!, calls };
}

describe('an erased daily recording is not ingested again', () => {
  let batchId = 0;
  let erasedId = 0;
  let print = { sha256: '', bytes: 0 };

  before(async () => {
    const first = await runDay(date);
    batchId = first.batch.id;
    assert.equal(first.calls.length, 2);
    const target = first.calls.find((c) => c.audioName === ERASED)!;
    erasedId = target.id;
    await stack.db.update(call).set({ customerReference: REFERENCE }).where(eq(call.id, erasedId));
    const bytes = await readFile(path.join(dailyDir, date, ERASED));
    print = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
    erasedPrint = print.sha256;
    const res = await postJson('/erasures', { customer_reference: REFERENCE });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.call_ids, [erasedId]);
  });

  test('the erasure kept the fingerprint of the bytes (no path, no call id) and left the source in DAILY_DIR', async () => {
    const rows = await stack.db.select().from(erasedSource).where(eq(erasedSource.sha256, print.sha256));
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.bytes, print.bytes);
    assert.deepEqual(Object.keys(rows[0]!).sort(), ['bytes', 'createdAt', 'id', 'sha256']);
    assert.ok(await stat(path.join(dailyDir, date, ERASED)), 'the source file stays');
    const [tomb] = await stack.db.select().from(call).where(eq(call.id, erasedId));
    assert.equal(tomb!.status, 'Erased');
    assert.equal(tomb!.sourcePath, null);
  });

  test('the day run again skips it, with the reason in its event, and takes a new file', async () => {
    await writeFile(path.join(dailyDir, date, 'late.wav'), makeWav(4, SEED + 2));
    const again = await runDay(date);
    assert.equal(again.batch.id, batchId);
    // The two calls of the first run (the tombstone among them) and the late one: no new call for the file.
    assert.deepEqual(again.calls.map((c) => c.audioName).sort(), [
      `erased-${erasedId}`,
      'kept.wav',
      'late.wav',
    ]);
    assert.match(
      again.event.message ?? '',
      /1 new recording\(s\).*1 already in a batch.*1 erased earlier \(not ingested again\)/,
    );
    const meta = again.event.metadata as Record<string, unknown>;
    assert.equal(meta.added, 1);
    assert.equal(meta.skipped, 1);
    assert.equal(meta.erased, 1);
  });

  test('the same bytes under another name on another day are skipped too; other files are taken', async () => {
    await writeFile(
      path.join(dailyDir, other, 'renamed.wav'),
      await readFile(path.join(dailyDir, date, ERASED)),
    );
    await writeFile(path.join(dailyDir, other, 'fresh.wav'), makeWav(5, SEED + 3));
    const next = await runDay(other);
    assert.deepEqual(
      next.calls.map((c) => c.audioName),
      ['fresh.wav'],
    );
    assert.match(next.event.message ?? '', /1 erased earlier/);
    assert.equal((next.event.metadata as Record<string, unknown>).erased, 1);
  });
});
