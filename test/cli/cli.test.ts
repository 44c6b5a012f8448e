// The CLI as a user runs it, against the real stack served on ephemeral ports: audit follows a batch to its
// end and exits non-zero when a call failed, --json is parseable, reaudit, status, batches, cancel, keys.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { createApp } from '../../api/app.js';
import { hashKey } from '../../api/auth.js';
import { probeAudio } from '../../core/audio/probe.js';
import { makeWav } from '../support/audio.js';
import { serveApp } from '../support/browser.js';
import { type Stack, startStack } from '../support/stack.js';

const run = promisify(execFile);
const READ = 'cli-read-key-0001';

let stack: Stack;
let open: Awaited<ReturnType<typeof serveApp>>;
let keyed: Awaited<ReturnType<typeof serveApp>>;
let dir: string;
/** The reaudit the reaudit test ran, for the listing test. */
let reauditTask = '';
before(async () => {
  stack = await startStack({
    simulator: { timeScale: 0.05, failures: { clientErrorPattern: 'broken-stt' } },
  });
  open = await serveApp(stack.app);
  const config = { ...stack.config, API_KEYS: [{ role: 'read' as const, hash: hashKey(READ) }] };
  keyed = await serveApp(
    createApp({ database: stack.database, temporal: stack.client, config, audio: stack.audio, probeAudio }),
  );
  dir = await mkdtemp(path.join(tmpdir(), 'cofi-cli-'));
  for (const [i, name] of ['cli-one.wav', 'cli-two.wav', 'broken-stt-cli.wav', 'cli-json.wav'].entries()) {
    await writeFile(path.join(dir, name), makeWav(4 + i, 60 + i));
  }
});
after(async () => {
  await keyed?.close();
  await open?.close();
  await stack?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Runs `cli/cofi.ts` in a child process; never throws, returns the exit code and both streams. */
async function cofi(args: string[], env: Record<string, string> = {}, url = open.url) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', 'cli/cofi.ts', '--url', url, ...args],
      {
        env: { ...process.env, COFI_API_KEY: '', ...env },
        timeout: 180_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
const file = (name: string) => path.join(dir, name);

describe('cofi audit', () => {
  test('uploads from disk, shows progress, ends with the call table; exit 1 because a call failed', async () => {
    const { code, stdout, stderr } = await cofi([
      'audit',
      file('cli-one.wav'),
      file('cli-two.wav'),
      file('broken-stt-cli.wav'),
      '--process',
      '1',
      '--category-mapping',
      '1',
      '--interval',
      '200',
    ]);
    assert.equal(code, 1, `${stdout}\n${stderr}`);
    assert.match(stdout, /^queued audit-\d+ \(batch \d+\) with 3 file\(s\)$/m);
    assert.match(
      stdout,
      /^audit-\d+ (InProgress|CompletedWithErrors): distribute \d\/3/m,
      'plain progress lines',
    );
    assert.match(stdout, /^name\s+language\s+category\s+score\s+status$/m);
    assert.match(stdout, /^cli-one\.wav\s+\w+\s+\S.*\s+\d+\.\d\s+Completed$/m);
    assert.match(stdout, /^broken-stt-cli\.wav\s.*Failed at (lid|stt)$/m);
    assert.match(stdout, /CompletedWithErrors: 2 completed, 1 not completed$/m);
  });

  test('--json: one JSON document with the calls; exit 0 when every call completed', async () => {
    const { code, stdout, stderr } = await cofi([
      'audit',
      file('cli-json.wav'),
      '--process',
      '1',
      '--json',
      '--interval',
      '200',
    ]);
    assert.equal(code, 0, stderr);
    const answer = JSON.parse(stdout) as {
      status: string;
      calls: { audio_name: string; score: number; lang: string }[];
    };
    assert.equal(answer.status, 'Completed');
    assert.equal(answer.calls.length, 1);
    assert.equal(answer.calls[0]?.audio_name, 'cli-json.wav');
    assert.equal(typeof answer.calls[0]?.score, 'number');
    assert.ok(answer.calls[0]?.lang);
  });

  test('bad input: the API detail and exit 3; wrong usage: exit 2', async () => {
    const refused = await cofi(['audit', file('cli-one.wav'), '--process', '999']);
    assert.equal(refused.code, 3);
    assert.match(refused.stderr, /process_id 999 does not exist \(HTTP 422\)/);
    const missing = await cofi(['audit', file('nope.wav'), '--process', '1']);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /not a file/);
    assert.equal((await cofi(['audit', file('cli-one.wav')])).code, 2);
    assert.equal((await cofi(['frobnicate'])).code, 2);
  });
});

describe('cofi reaudit, status, batches, cancel', () => {
  test('reaudit by name re-runs the stages and waits for the end', async () => {
    const { code, stdout, stderr } = await cofi([
      'reaudit',
      'cli-one.wav',
      'cli-two.wav',
      '--stages',
      'llm2',
      '--json',
    ]);
    assert.equal(code, 0, `${stdout}\n${stderr}`);
    const answer = JSON.parse(stdout) as { task_id: string; status: string; calls: unknown[] };
    assert.match(answer.task_id, /^reaudit-\d+$/);
    reauditTask = answer.task_id;
    assert.equal(answer.status, 'Completed');
    assert.equal(answer.calls.length, 2);

    const status = await cofi(['status', answer.task_id]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, new RegExp(`^${answer.task_id}\\s+Completed`, 'm'));
    assert.match(status.stdout, /^\s+llm2\s+█+\s+2\/2$/m);

    const cancel = await cofi(['cancel', answer.task_id]);
    assert.equal(cancel.code, 3);
    assert.match(cancel.stderr, /already finished/);
  });

  test('batches lists the newest first; --json for scripts', async () => {
    // Other test runs may share the database: look for this file's reaudit, and check the order.
    const plain = await cofi(['batches', '--limit', '50']);
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stdout, /^task\s+kind\s+status\s+created\s+files\s+stages \(done\/total\)$/m);
    assert.match(plain.stdout, new RegExp(`^${reauditTask}\\s+reaudit\\s+Completed\\s.*llm2 2/2$`, 'm'));
    const json = await cofi(['batches', '--limit', '50', '--json']);
    const ids = (JSON.parse(json.stdout) as { batches: { batch_id: number }[] }).batches.map(
      (b) => b.batch_id,
    );
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => b - a),
      'newest first',
    );
    const audits = await cofi(['batches', '--kind', 'audit', '--json']);
    const list = JSON.parse(audits.stdout) as { batches: { kind: string }[] };
    assert.ok(list.batches.length >= 2 && list.batches.every((b) => b.kind === 'audit'));
  });

  test('with keys: none is refused (exit 3), COFI_API_KEY is sent, a read key may not upload', async () => {
    const none = await cofi(['batches'], {}, keyed.url);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /API key is required.*\(HTTP 401\)/);
    const read = await cofi(['batches', '--json'], { COFI_API_KEY: READ }, keyed.url);
    assert.equal(read.code, 0, read.stderr);
    const upload = await cofi(['audit', file('cli-one.wav'), '--process', '1', '--key', READ], {}, keyed.url);
    assert.equal(upload.code, 3);
    assert.match(upload.stderr, /needs an "operator" key \(HTTP 403\)/);
  });

  test('an unreachable API: exit 3 with a message saying where', async () => {
    const { code, stderr } = await cofi(['batches'], {}, 'http://127.0.0.1:9');
    assert.equal(code, 3);
    assert.match(stderr, /cannot reach the cofi API at http:\/\/127\.0\.0\.1:9/);
  });
});
