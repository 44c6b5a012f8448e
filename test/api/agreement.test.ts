// GET /reports/agreement on the real MariaDB: how often reviewers overturned the AI, per process, per question
// and per week. Other tests share the database, so the figures are checked as differences from before: three
// reviewed calls (one overturned answer, one marked reviewed without a change, one overridden and set back to
// the AI's answer) and one call nobody reviewed. An erased call leaves the figures; bad filters are 422s. What
// counts is what a reviewer saw at the action (reviewVerdict): an answer written after it is not reviewed, a
// later action is filed under its own week, and the figures stay when retention expires the answers.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  answerOverride,
  answerReview,
  auditAnswer,
  auditQuestion,
  callReview,
  reviewVerdict,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `ag-read-${tag}`;
const REVIEWER = `ag-reviewer-${tag}`;
const OPERATOR = `ag-operator-${tag}`;

let api: ApiApp;
const seeds: SeededBatch[] = [];
let extraQuestion: number | undefined;

before(async () => {
  api = await openApiApp({
    API_KEYS: [
      `read:ag-reader-${tag}:${hashKey(READ)}`,
      `reviewer:ag-reviewer-${tag}:${hashKey(REVIEWER)}`,
      `operator:ag-lead-${tag}:${hashKey(OPERATOR)}`,
    ].join(','),
  });
  for (const n of [1, 2, 3, 4])
    seeds.push(
      await seedFinishedBatch(api.db, api.audio, [`ag-${n}-${tag}.wav`, `ag-${n}-failed-${tag}.wav`]),
    );
});
after(async () => {
  for (const s of seeds) {
    for (const t of [answerOverride, answerReview, callReview, reviewVerdict])
      await api.db.delete(t).where(eq(t.callId, s.okCallId));
    await s.cleanup();
  }
  if (extraQuestion) await api.db.delete(auditQuestion).where(eq(auditQuestion.id, extraQuestion));
  await api?.stop();
});

type Row = { reviewed: number; overturned: number; rate: number | null };
type Report = {
  totals: Row & { reviewed_calls: number };
  processes: (Row & { process_id: number; reviewed_calls: number })[];
  questions: (Row & { process_id: number; code: string })[];
  weeks: (Row & { week: string; process_id: number })[];
};

