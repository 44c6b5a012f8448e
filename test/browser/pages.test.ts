// The dashboard's pages in headless Chromium on rows inserted by the test (no pipeline): a key is asked
// for and kept, data is shown as text (never markup), failures show their request, a call page plays its
// audio through a signed link, an action a key may not take shows its error, and the API docs answer.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { hashKey } from '../../api/auth.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const READ = 'browser-read-key-0001';
const OPERATOR = 'browser-operator-key-0001';
const EVIL = '<img src=x onerror=alert(1)>.wav';
const skip = chromiumMissing();

describe('dashboard pages (seeded data, API with keys)', { skip }, () => {
  let api: ApiApp;
  let seed: SeededBatch;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    api = await openApiApp({ API_KEYS: `read:${hashKey(READ)},operator:${hashKey(OPERATOR)}` });
    seed = await seedFinishedBatch(api.db, api.audio, [EVIL, 'broken-stt.wav']);
    server = await serveApp(api.app);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await seed?.cleanup();
    await api?.stop();
  });

  const saveKey = async (key: string) => {
    await page.fill('form.key input[name=key]', key);
    await page.click('form.key button[type=submit]');
  };

  test('without a key the page says one is needed; with the read key the batches appear', async () => {
    await page.goto(`${server.url}/`);
    await page.waitForSelector('[data-notice]:not([hidden])');
    assert.match((await page.textContent('[data-notice]')) ?? '', /401: an API key is required/);
    await screenshot(page, 'pages-key-required');
    await saveKey(READ);
    await page.waitForSelector(`tr[data-batch="${seed.batchId}"]`);
    assert.equal(await page.textContent('[data-key-state]'), 'key saved in this browser');
    // A 401 of the first load may still arrive after the key was saved; the reload with the key clears it.
    await page.waitForSelector('[data-notice]', { state: 'hidden' });
  });

  test('batch page: counts, timeline, failure with its request; names shown as text', async () => {
    await page.click(`tr[data-batch="${seed.batchId}"] a`);
    await page.waitForSelector('table.failures');
    await page.waitForSelector('table.calls');
    assert.equal(await page.textContent(`tr[data-call="${seed.okCallId}"] a`), EVIL);
    assert.equal(await page.locator('#calls img').count(), 0, 'the name did not become an <img>');
    assert.match((await page.textContent('table.failures code.url')) ?? '', /\/v1\/audio\/transcriptions$/);
    await page.click('table.failures details summary');
    assert.match(
      (await page.textContent('table.failures details pre')) ?? '',
      /"response_format": "verbose_json"/,
    );
    await page.waitForSelector('ol.timeline li');
    await page.waitForSelector('tr[data-stage-row="stt"]');
    assert.equal(await page.locator('ol.timeline li').count(), 4);
    assert.match((await page.textContent('tr[data-stage-row="stt"]')) ?? '', /CompleteWithErrors.*1\/2/s);
    // Temporal Web UI: the batch's run, all its workflows, and the failed call's workflow in this batch.
    const temporal = (which: string) => page.getAttribute(`a[data-temporal="${which}"]`, 'href');
    assert.match(
      (await temporal('batch')) ?? '',
      /^http:\/\/127\.0\.0\.1:8233\/namespaces\/cofi-test\/workflows\/[^?]+$/,
    );
    assert.match(
      decodeURIComponent((await temporal('workflows')) ?? ''),
      new RegExp(`CofiBatchId = ${seed.batchId}$`),
    );
    assert.match(
      decodeURIComponent((await temporal('failure')) ?? ''),
      /AND CofiBatchId = \d+ AND CofiCallId = \d+$/,
    );
    await screenshot(page, 'pages-batch');
  });

  test('a read key may not reaudit: the form shows the 403 detail', async () => {
    await page.check(`tr[data-call="${seed.okCallId}"] input[name=audio_names]`);
    await page.check('form.reaudit input[name=stages][value=llm2]');
    await page.click('form.reaudit button[type=submit]');
    await page.waitForSelector('form.reaudit .result.bad');
    assert.match(
      (await page.textContent('form.reaudit .result')) ?? '',
      /403: a "read" key may not POST \/reaudit/,
    );
  });

  test('call page: language, answers with evidence, score, transcript; audio plays via a signed link', async () => {
    await page.goto(`${server.url}/ui/calls/${seed.okCallId}`);
    const workflows = await page.getAttribute('a[data-temporal="call"]', 'href');
    assert.match(decodeURIComponent(workflows ?? ''), new RegExp(`CofiCallId = ${seed.okCallId}$`));
    await page.waitForSelector('table.answers');
    assert.match((await page.textContent('#language')) ?? '', /en\s+confidence 93%/);
    assert.equal(await page.locator('table.answers tbody tr').count(), 2);
    assert.match(
      (await page.textContent('tr[data-question="identity_verification"] .evidence')) ?? '',
      /<img src=x onerror=alert\(2\)>/,
    );
    assert.match((await page.textContent('[data-score]')) ?? '', /87\.5/);
    assert.match((await page.textContent('ol.segments')) ?? '', /<script>alert\(1\)<\/script>/);
    const src = await page.getAttribute('audio[data-player]', 'src');
    assert.match(src ?? '', /\/audio\?exp=\d+&sig=/);
    // Runs in the page (serialised): only what is written inside the function exists there.
    const duration = await page.evaluate(async () => {
      type Player = {
        duration: number;
        addEventListener(type: string, listener: () => void, o: object): void;
      };
      const audio = (
        globalThis as unknown as { document: { querySelector(s: string): Player } }
      ).document.querySelector('audio');
      if (Number.isNaN(audio.duration))
        await new Promise<void>((r) => audio.addEventListener('loadedmetadata', r, { once: true }));
      return audio.duration;
    });
    assert.ok(Math.abs(duration - 2) < 0.1, `duration ${duration}`);
    await page.click('button[data-seek="1.2"]');
    const position = await page.evaluate(
      () =>
        (
          globalThis as unknown as { document: { querySelector(s: string): { currentTime: number } } }
        ).document.querySelector('audio').currentTime,
    );
    assert.ok(position >= 1.2, `position ${position}`);
    await screenshot(page, 'pages-call');
  });

  test('API docs (Swagger UI, served by the API) try an operation with the saved key', async () => {
    const outside: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url) && !r.url().startsWith('data:')) outside.push(r.url());
    });
    await page.goto(`${server.url}/docs`);
    const op = page.locator('.opblock-get', {
      has: page.locator('.opblock-summary-path[data-path="/batches/{id}"]'),
    });
    await op.locator('.opblock-summary-control').click();
    await op.locator('button.try-out__btn').click();
    await op.locator('tr[data-param-name="id"] input').fill(String(seed.batchId));
    await op.locator('button.execute').click();
    const answer = op.locator('.live-responses-table .response');
    await answer.locator('.response-col_status', { hasText: '200' }).waitFor();
    assert.match(
      (await answer.locator('.response-col_description').textContent()) ?? '',
      /"task_id": "audit-\d+"/,
    );
    assert.deepEqual(outside, [], 'the docs page loads nothing from outside the API');
    await screenshot(page, 'pages-docs');
  });

  test('no script error and no dialog on any page', () => {
    assert.deepEqual(problems, []);
  });
});
