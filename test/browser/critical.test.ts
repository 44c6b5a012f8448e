// Questionnaires and critical questions in headless Chromium, on a process of the test's own: an operator
// publishes a questionnaire from the Questionnaires page (preview, a refused version's detail, the versions
// table); a call scored with it whose critical question was answered "no" shows "failed on a critical item"
// with score 0 on its call page and a critical badge in its batch's call table. Screenshots of each.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { hashKey } from '../../api/auth.js';
import { scoreQuestionnaire } from '../../core/inference/questionnaire.js';
import {
  auditAnswer,
  auditQuestion,
  batchStatus,
  call,
  process,
  questionnaireVersion,
} from '../../drizzle/schema/index.js';
import { currentQuestionnaire, scoringQuestions } from '../../lifecycle/questionnaires.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { chromiumMissing, launchChromium, screenshot, serveApp, watchPage } from '../support/browser.js';

const tag = randomUUID().slice(0, 8);
const OPERATOR = `critical-operator-key-${tag}`;
const P = 1_600_000_000 + randomInt(0, 500_000_000);
const skip = chromiumMissing();

const QUESTIONNAIRE = {
  note: 'with a critical identity check',
  questions: [
    { code: 'greeting', text: 'Did the agent greet the customer?', answer_type: 'yes_no', weight: 10 },
    {
      code: 'identity_verification',
      text: 'Did the agent verify the customer before discussing the account?',
      answer_type: 'yes_no',
      weight: 30,
      critical: true,
    },
    { code: 'empathy', text: 'How empathetic was the agent?', answer_type: 'scale_1_5', weight: 20 },
  ],
};

