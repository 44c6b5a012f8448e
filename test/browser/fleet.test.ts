// The fleet page in headless Chromium on the real stack: the nav links to it, a configured node nobody polls
// has a red "no poller" badge, a polled node shows its poller and in flight / capacity, a node a call failed
// on shows that error, and a model name full of markup stays text.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { createApp } from '../../api/app.js';
import { probeAudio } from '../../core/audio/probe.js';
import type { Config } from '../../core/config.js';
import { makeWav } from '../support/audio.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

const EVIL = '<img src=x onerror=alert(1)>';
const skip = chromiumMissing();

describe('fleet page (real stack, one configured node without a poller)', { skip }, () => {
  const tag = randomUUID().slice(0, 6);
  const a = `ui${tag}-a`;
  const b = `ui${tag}-b`;
  const gone = `ui${tag}-gone`;
  const llm = `ui${tag}-llm`;
  let stack: Stack;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    stack = await startStack({
      nodes: [
        { id: a, capacity: 2, lidPath: '/detect-language' },
        { id: b, capacity: 1 },
      ],
      llm: [{ id: llm, capacity: 4 }],
      simulator: { timeScale: 0, failures: { clientErrorPattern: '^broken-' } },
    });
    // The API's fleet has a third node the workers do not know: nobody polls its queue.
    const config: Config = {
      ...stack.config,
      fleet: {
        ...stack.config.fleet,
        nodes: [
          ...stack.config.fleet.nodes,
          { id: gone, url: 'http://127.0.0.1:9', capacity: 3, stages: ['lid', 'stt'], model: EVIL },
        ],
      },
    };
    server = await serveApp(
      createApp({ database: stack.database, temporal: stack.client, config, audio: stack.audio, probeAudio }),
    );
    // A call that fails at LID on the first node: its row shows the error.
    const res = await uploadAudit(
      stack.app,
      auditForm([{ name: `broken-${tag}.wav`, bytes: makeWav(2, 5) }]),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await waitForBatch(stack.app, String(res.body.task_id), 120_000);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await stack?.stop();
  });

  test('the nav leads to the fleet; the unpolled node has a red no-poller badge, the others their pollers', async () => {
    await page.goto(`${server.url}/`);
    await page.click('header nav a[href="/ui/fleet"]');
    await page.waitForURL(`${server.url}/ui/fleet`);
    const badge = page.locator(`tr[data-node="${gone}"] [data-fleet-status="no_poller"]`);
    await badge.waitFor();
    assert.equal(await badge.textContent(), 'no\u00a0poller');
    // Runs in the page (the tests' typecheck has no DOM types).
    type Styles = { getComputedStyle(el: unknown): { color: string } };
    const colour = await badge.evaluate((el) => (globalThis as unknown as Styles).getComputedStyle(el).color);
    assert.equal(colour, 'rgb(192, 38, 45)', 'red (--bad)');
    assert.match((await page.textContent('[data-no-poller]')) ?? '', new RegExp(`No poller on ${gone}`));
    // The workers' nodes are polled: their poller identity is listed (once the first poll reached Temporal).
    await page.waitForSelector(`tr[data-node="${b}"][data-status="ok"]`);
    assert.ok((await page.locator(`tr[data-node="${b}"] [data-poller]`).count()) >= 1);
    assert.match((await page.textContent(`tr[data-node="${b}"] td[data-in-flight]`)) ?? '', /^0 \/ 1$/);
    assert.match((await page.textContent(`tr[data-node="${gone}"] td[data-in-flight]`)) ?? '', /^0 \/ 3$/);
    assert.equal(await page.locator(`table.fleet[data-kind="llm"] tr[data-node="${llm}"]`).count(), 1);
  });

  test("the node the call failed on is erroring, with the failure's stage, type and time", async () => {
    const row = page.locator(`tr[data-node="${a}"]`);
    assert.equal(await row.getAttribute('data-status'), 'erroring');
    const text = (await row.textContent()) ?? '';
    assert.match(text, /lid/);
    assert.match(text, /client_error/);
    assert.match(text, /\d+ s ago|\d+ min ago/);
    assert.match(text, /answered 400/);
  });

  test('markup in the configuration is shown as text', async () => {
    assert.match((await page.textContent(`tr[data-node="${gone}"]`)) ?? '', /<img src=x onerror=alert\(1\)>/);
    assert.equal(await page.locator('#fleet img').count(), 0);
    await screenshot(page, 'fleet');
    assert.deepEqual(problems, []);
  });
});
