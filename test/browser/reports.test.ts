// The reports page and the batch page's retry button in headless Chromium, on rows inserted by the test (no
// pipeline): the chart is server-rendered SVG with a line per agent, the tables show the hand-worked figures, the
// filters are a GET form whose query the fragment checks; "Retry 1 failed call" starts the reaudit of the failed
// call and links it; a running batch's call an hour in STT is listed as stuck. Screenshots:
// test-results/screenshots/reports*.png, retry-failed.png and batch-stuck.png.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { hashKey } from '../../api/auth.js';
import {
  auditAnswer,
  auditQuestion,
  batchStatus,
  call,
  callLock,
  process,
  questionnaireVersion,
  reauditCall,
  stageOutcome,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `reports-browser-read-${tag}`;
const OPERATOR = `reports-browser-operator-${tag}`;
const processId = 800_000 + Math.floor(Math.random() * 100_000);
const skip = chromiumMissing();

describe('reports page and retry button', { skip }, () => {
  let api: ApiApp;
  let seed: SeededBatch;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let versionId: number;
  const callIds: number[] = [];
  const questionIds: number[] = [];

  before(async () => {
    api = await openApiApp({ API_KEYS: `read:${hashKey(READ)},operator:${hashKey(OPERATOR)}` });
    await api.db.insert(process).values({ id: processId, name: `<b>reports</b> ${tag}` });
    const [v] = await api.db
      .insert(questionnaireVersion)
      .values({ processId, version: 1, publishedAt: new Date(), publishedBy: 'test' });
    versionId = v.insertId;
    for (const [code, critical] of [
      ['greeting', false],
      ['identity_check', true],
      ['<i>closing</i>', false],
    ] as const) {
      const [q] = await api.db.insert(auditQuestion).values({
        processId,
        versionId,
        position: questionIds.length + 1,
        code,
        text: `Did the agent do the ${code}?`,
        answerType: 'yes_no',
        weight: 1,
        critical,
      });
      questionIds.push(q.insertId);
    }
    // Three agents over ten days, scores drifting, one critical failure.
    const agents = ['alice', 'bob', '<script>eve</script>'];
    for (let d = 1; d <= 10; d += 1) {
      for (const [i, agent] of agents.entries()) {
        const score = Math.max(0, Math.min(100, 55 + i * 12 + d * 3 - ((d * (i + 2)) % 17)));
        const critical = agent === 'bob' && d === 7;
        const [row] = await api.db.insert(call).values({
          batchId: 0,
          audioName: `reports-${tag}-${d}-${i}.wav`,
          storedPath: 'none',
          processId,
          status: 'Completed',
          agentId: agent,
          team: i === 2 ? 'night' : 'day',
          callStartedAt: new Date(`2003-04-${String(d).padStart(2, '0')}T09:00:00Z`),
          auditScore: critical ? 0 : score,
        });
        callIds.push(row.insertId);
        await api.db.insert(auditAnswer).values(
          questionIds.map((questionId, k) => {
            const no = (k === 1 && critical) || (k === 0 && score < 60) || (k === 2 && d % 4 === 0);
            return {
              callId: row.insertId,
              questionId,
              answer: no ? 'no' : 'yes',
              score: no ? 0 : 1,
              maxScore: 1,
            };
          }),
        );
      }
    }
    seed = await seedFinishedBatch(api.db, api.audio, [`ok ${tag}.wav`, `broken ${tag}.wav`]);
    server = await serveApp(api.app);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1100 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    const reaudits = await api.db
      .select({ id: reauditCall.batchId })
      .from(reauditCall)
      .where(eq(reauditCall.callId, seed.failedCallId));
    for (const { id } of reaudits) {
      const [b] = await api.db.select().from(batchStatus).where(eq(batchStatus.id, id));
      if (b)
        await api.deps.temporal.workflow
          .getHandle(b.workflowId)
          .terminate('test done')
          .catch(() => undefined);
      await api.db.delete(callLock).where(eq(callLock.batchId, id));
      await api.db.delete(reauditCall).where(eq(reauditCall.batchId, id));
      await api.db.delete(batchStatus).where(eq(batchStatus.id, id));
    }
    await seed?.cleanup();
    await api.db.delete(auditAnswer).where(inArray(auditAnswer.callId, callIds));
    await api.db.delete(call).where(inArray(call.id, callIds));
    await api.db.delete(auditQuestion).where(eq(auditQuestion.versionId, versionId));
    await api.db.delete(questionnaireVersion).where(eq(questionnaireVersion.id, versionId));
    await api.db.delete(process).where(eq(process.id, processId));
    await api?.stop();
  });

  const saveKey = async (key: string) => {
    await page.fill('form.key input[name=key]', key);
    await page.click('form.key button[type=submit]');
  };

  test('the report: a line per agent in an SVG chart, tables, names as text', async () => {
    await page.goto(`${server.url}/ui/reports?from=2003-04-01&to=2003-04-10&process=${processId}`);
    await saveKey(READ);
    await page.waitForSelector('svg[data-chart="trend"]');
    // All calls plus the three agents, each a polyline with a point per day.
    assert.equal(await page.locator('svg[data-chart="trend"] g[data-series]').count(), 4);
    assert.equal(await page.locator('svg[data-chart="trend"] g[data-series="alice"] circle').count(), 10);
    assert.equal(await page.locator('table.agents tbody tr').count(), 3);
    const bob = page.locator('table.agents tr[data-agent="bob"] td');
    assert.equal(await bob.nth(2).textContent(), '10');
    assert.equal(await bob.nth(7).textContent(), '1', "bob's critical failure");
    // Names from the data are text, never markup.
    assert.equal(
      await page.locator('table.agents tr[data-agent="<script>eve</script>"] td').first().textContent(),
      '<script>eve</script>',
    );
    assert.equal(await page.locator('#report i, #report script').count(), 0);
    // Questions: the critical one marked, its failures counted.
    assert.equal(await page.locator('svg[data-chart="questions"] g[data-question]').count(), 3);
    const identity = page.locator(`table.questions tr[data-question="${questionIds[1]}"]`);
    assert.match((await identity.textContent()) ?? '', /critical/);
    assert.equal(await identity.locator('td').nth(7).textContent(), '1');
    await screenshot(page, 'reports');
    assert.deepEqual(problems, []);
  });

  test('the filters are a GET form: per week keeps the period and process', async () => {
    await page.selectOption('form.report-filters select[name=bucket]', 'week');
    await page.click('form.report-filters button[type=submit]');
    await page.waitForURL(/bucket=week/);
    await page.waitForSelector('svg[data-chart="trend"]');
    assert.match(page.url(), new RegExp(`process=${processId}`));
    // 2003-04-01 is a Tuesday: the weeks of Mar 31, Apr 7.
    assert.equal(await page.locator('svg[data-chart="trend"] g[data-series="alice"] circle').count(), 2);
    await screenshot(page, 'reports-weekly');
  });

  test('a bad period shows the 422 in the region', async () => {
    await page.goto(`${server.url}/ui/reports?from=2003-04-10&to=2003-04-01`);
    await page.locator('#report', { hasText: /422/ }).waitFor();
    assert.match(
      (await page.textContent('#report')) ?? '',
      /422: query parameter from: 2003-04-10 is after to/,
    );
  });

  test('batch page: "Retry 1 failed call" re-runs the failed call and links its reaudit', async () => {
    await saveKey(OPERATOR);
    await page.goto(`${server.url}/ui/batches/${seed.batchId}`);
    const button = page.locator('button[data-action="retry-failed"]');
    await button.waitFor();
    assert.equal(await button.textContent(), 'Retry 1 failed call');
    await button.click();
    const link = page.locator('[data-result=cancel] a[data-retry]');
    await link.waitFor();
    assert.match(
      (await page.textContent('[data-result=cancel]')) ?? '',
      /retrying 1 failed call\(s\) of audit-\d+/,
    );
    assert.match((await link.textContent()) ?? '', /^reaudit-\d+ \(1 from stt\)$/);
    await screenshot(page, 'retry-failed');
    // Asked again while that reaudit holds the call: the refusal is shown.
    await button.click();
    await page.locator('[data-result=cancel]', { hasText: /409/ }).waitFor();
    assert.match((await page.textContent('[data-result=cancel]')) ?? '', /held by a running batch/);
    await link.first().waitFor({ state: 'detached' });
  });

  test('a running batch page lists its call an hour in STT as stuck', async () => {
    const [b] = await api.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'audit',
      status: 'InProgress',
      taskId: `stuck-${tag}`,
      workflowId: `test/stuck-${tag}`,
      processId: 1,
      stages: ['distribute', 'lid', 'stt', 'llm1', 'llm2'],
      totalFiles: 1,
      startedAt: new Date(Date.now() - 7_200_000),
    });
    const [c] = await api.db.insert(call).values({
      batchId: b.insertId,
      audioName: `stuck <b>call</b> ${tag}.wav`,
      storedPath: 'none',
      processId: 1,
      status: 'InProgress',
    });
    try {
      await api.db.insert(callLock).values({ callId: c.insertId, batchId: b.insertId });
      await api.db.insert(stageOutcome).values(
        (['distribute', 'lid'] as const).map((stage, i) => ({
          batchId: b.insertId,
          callId: c.insertId,
          stage,
          outcome: 'done' as const,
          finishedAt: new Date(Date.now() - (7200 - i * 3600) * 1000),
        })),
      );
      await page.goto(`${server.url}/ui/batches/${b.insertId}`);
      const item = page.locator(`[data-stuck-call="${c.insertId}"]`);
      await item.waitFor();
      assert.match(
        (await item.textContent()) ?? '',
        /stuck <b>call<\/b> .* in stt for 1 h 0 min \(usually .*; flagged after 5 min 0 s\)/,
      );
      assert.match((await page.textContent('.stuck p')) ?? '', /1 stuck call/);
      await screenshot(page, 'batch-stuck');
    } finally {
      await api.db.delete(stageOutcome).where(eq(stageOutcome.batchId, b.insertId));
      await api.db.delete(callLock).where(eq(callLock.batchId, b.insertId));
      await api.db.delete(call).where(eq(call.id, c.insertId));
      await api.db.delete(batchStatus).where(eq(batchStatus.id, b.insertId));
    }
  });
});
