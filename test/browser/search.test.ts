// The search page in headless Chromium on rows inserted by the test: filters narrow the table, words are found,
// names are shown as text, pages follow the API's cursor, a bad filter shows its 422, the search lives in the
// address bar (a reload shows it again), and the export buttons download the same search as CSV. The API is open
// (no keys) here.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { parseCsv, type SearchSeed, seedSearch } from '../api/searchSeed.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';

const skip = chromiumMissing();

describe('search page (seeded calls, open API)', { skip }, () => {
  let api: ApiApp;
  let seed: SearchSeed;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];

  before(async () => {
    api = await openApiApp();
    seed = await seedSearch(api);
    server = await serveApp(api.app);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    problems = watchPage(page);
    await page.goto(`${server.url}/`);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await seed?.cleanup();
    await api?.stop();
  });

  const rows = () => page.locator('table.search-results tbody tr');
  /** Fills the form afresh (batch filter always: other tests' calls share the database) and searches. */
  async function searchFor(fields: Record<string, string>) {
    await page.click('form.search button[type=reset]');
    await page.fill('form.search input[name=batch_id]', String(seed.batchId));
    for (const [name, value] of Object.entries(fields)) {
      const selector = `form.search [name=${name}]`;
      if ((await page.locator(selector).evaluate((el) => el.tagName)) === 'SELECT')
        await page.selectOption(selector, value);
      else await page.fill(selector, value);
    }
    const before = await page.getAttribute('#results', 'data-loaded');
    await page.click('form.search button[type=submit]');
    // A locator, not waitForFunction: a predicate run in the page is an eval, which the page's CSP refuses.
    const loaded = before === null ? '#results[data-loaded]' : `#results:not([data-loaded="${before}"])`;
    await page.locator(`${loaded}, form.search .result.bad:not(:empty)`).first().waitFor();
  }

  test('the nav links the page; filters narrow the table; names are text, linking their calls', async () => {
    await page.click('header nav a[href="/ui/search"]');
    await page.waitForSelector('form.search');
    await searchFor({ team: 'team-1', sort: 'id' });
    assert.equal(await rows().count(), 2);
    const first = page.locator(`tr[data-call="${seed.ids.refund}"] a`);
    assert.equal(await first.textContent(), 'refund, "quoted"\nname.wav');
    assert.equal(await first.getAttribute('href'), `/ui/calls/${seed.ids.refund}`);
    assert.equal(await page.textContent(`tr[data-call="${seed.ids.refund}"] [data-score]`), '90.0');
    assert.equal(await page.textContent(`tr[data-call="${seed.ids.kuendigung}"] a`), '=kuendigung.wav');
    // The search is in the address bar.
    const url = new URL(page.url());
    assert.equal(url.pathname, '/ui/search');
    assert.equal(url.searchParams.get('team'), 'team-1');
    await screenshot(page, 'search-results');
  });

  test('words in the transcript', async () => {
    await searchFor({ q: 'the Kündigung' });
    assert.equal(await rows().count(), 1);
    assert.equal(await page.locator(`tr[data-call="${seed.ids.kuendigung}"]`).count(), 1);
    assert.match((await page.textContent('#results')) ?? '', /words searched: kündigung\s+\(ignored: the\)/);
    await screenshot(page, 'search-words');
  });

  test('pages follow the cursor; the last page says so', async () => {
    await searchFor({ agent_id: 'agent-p', limit: '25', sort: 'score' });
    assert.equal(await rows().count(), 25);
    const firstIds = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-call')));
    await page.click('button[data-page=next]');
    await page.waitForSelector('text=Calls, page 2');
    assert.equal(await rows().count(), 5);
    assert.match((await page.textContent('[data-count]')) ?? '', /5 on this page \(the last\)/);
    const secondIds = await rows().evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-call')));
    assert.equal(new Set([...firstIds, ...secondIds]).size, 30, 'no call on both pages');
    await page.click('button[data-page=first]');
    await page.waitForSelector('text=Calls, page 1');
  });

  test('a bad filter shows the 422 naming it', async () => {
    await searchFor({ language: 'english' });
    assert.match(
      (await page.textContent('form.search .result.bad')) ?? '',
      /^422: query parameter language: language must be a language code/,
    );
  });

  test('a reload runs the search in the address bar again', async () => {
    await page.goto(`${server.url}/ui/search?batch_id=${seed.batchId}&reviewed=true`);
    await page.waitForSelector(`tr[data-call="${seed.ids.refund}"]`);
    assert.equal(await rows().count(), 1);
    assert.equal(await page.inputValue('form.search [name=reviewed]'), 'true');
  });

  test('export buttons download the same search as CSV, calls and answers', async () => {
    await searchFor({ team: 'team-1', sort: 'id' });
    const [calls] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button[data-export=calls]'),
    ]);
    assert.match(calls.suggestedFilename(), /^cofi-calls-\d{4}-\d{2}-\d{2}\.csv$/);
    const callRows = parseCsv(await readFile((await calls.path()) ?? '', 'utf8'));
    assert.equal(callRows[0]?.[0], 'call_id');
    assert.deepEqual(
      callRows.slice(1).map((r) => Number(r[0])),
      [seed.ids.refund, seed.ids.kuendigung],
    );
    const [answers] = await Promise.all([
      page.waitForEvent('download'),
      page.click('button[data-export=answers]'),
    ]);
    const answerRows = parseCsv(await readFile((await answers.path()) ?? '', 'utf8'));
    assert.equal(answerRows.length, 3, 'a header and the refund call’s two answers');
    await page.waitForSelector('form.search .result.ok');
    assert.match((await page.textContent('form.search .result')) ?? '', /downloaded cofi-answers-/);
    await screenshot(page, 'search-export');
    assert.deepEqual(problems, []);
  });
});