describe('critical questions in the dashboard', { skip }, () => {
  let api: ApiApp;
  let server: Awaited<ReturnType<typeof serveApp>>;
  let browser: Browser;
  let page: Page;
  let problems: string[];
  let batchId = 0;
  let callId = 0;

  before(async () => {
    api = await openApiApp({ API_KEYS: `operator:qa-lead-${tag}:${hashKey(OPERATOR)}` });
    await api.db.insert(process).values({ id: P, name: `Critical test ${tag}`, description: 'browser test' });
    server = await serveApp(api.app);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    problems = watchPage(page);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (callId) await api.db.delete(auditAnswer).where(eq(auditAnswer.callId, callId));
    if (batchId) {
      await api.db.delete(call).where(eq(call.batchId, batchId));
      await api.db.delete(batchStatus).where(eq(batchStatus.id, batchId));
    }
    await api?.db.delete(auditQuestion).where(eq(auditQuestion.processId, P));
    await api?.db.delete(questionnaireVersion).where(eq(questionnaireVersion.processId, P));
    await api?.db.delete(process).where(inArray(process.id, [P]));
    await api?.stop();
  });

  const publishJson = async (body: unknown) => {
    await page.fill('[data-questionnaire-json]', JSON.stringify(body, null, 2));
    await page.click('form[data-action="publish-questionnaire"] button[type=submit]');
  };

  test('an operator creates the questionnaire from the Questionnaires page', async () => {
    await page.goto(`${server.url}/`);
    await page.fill('form.key input[name=key]', OPERATOR);
    await page.click('form.key button[type=submit]');
    // From the nav to the process's page: the list says it has no questionnaire yet.
    await page.click('header nav a[href="/ui/questionnaires"]');
    await page.waitForSelector(`tr[data-process="${P}"]`);
    assert.match(
      (await page.textContent(`tr[data-process="${P}"]`)) ?? '',
      /none.*create its questionnaire/s,
    );
    await page.click(`tr[data-process="${P}"] a`);
    await page.waitForSelector('[data-no-questionnaire]');
    // A refused version: the API's detail, naming the question and field, and nothing published.
    await publishJson({
      questions: [
        { code: 'empathy', text: 'How empathetic?', answer_type: 'scale_1_5', weight: 5, critical: true },
      ],
    });
    await page.waitForSelector('form[data-action="publish-questionnaire"] [data-result].bad');
    assert.match(
      (await page.textContent('form[data-action="publish-questionnaire"] [data-result]')) ?? '',
      /422: questions\[0\] \("empathy"\)\.critical: only a question that can be answered "no" can be critical/,
    );
    assert.equal(await currentQuestionnaire(api.db, P), null);

    await page.fill('[data-questionnaire-json]', JSON.stringify(QUESTIONNAIRE, null, 2));
    await page.dispatchEvent('[data-questionnaire-json]', 'input');
    await page.waitForSelector('[data-preview] tr[data-preview-question="identity_verification"]');
    assert.match(
      (await page.textContent('[data-preview] tr[data-preview-question="identity_verification"]')) ?? '',
      /50\.0%.*critical: "no" scores the call 0/s,
    );
    await page.click('form[data-action="publish-questionnaire"] button[type=submit]');
    await page.waitForSelector('tr[data-version="1"][data-current]');
    assert.match((await page.textContent('[data-result=publish]')) ?? '', /published version 1/);
    assert.equal(await page.locator('#questions .badge.critical').count(), 1);
    await screenshot(page, 'questionnaire-published');
    const current = await currentQuestionnaire(api.db, P);
    assert.equal(current?.version.version, 1);
    assert.equal(current?.version.publishedBy, `qa-lead-${tag}`);
  });

  test('a call that failed a critical question shows it on its page and in its batch', async () => {
    const current = await currentQuestionnaire(api.db, P);
    assert.ok(current);
    // Scored the way llm2 scores: the one scoring function, on the current version's questions.
    const scored = scoreQuestionnaire(scoringQuestions(current.questions), {
      greeting: { answer: 'yes', evidence: 'Good morning, you are speaking with Sam.' },
      identity_verification: { answer: 'no', evidence: 'The agent read out the balance without any check.' },
      empathy: { answer: '5', evidence: 'I understand how frustrating that is.' },
    });
    assert.equal(scored.callScore, 0);
    const [b] = await api.db.insert(batchStatus).values({
      batchDate: new Date().toISOString().slice(0, 10),
      kind: 'audit',
      status: 'Completed',
      taskId: `critical-${tag}`,
      workflowId: `test/critical-${tag}`,
      processId: P,
      categoryMappingId: 1,
      stages: ['distribute', 'lid', 'stt', 'llm1', 'llm2'],
      totalFiles: 1,
      completedFiles: 1,
      failedFiles: 0,
      attempt: 1,
      startedAt: new Date(Date.now() - 60_000),
      completedAt: new Date(),
    });
    batchId = b.insertId;
    const [c] = await api.db.insert(call).values({
      batchId,
      audioName: 'account-balance-call.wav',
      storedPath: `batch-${batchId}/00001.wav`,
      processId: P,
      status: 'Completed',
      stage: 'llm2',
      lang: 'en',
      auditScore: scored.callScore,
      questionnaireVersionId: current.version.id,
      criticalFailure: scored.criticalFailure,
    });
    callId = c.insertId;
    await api.db
      .insert(auditAnswer)
      .values(
        scored.answers.map((a) => ({ ...a, callId, model: 'sim', promptVersion: 'llm2-questionnaire.v1' })),
      );

    await page.goto(`${server.url}/ui/calls/${callId}`);
    await page.waitForSelector('[data-critical-failure]');
    assert.equal(
      await page.getAttribute('[data-critical-failure]', 'data-critical-failure'),
      'identity_verification',
    );
    assert.match(
      (await page.textContent('#score')) ?? '',
      /0\.0\s*\/ 100.*failed on a critical item: identity_verification answered no, so the score is 0.*questionnaire version 1/s,
    );
    assert.equal(
      await page.getAttribute('tr[data-question="identity_verification"]', 'data-critical'),
      'failed',
    );
    assert.equal(await page.getAttribute('tr[data-question="greeting"]', 'data-critical'), null);
    await screenshot(page, 'critical-failure-call');

    await page.goto(`${server.url}/ui/batches/${batchId}`);
    await page.waitForSelector(`tr[data-call="${callId}"] [data-critical-failure]`);
    await screenshot(page, 'critical-failure-batch');
    assert.deepEqual(problems, []);
  });
});