async function send(method: string, url: string, key: string, body?: unknown) {
  const res = await api.app.request(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
async function report(query = 'process_id=1'): Promise<Report> {
  const res = await send('GET', `/reports/agreement?${query}`, READ);
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body as unknown as Report;
}
const question = (r: Report, code: string) =>
  r.questions.find((q) => q.process_id === 1 && q.code === code) ?? { reviewed: 0, overturned: 0 };
const process1 = (r: Report) =>
  r.processes.find((p) => p.process_id === 1) ?? { reviewed: 0, overturned: 0, reviewed_calls: 0 };
/** Monday of this week, UTC (the week reviews made now fall in). */
function thisWeek(): string {
  const d = new Date();
  d.setUTCDate(d.getUTCDate() - ((d.getUTCDay() + 6) % 7));
  return d.toISOString().slice(0, 10);
}
const week = (r: Report) =>
  r.weeks.find((w) => w.process_id === 1 && w.week === thisWeek()) ?? { reviewed: 0, overturned: 0 };

describe('agreement', () => {
  let start: Report;
  let end: Report;

  test('reviews move the figures: per process, per question, per week', async () => {
    start = await report();
    const [a, b, c] = seeds;
    // a: the reviewer overturns identity_verification (the AI said no).
    const over = (id: number, q: number, answer: string) =>
      send('POST', `/calls/${id}/answers/${q}/override`, REVIEWER, { answer, reason: `review ${tag}` });
    assert.equal((await over(a!.okCallId, 102, 'yes')).status, 200);
    // b: looked at and agreed with.
    assert.equal((await send('POST', `/calls/${b!.okCallId}/review`, REVIEWER)).status, 200);
    // c: greeting overridden, then set back to the AI's answer: agreement in the end.
    assert.equal((await over(c!.okCallId, 101, 'no')).status, 200);
    assert.equal((await over(c!.okCallId, 101, 'yes')).status, 200);
    // Marking an unscored call reviewed is refused.
    assert.equal((await send('POST', `/calls/${a!.failedCallId}/review`, REVIEWER)).status, 409);

    end = await report();
    const p0 = process1(start);
    const p1 = process1(end);
    assert.deepEqual(
      [p1.reviewed_calls - p0.reviewed_calls, p1.reviewed - p0.reviewed, p1.overturned - p0.overturned],
      [3, 6, 1],
    );
    const g0 = question(start, 'greeting');
    const g1 = question(end, 'greeting');
    assert.deepEqual([g1.reviewed - g0.reviewed, g1.overturned - g0.overturned], [3, 0]);
    const i0 = question(start, 'identity_verification');
    const i1 = question(end, 'identity_verification');
    assert.deepEqual([i1.reviewed - i0.reviewed, i1.overturned - i0.overturned], [3, 1]);
    const w0 = week(start);
    const w1 = week(end);
    assert.deepEqual([w1.reviewed - w0.reviewed, w1.overturned - w0.overturned], [6, 1]);
    // rate = overturned / reviewed, everywhere.
    for (const row of [p1, i1 as Row, w1 as Row])
      assert.equal((row as Row).rate, Math.round((10000 * row.overturned) / row.reviewed) / 10000);
    assert.equal(end.totals.reviewed - start.totals.reviewed, 6);
  });

  test('a date range filters by review time; an erased call leaves the figures', async () => {
    const later = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const future = await report(`process_id=1&from=${later}`);
    assert.deepEqual([future.totals.reviewed, future.processes.length, future.weeks.length], [0, 0, 0]);
    const today = new Date().toISOString().slice(0, 10);
    const ranged = await report(`process_id=1&from=${thisWeek()}&to=${today}`);
    assert.ok(ranged.totals.reviewed >= 6);

    assert.equal((await send('DELETE', `/calls/${seeds[0]!.okCallId}`, OPERATOR)).status, 200);
    const after = await report();
    const p1 = process1(end);
    const p2 = process1(after);
    assert.deepEqual(
      [p1.reviewed_calls - p2.reviewed_calls, p1.reviewed - p2.reviewed, p1.overturned - p2.overturned],
      [1, 2, 1],
    );
  });

  test('what counts is what the reviewer saw, dated by the action, and it survives the answers expiring', async () => {
    const d = seeds[3]!.okCallId;
    const before = process1(await report());
    assert.equal((await send('POST', `/calls/${d}/review`, REVIEWER)).status, 200);
    // The review happened three weeks ago (its verdicts and the call's review mark).
    const past = new Date(Date.now() - 21 * 86_400_000);
    await api.db.update(reviewVerdict).set({ at: past }).where(eq(reviewVerdict.callId, d));
    await api.db.update(callReview).set({ reviewedAt: past }).where(eq(callReview.callId, d));
    // A later reaudit answered a question nobody has looked at since.
    const [q] = await api.db.insert(auditQuestion).values({
      processId: 1,
      versionId: 900_000 + Math.floor(Math.random() * 90_000),
      position: 98,
      code: `unseen_${tag.replace(/-/g, '_')}`,
      text: 'A question added after the review?',
      answerType: 'yes_no',
      weight: 1,
    });
    extraQuestion = q.insertId;
    await api.db
      .insert(auditAnswer)
      .values({ callId: d, questionId: q.insertId, answer: 'no', score: 0, maxScore: 1, model: 'sim' });
    let now = await report();
    assert.equal(process1(now).reviewed - before.reviewed, 2, 'the two answers shown, not the unseen one');
    assert.ok(!now.questions.some((x) => x.code === `unseen_${tag.replace(/-/g, '_')}`));

    // Today the reviewer overturns identity_verification: filed under this week, not the first review's.
    const res = await send('POST', `/calls/${d}/answers/102/override`, REVIEWER, {
      answer: 'yes',
      reason: `later look ${tag}`,
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const today = new Date().toISOString().slice(0, 10);
    const thisWeekOnly = await report(`process_id=1&from=${thisWeek()}&to=${today}`);
    const pastOnly = await report(
      `process_id=1&from=${past.toISOString().slice(0, 10)}&to=${past.toISOString().slice(0, 10)}`,
    );
    // The override saw three answers (the reaudit's included, now on the page); the mark, three weeks ago, two.
    assert.ok(question(thisWeekOnly, 'identity_verification').overturned >= 1);
    assert.deepEqual(
      [process1(pastOnly).reviewed_calls >= 1, question(pastOnly, 'identity_verification').overturned],
      [true, 0],
    );
    now = await report();
    // Overall the latest verdict per answer counts: three reviewed answers of d, one overturned.
    assert.deepEqual(
      [process1(now).reviewed - before.reviewed, process1(now).overturned - before.overturned],
      [3, 1],
    );

    // Retention expires the call's answers: who overrode what stays in the figures.
    await api.db.delete(auditAnswer).where(and(eq(auditAnswer.callId, d)));
    const expired = await report();
    assert.deepEqual(
      [process1(expired).reviewed, process1(expired).overturned],
      [process1(now).reviewed, process1(now).overturned],
    );
  });

  test('bad filters are 422s naming the parameter', async () => {
    for (const [query, field] of [
      ['from=2026-13-01', /from/],
      ['to=yesterday', /to/],
      ['process_id=abc', /process_id/],
      ['from=2026-12-02&to=2026-12-01', /from/],
    ] as const) {
      const res = await send('GET', `/reports/agreement?${query}`, READ);
      assert.equal(res.status, 422, query);
      assert.match(String(res.body.detail), field, query);
    }
  });
});
