// The README's quick start, for real: `npm start` (ops/start.sh, as a newcomer runs it, on the test run's
// Temporal and MariaDB) picks the CPU Whisper node by itself; samples/billing-dispute-en.mp3 uploaded from the
// dashboard in headless Chromium comes back with Whisper's transcript, and the call page names its models.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import mysql from 'mysql2/promise';
import type { Browser, Page } from 'playwright-core';
import { wordErrors } from '../../core/inference/wer.js';
import { sample } from '../inference/support.js';
import { chromiumMissing, launchChromium, screenshot, waitUntil, watchPage } from '../support/browser.js';
import { testEnv } from '../support/stack.js';

const skip = chromiumMissing();

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

describe('quick start: npm start, then a real call uploaded from the dashboard', { skip }, () => {
  let dir: string;
  let start: ChildProcess;
  let exited: Promise<number | null>;
  let url: string;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  const log = () => readFile(path.join(dir, 'start.log'), 'utf8').catch(() => '');

  before(async () => {
    const env = testEnv();
    if (!process.env.COFI_TEST_CPU_NODE_URL)
      throw new Error(
        'COFI_TEST_CPU_NODE_URL is not set: run the tests with `npm test` (it starts the CPU node)',
      );
    // A database of its own, from nothing, as on a fresh clone (npm start creates and migrates it).
    const server = await mysql.createConnection(env.DATABASE_URL!);
    await server.query('DROP DATABASE IF EXISTS cofi_quickstart');
    await server.end();
    dir = await mkdtemp(path.join(tmpdir(), 'cofi-quickstart-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const out = createWriteStream(path.join(dir, 'start.log'));
    start = spawn('bash', ['ops/start.sh'], {
      detached: true, // its own process group: the cleanup ends it and everything it started
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        // The test run's servers (start.sh uses them and leaves them running), a database of its own.
        DATABASE_URL: env.DATABASE_URL!.replace(/\/[^/]+$/, '/cofi_quickstart'),
        TEMPORAL_ADDRESS: env.TEMPORAL_ADDRESS!,
        TEMPORAL_NAMESPACE: env.TEMPORAL_NAMESPACE!,
        COFI_TASK_QUEUE: `quickstart-${port}`,
        API_PORT: String(port),
        AUDIO_DIR: path.join(dir, 'audio'),
        WORKER_METRICS_PORT: '0',
        TEMPORAL_METRICS_PORT: '0',
        DAILY_CRON: '',
        COFI_FLEET: '', // as on a fresh clone: start.sh chooses
        API_KEYS: '',
      },
    });
    start.stdout?.pipe(out);
    start.stderr?.pipe(out);
    exited = new Promise((r) => start.once('exit', (code) => r(code)));
    await waitUntil(
      async () => {
        if (start.exitCode !== null) throw new Error(`npm start exited (${start.exitCode}):\n${await log()}`);
        return fetch(`${url}/health`).then(
          (r) => r.ok,
          () => false,
        );
      },
      180_000,
      500,
    );
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    if (start?.pid && start.exitCode === null) {
      process.kill(-start.pid, 'SIGTERM');
      await exited;
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('start.sh chose the CPU Whisper node and says the LLM stages are simulated', async () => {
    assert.match(await log(), /fleet: cpu — LID and STT on the CPU Whisper node/);
    await page.goto(`${url}/`);
    assert.equal(await page.getAttribute('[data-simulated]', 'data-simulated'), 'LLM1,LLM2');
  });

  test("the sample call, uploaded from the dashboard: Whisper's transcript, and the models named", async () => {
    await page.waitForSelector('form.upload select[name=process_id] option', { state: 'attached' });
    await page.setInputFiles('form.upload input[name=files]', sample('billing-dispute-en.mp3'));
    await page.selectOption('form.upload select[name=process_id]', '1');
    await page.click('form.upload button[type=submit]');
    await page.waitForSelector('form.upload .result.ok a');
    const batchId = Number((await page.getAttribute('form.upload .result a', 'href'))?.split('/').pop());
    const row = `tr[data-batch="${batchId}"]`;
    await waitUntil(async () => (await page.getAttribute(row, 'data-status')) === 'Completed', 240_000);
    await page.click(`${row} a`);
    await page.waitForSelector('table.calls a');
    await page.click('table.calls a');
    await page.waitForSelector('ol.segments li');
    await page.waitForSelector('[data-model="llm2"]');
    // Whisper's words: close to the sample's script, but not it (the simulator shows the script word for word).
    const words = (await page.locator('ol.segments li span').allTextContents()).join(' ');
    const script = JSON.parse(await readFile(sample('billing-dispute-en.script.json'), 'utf8')) as {
      segments: { text: string }[];
    };
    const { wer } = wordErrors(script.segments.map((s) => s.text).join(' '), words);
    assert.match(words, /my name is Priya/i);
    assert.ok(wer > 0 && wer <= 0.45, `WER ${wer.toFixed(3)} against the script: "${words}"`);
    assert.match((await page.textContent('#transcript')) ?? '', /whisper-base/);
    assert.equal((await page.textContent('[data-model="stt"]'))?.trim(), 'whisper-base on cpu-whisper');
    assert.equal((await page.textContent('[data-model="llm1"]'))?.trim(), 'cofi-simulated-llm');
    assert.equal(await page.getAttribute('[data-lang]', 'data-lang'), 'en');
    await screenshot(page, 'quick-start-call');
  });

  test('no script error and no dialog on any page', () => {
    assert.deepEqual(problems, []);
  });
});
