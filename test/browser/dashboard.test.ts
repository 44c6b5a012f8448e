// The dashboard end to end in headless Chromium on the real stack (API with keys): upload sample calls
// through the page, watch every stage's bar reach the end, open the batch and a call and read its answers,
// then start a reaudit from the batch page and cancel it with the page's button.
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../api/app.js';
import { hashKey } from '../../api/auth.js';
import { probeAudio } from '../../core/audio/probe.js';
import { makeWav } from '../support/audio.js';
import {
  chromiumMissing,
  launchChromium,
  screenshot,
  serveApp,
  waitUntil,
  watchPage,
} from '../support/browser.js';
import { type Stack, startStack } from '../support/stack.js';

const OPERATOR = 'dashboard-operator-key-0001';
const EVIL = '<img src=x onerror=alert(1)>.wav';
const NAMES = ['agent-anna.wav', 'agent-bob.wav', 'agent-cleo.wav', EVIL, 'broken-stt-call.wav'];
const TERMINAL = /^(Completed|CompletedWithErrors|Failed|Cancelled)$/;
const skip = chromiumMissing();

describe('dashboard end to end (real stack, API with keys)', { skip }, () => {
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let dir: string;
  let batchId: number;

  before(async () => {
    // One slot per node and real-time-ish latency: a batch runs for seconds, so progress can be watched
    // and a reaudit is still running when the cancel button is pressed.
    stack = await startStack({
      nodes: [
        { id: 'ui-a', capacity: 1 },
        { id: 'ui-b', capacity: 1 },
      ],
      simulator: { timeScale: 1, failures: { clientErrorPattern: 'broken-stt' } },
    });
    const config = { ...stack.config, API_KEYS: [{ role: 'operator' as const, hash: hashKey(OPERATOR) }] };
    server = await serveApp(
      createApp({ database: stack.database, temporal: stack.client, config, audio: stack.audio, probeAudio }),
    );
    dir = await mkdtemp(path.join(tmpdir(), 'cofi-ui-'));
    for (const [i, name] of NAMES.entries())
      await writeFile(path.join(dir, name), makeWav(40 + i * 5, 80 + i));
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('upload sample calls through the form; the batch appears and its stage bars fill to the end', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('form.key input[name=key]', OPERATOR);
    await page.click('form.key button[type=submit]');
    await page.waitForSelector('form.upload select[name=process_id] option', { state: 'attached' });
    await page.setInputFiles(
      'form.upload input[name=files]',
      NAMES.map((n) => path.join(dir, n)),
    );
    await page.selectOption('form.upload select[name=process_id]', '1');
    await page.click('form.upload button[type=submit]');
    await page.waitForSelector('form.upload .result.ok a');
    assert.match((await page.textContent('form.upload .result')) ?? '', /queued audit-\d+ with 5 file\(s\)/);
    batchId = Number((await page.getAttribute('form.upload .result a', 'href'))?.split('/').pop());
    const row = `tr[data-batch="${batchId}"]`;
    await page.waitForSelector(`${row}[data-status="InProgress"]`, { timeout: 30_000 });
    await screenshot(page, 'dashboard-running');
    await waitUntil(async () => TERMINAL.test((await page.getAttribute(row, 'data-status')) ?? ''), 180_000);
    assert.equal(await page.getAttribute(row, 'data-status'), 'CompletedWithErrors');
    const bars = await page.$$eval(`${row} progress`, (els) =>
      els.map((e) => [e.getAttribute('value'), e.getAttribute('max')]),
    );
    assert.equal(bars.length, 6, 'distribute, lid, stt, redact, llm1, llm2');
    for (const [value, max] of bars) assert.equal(value, max, 'every stage reached the end');
    await screenshot(page, 'dashboard-done');
  });

  test('the batch page shows counts, timeline, calls and the failure with its request', async () => {
    await page.click(`tr[data-batch="${batchId}"] a`);
    await page.waitForSelector('table.failures tbody tr');
    await page.waitForSelector('table.calls tbody tr');
    // Each region loads on its own: wait for the summary and the timeline too before reading them.
    await page.waitForSelector('#summary h1');
    await page.waitForSelector('ol.timeline li');
    assert.match((await page.textContent('#summary h1')) ?? '', /CompletedWithErrors/);
    assert.equal(await page.locator('table.calls tbody tr').count(), 5);
    assert.equal(await page.textContent('table.calls a >> nth=3'), EVIL);
    assert.match(
      (await page.textContent('table.failures')) ?? '',
      /broken-stt-call\.wav[\s\S]*client_error[\s\S]*\/v1\/audio\/transcriptions/,
    );
    assert.ok((await page.locator('ol.timeline li').count()) >= 10);
    assert.match(
      (await page.getAttribute('a.button[target=_blank]', 'href')) ?? '',
      /\/namespaces\/cofi-test\/workflows\//,
    );
    await screenshot(page, 'dashboard-batch');
  });

  test('a call page shows language, transcript, analysis, answers with evidence and the score; audio plays', async () => {
    await page.click('table.calls a >> text=agent-anna.wav');
    await page.waitForSelector('table.answers tbody tr');
    assert.match((await page.textContent('#language')) ?? '', /confidence \d+%/);
    assert.equal(await page.locator('table.answers tbody tr').count(), 9);
    assert.ok((await page.locator('table.answers td.evidence').first().textContent())?.trim());
    assert.match((await page.textContent('[data-score]')) ?? '', /^\d+(\.\d)? \/ 100$/);
    assert.ok((await page.locator('ol.segments li').count()) > 0);
    assert.ok((await page.textContent('#analysis p'))?.trim());
    await page.waitForSelector('audio');
    const duration = await page.$eval('audio', async (audio) => {
      const a = audio as unknown as { duration: number; addEventListener(t: string, f: () => void): void };
      if (Number.isNaN(a.duration)) await new Promise<void>((r) => a.addEventListener('loadedmetadata', r));
      return a.duration;
    });
    assert.ok(Math.abs(duration - 40) < 0.5, `duration ${duration}`);
    await screenshot(page, 'dashboard-call');
  });

  test('reaudit selected calls from the batch page, then cancel it with the button', async () => {
    // Slow the simulated GPUs twentyfold: the reaudit must still be running when the button is pressed,
    // however slow this machine is at loading the page.
    stack.sim.setTimeScale(20);
    await page.goto(`${server.url}/ui/batches/${batchId}`);
    await page.waitForSelector('table.calls tbody tr');
    for (const name of ['agent-anna.wav', 'agent-bob.wav', 'agent-cleo.wav']) {
      await page.check(`table.calls input[name=audio_names][value="${name}"]`);
    }
    await page.check('form.reaudit input[name=stages][value=lid]');
    await page.click('form.reaudit button[type=submit]');
    await page.waitForSelector('form.reaudit .result.ok a');
    assert.match(
      (await page.textContent('form.reaudit .result')) ?? '',
      /queued reaudit-\d+: 3 call\(s\), stages lid, stt, redact, llm1, llm2/,
    );
    await page.click('form.reaudit .result a');
    await page.waitForSelector('button[data-action=cancel]', { timeout: 10_000 });
    await page.click('button[data-action=cancel]');
    await page.waitForSelector('[data-result=cancel].ok');
    await waitUntil(async () => /Cancelled/.test((await page.textContent('#summary h1')) ?? ''), 120_000);
    stack.sim.setTimeScale(1);
    // The answer to the click stays while the summary polls.
    assert.match((await page.textContent('[data-result=cancel]')) ?? '', /cancelling reaudit-\d+/);
    assert.equal(
      await page.locator('button[data-action=cancel]').count(),
      0,
      'no cancel button once it ended',
    );
    await page.waitForSelector('ol.timeline li.event-batch_cancelled');
    // A fresh load shows the rows as they ended (regions stop polling once their batch has ended).
    await page.reload();
    await page.waitForSelector('table.calls tbody tr');
    await page.waitForSelector('ol.timeline li.event-batch_cancelled');
    await screenshot(page, 'dashboard-reaudit-cancelled');
  });

  test('after the cancel no call of the reaudit is left running', async () => {
    // Pending too: a reaudit resets its calls' status before it runs them, and a cancel must not leave them so.
    const running = await page
      .locator('table.calls .status-inprogress, table.calls .status-queued, table.calls .status-pending')
      .count();
    assert.equal(running, 0, 'calls of a cancelled reaudit still marked running');
  });

  test('no script error and no dialog on any page (an alert would mean a name ran as markup)', () => {
    assert.deepEqual(problems, []);
  });
});
