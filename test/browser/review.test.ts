// The QA workbench in headless Chromium (API with a reviewer key, real MariaDB): a reviewer overrides an answer
// on the call page (the score and the history update), the call's versions show a diff, and the agreement page
// draws the overturn rate. The call has an earlier version as a reaudit leaves one: its results kept by the
// snapshot (lifecycle/versions.ts), then new answers written (test/integration/versions.test.ts runs a real one).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { hashKey } from '../../api/auth.js';
import {
  answerOverride,
  answerReview,
  auditAnswer,
  call,
  callReview,
  resultVersion,
  reviewVerdict,
} from '../../drizzle/schema/index.js';
import { reconcileReviews } from '../../lifecycle/overrides.js';
import { snapshotResults } from '../../lifecycle/versions.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const REVIEWER = `ui-reviewer-${tag}`;
const REVIEWER_NAME = `qa-anna-${tag}`;
const skip = chromiumMissing();

describe('reviewing a call in the dashboard', { skip }, () => {
  let api: ApiApp;
  let seed: SeededBatch;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let id: number;

  before(async () => {
    api = await openApiApp({ API_KEYS: `reviewer:${REVIEWER_NAME}:${hashKey(REVIEWER)}` });
    seed = await seedFinishedBatch(api.db, api.audio, [`review-${tag}.wav`, `review-failed-${tag}.wav`]);
    id = seed.okCallId;
    // What a reaudit of llm2 leaves: the old results as version 1, then new answers (greeting now no).
    await api.db.transaction((tx) =>
      snapshotResults(tx, { id: seed.batchId, taskId: `reaudit-of-${tag}`, stages: ['llm2'] }, [id]),
    );
    await api.db
      .update(auditAnswer)
      .set({ answer: 'no', score: 0 })
      .where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 101)));
    await api.db.update(call).set({ auditScore: 0 }).where(eq(call.id, id));
    server = await serveApp(api.app);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    for (const t of [answerOverride, answerReview, callReview, reviewVerdict, resultVersion])
      await api?.db.delete(t).where(eq(t.callId, id));
    await seed?.cleanup();
    await api?.stop();
  });

  test('a reviewer overrides an answer: the score recomputes and the override is in the history', async () => {
    await page.goto(`${server.url}/ui/calls/${id}`);
    await page.fill('form.key input[name=key]', REVIEWER);
    await page.click('form.key button[type=submit]');
    const row = 'tr[data-review-question="identity_verification"]';
    await page.waitForSelector(row);
    assert.equal((await page.textContent(`${row} [data-effective]`))?.trim(), 'no');
    await screenshot(page, 'review-1-call-before-override');

    await page.selectOption(`${row} select[name=answer]`, 'yes');
    await page.fill(`${row} input[name=reason]`, 'the agent checked date of birth and postcode at 0:40');
    await page.click(`${row} form[data-review=override] button`);
    await page.waitForSelector('[data-result=review].ok');
    assert.match(
      (await page.textContent('[data-result=review]')) ?? '',
      /overridden: no → yes; the call score is now 65\.2/,
    );
    // The regions reload: the effective answer, the overridden mark, the score and the history.
    await page.waitForSelector(`${row} [data-overridden]`);
    assert.equal((await page.textContent(`${row} [data-effective] .badge`))?.trim(), 'yes');
    assert.equal((await page.textContent(`${row} [data-ai]`))?.trim(), 'no');
    // A locator, not waitForFunction: a predicate run in the page is an eval, which the page's CSP refuses.
    await page.locator('#call [data-score]', { hasText: '65.2' }).waitFor();
    const history = await page.$$eval('[data-history] tbody tr', (rows) =>
      rows.map((r) => r.textContent ?? ''),
    );
    assert.equal(history.length, 1);
    assert.match(
      history[0]!,
      new RegExp(`${REVIEWER_NAME}.*reviewer.*identity_verification.*override.*no → yes`, 's'),
    );
    assert.match((await page.textContent('[data-reviewed]')) ?? '', new RegExp(REVIEWER_NAME));
    await screenshot(page, 'review-2-answer-overridden');

    // What the page did is what the database holds.
    const [stored] = await api.db
      .select()
      .from(auditAnswer)
      .where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 102)));
    assert.equal(stored?.answer, 'yes');
  });

  test('a later reaudit that changes the AI answer flags the override; the reviewer confirms it with the button', async () => {
    // What llm2 of a reaudit does after writing new AI answers (here the AI now says yes to identity).
    await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: seed.batchId,
        answers: [
          { questionId: 101, answer: 'no' },
          { questionId: 102, answer: 'yes' },
        ],
      }),
    );
    await page.reload();
    const row = 'tr[data-review-question="identity_verification"]';
    await page.waitForSelector(`${row}[data-flagged]`);
    assert.match((await page.textContent('[data-ai-changed]')) ?? '', /AI answer changed since review/);
    assert.match((await page.textContent(`${row} [data-ai]`)) ?? '', /yes\s*was no at review/);
    await page.locator('#review').scrollIntoViewIfNeeded();
    await screenshot(page, 'review-3-ai-changed-since-review');
    await page.click(`${row} [data-confirm]`);
    await page.waitForSelector('[data-result=review].ok');
    await page.waitForSelector('[data-ai-changed]', { state: 'detached' });
    const history = await page.$$eval('[data-history] tbody tr', (rows) =>
      rows.map((r) => r.textContent ?? ''),
    );
    assert.equal(history.length, 2);
    assert.match(history[0]!, /confirm/);
  });

  test('the versions region lists both versions and shows which answers changed', async () => {
    await page.waitForSelector('table.versions tr[data-version="2"]');
    const versions = await page.$$eval('table.versions tbody tr', (rows) =>
      rows.map((r) => r.dataset.version),
    );
    assert.deepEqual(versions, ['1', '2']);
    // The default diff: version 1 against the current results (the reaudit's greeting, the reviewer's identity).
    await page.waitForSelector('[data-diff="1-2"]');
    const changed = await page.$$eval('[data-diff] tr[data-changed]', (rows) =>
      rows.map((r) => [r.dataset.changed, ...[...r.querySelectorAll('.badge')].map((b) => b.textContent)]),
    );
    assert.deepEqual(changed, [
      ['greeting', 'yes', 'no'],
      ['identity_verification', 'no', 'yes'],
    ]);
    // Comparing a version with itself shows no diff; back to 1 -> 2 through the form.
    await page.selectOption('form[data-review=diff] select[name=from]', '2');
    await page.click('form[data-review=diff] button');
    await page.waitForSelector('[data-diff]', { state: 'detached' });
    await page.selectOption('form[data-review=diff] select[name=from]', '1');
    await page.click('form[data-review=diff] button');
    await page.waitForSelector('[data-diff="1-2"]');
    await page.locator('#versions').scrollIntoViewIfNeeded();
    await screenshot(page, 'review-4-version-diff');
  });

  test('the agreement page shows the overturned answer per question and the weekly chart', async () => {
    // After the reaudit the AI agrees with the reviewer on identity (nothing overturned there); the reviewer now
    // overturns the AI's greeting, so this call alone gives the question an overturn, whatever else the
    // database holds.
    const res = await api.app.request(`/calls/${id}/answers/101/override`, {
      method: 'POST',
      headers: { authorization: `Bearer ${REVIEWER}`, 'content-type': 'application/json' },
      body: JSON.stringify({ answer: 'yes', reason: 'the agent greeted the customer by name at 0:02' }),
    });
    assert.equal(res.status, 200, await res.text());
    await page.goto(`${server.url}/ui/agreement`);
    await page.waitForSelector('[data-agreement-question="1:identity_verification"]');
    await page.waitForSelector('svg[data-chart=agreement] circle');
    assert.ok(
      await page.$('table.flagged, #agreement h3 + p.muted'),
      'the flagged calls are listed (or none)',
    );
    const cells = await page.$$eval('[data-agreement-question="1:greeting"] td', (tds) =>
      tds.map((t) => t.textContent?.trim()),
    );
    assert.ok(Number(cells[3]) >= 1, `overturned at least once: ${cells.join(' | ')}`);
    await page.selectOption('#agreement select[name=process_id]', '1');
    await page.click('#agreement form button');
    await page.waitForSelector('#agreement select[name=process_id] option[value="1"][selected]', {
      state: 'attached',
    });
    await screenshot(page, 'review-5-agreement');
    assert.deepEqual(problems, []);
  });

  test('a reaudit scored with a questionnaire version without the overridden question flags it "not carried"', async () => {
    // What llm2 does with a questionnaire version that no longer asks identity_verification: its answer goes,
    // the new answers are written, and the reviewer's verdict on identity cannot apply.
    await api.db.delete(auditAnswer).where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 102)));
    await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: seed.batchId,
        answers: [{ questionId: 101, answer: 'no' }],
      }),
    );
    await page.goto(`${server.url}/ui/calls/${id}`);
    await page.waitForSelector('[data-not-carried="1"]');
    assert.match(
      (await page.textContent('[data-not-carried]')) ?? '',
      /override\(s\) not carried: question changed.*identity_verification/s,
    );
    await page.locator('#review').scrollIntoViewIfNeeded();
    await screenshot(page, 'review-6-override-not-carried');
    await page.click('[data-not-carried-question="102"] [data-acknowledge]');
    await page.waitForSelector('[data-result=review].ok');
    await page.waitForSelector('[data-not-carried]', { state: 'detached' });
    assert.deepEqual(problems, []);
  });
});
