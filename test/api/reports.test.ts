// GET /reports/agents and /reports/questions on the real MariaDB: a process of its own with three questions (one
// critical) and calls by two agents and none, in March 2003 (no other test's calls are there), with the figures
// worked out by hand; calls outside the period, not completed or of no agent are where they must be; bad
// parameters are 4xx naming the parameter.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  auditAnswer,
  auditQuestion,
  call,
  process,
  questionnaireVersion,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const tag = randomUUID().slice(0, 8);
const READ = `reports-read-${tag}`;
const processId = 700_000 + Math.floor(Math.random() * 100_000);
const A = `agent-a-${tag}`;
const B = `agent-b-${tag}`;

let api: ApiApp;
const callIds: number[] = [];
let versionId: number;
const q: Record<'q1' | 'q2' | 'q3', number> = { q1: 0, q2: 0, q3: 0 };

type Answers = [q1: 'yes' | 'no', q2: 'yes' | 'no' | 'na', q3: '1' | '2' | '3' | '4' | '5'];
async function addCall(
  agentId: string | null,
  day: string | null,
  score: number | null,
  answers: Answers | null,
  status: 'Completed' | 'Failed' = 'Completed',
) {
  const [row] = await api.db.insert(call).values({
    batchId: 0,
    audioName: `report-${tag}-${callIds.length}.wav`,
    storedPath: 'none',
    processId,
    status,
    agentId,
    team: agentId ? `team-${agentId.slice(6, 7)}` : null,
    callStartedAt: day ? new Date(`${day}T10:30:00Z`) : null,
    auditScore: score,
  });
  callIds.push(row.insertId);
  if (!answers) return;
  const [a1, a2, a3] = answers;
  await api.db.insert(auditAnswer).values([
    { callId: row.insertId, questionId: q.q1, answer: a1, score: a1 === 'yes' ? 50 : 0, maxScore: 50 },
    {
      callId: row.insertId,
      questionId: q.q2,
      answer: a2,
      score: a2 === 'yes' ? 30 : 0,
      maxScore: a2 === 'na' ? 0 : 30,
    },
    { callId: row.insertId, questionId: q.q3, answer: a3, score: ((Number(a3) - 1) / 4) * 20, maxScore: 20 },
  ]);
}

before(async () => {
  api = await openApiApp({ API_KEYS: `read:${hashKey(READ)}` });
  await api.db.insert(process).values({ id: processId, name: `reports ${tag}` });
  const [v] = await api.db
    .insert(questionnaireVersion)
    .values({ processId, version: 1, publishedAt: new Date(), publishedBy: 'test' });
  versionId = v.insertId;
  for (const [key, position, answerType, weight, critical] of [
    ['q1', 1, 'yes_no', 50, true],
    ['q2', 2, 'yes_no_na', 30, false],
    ['q3', 3, 'scale_1_5', 20, false],
  ] as const) {
    const [row] = await api.db.insert(auditQuestion).values({
      processId,
      versionId,
      position,
      code: `${key}_${tag}`,
      text: `question ${key}`,
      answerType,
      weight,
      critical,
    });
    q[key] = row.insertId;
  }
  await addCall(A, '2003-03-03', 100, ['yes', 'yes', '5']);
  await addCall(A, '2003-03-04', 60, ['yes', 'no', '2']);
  await addCall(A, '2003-03-11', 0, ['no', 'na', '5']); // a critical failure
  await addCall(B, '2003-03-05', 80, ['yes', 'yes', '3']);
  await addCall(null, '2003-03-06', 90, ['yes', 'yes', '4']);
  // Not in the report: a failed call, a call after the period, a call without a start (counted when received).
  await addCall(A, '2003-03-05', null, null, 'Failed');
  await addCall(A, '2003-03-13', 10, ['no', 'no', '1']);
  await addCall(B, null, 10, ['no', 'no', '1']);
});
after(async () => {
  await api.db.delete(auditAnswer).where(inArray(auditAnswer.callId, callIds));
  await api.db.delete(call).where(inArray(call.id, callIds));
  await api.db.delete(auditQuestion).where(eq(auditQuestion.versionId, versionId));
  await api.db.delete(questionnaireVersion).where(eq(questionnaireVersion.id, versionId));
  await api.db.delete(process).where(eq(process.id, processId));
  await api?.stop();
});

type Json = Record<string, unknown>;
async function get(url: string, key: string | null = READ) {
  const res = await api.app.request(url, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  return { status: res.status, body: (await res.json()) as Json };
}
const period = `from=2003-03-01&to=2003-03-12&process=${processId}`;

describe('GET /reports/agents', () => {
  test('per agent: calls, average, failed below the pass mark, critical failures; no agent last', async () => {
    const { status, body } = await get(`/reports/agents?${period}`);
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.bucket, 'day', 'twelve days: a trend per day');
    assert.equal(body.pass_mark, 70);
    const rows = (body.agents as Json[]).map((a) => [
      a.agent_id,
      a.team,
      a.calls,
      a.scored,
      a.average_score,
      a.failed_calls,
      a.fail_rate,
      a.critical_failures,
    ]);
    assert.deepEqual(rows, [
      [A, 'team-a', 3, 3, 53.3, 2, 0.667, 1],
      [B, 'team-b', 1, 1, 80, 0, 0, 0],
      [null, null, 1, 1, 90, 0, 0, 0],
    ]);
    const trendA = (body.agents as Json[])[0]!.trend as Json[];
    assert.deepEqual(
      trendA.map((t) => [t.period, t.calls, t.average_score, t.fail_rate]),
      [
        ['2003-03-03', 1, 100, 0],
        ['2003-03-04', 1, 60, 1],
        ['2003-03-11', 1, 0, 1],
      ],
    );
    // The overall trend: every call of the period, per day.
    assert.deepEqual(
      (body.trend as Json[]).map((t) => [t.period, t.calls]),
      [
        ['2003-03-03', 1],
        ['2003-03-04', 1],
        ['2003-03-05', 1],
        ['2003-03-06', 1],
        ['2003-03-11', 1],
      ],
    );
  });

  test('per week (Monday first) and with another pass mark', async () => {
    const { status, body } = await get(`/reports/agents?${period}&bucket=week&pass_mark=50`);
    assert.equal(status, 200, JSON.stringify(body));
    const a = (body.agents as Json[])[0]!;
    assert.equal(a.failed_calls, 1, 'only the 0 is below 50');
    assert.deepEqual(
      (a.trend as Json[]).map((t) => [t.period, t.calls, t.average_score, t.fail_rate]),
      [
        ['2003-03-03', 2, 80, 0],
        ['2003-03-10', 1, 0, 1],
      ],
    );
  });

  test('a longer period defaults to weeks, and takes the call after the 12th', async () => {
    const { body } = await get(`/reports/agents?from=2003-01-01&to=2003-03-31&process=${processId}`);
    assert.equal(body.bucket, 'week');
    assert.equal((body.agents as Json[])[0]!.calls, 4);
  });
});

describe('GET /reports/questions', () => {
  test('per question: answers, N/A, failed and rate (N/A left out), points, critical failures', async () => {
    const { status, body } = await get(`/reports/questions?${period}`);
    assert.equal(status, 200, JSON.stringify(body));
    const rows = (body.questions as Json[]).map((r) => [
      r.question_id,
      r.questionnaire_version,
      r.critical,
      r.answers,
      r.not_applicable,
      r.failed,
      r.fail_rate,
      r.average_score,
      r.critical_failures,
    ]);
    assert.deepEqual(rows, [
      [q.q1, 1, true, 5, 0, 1, 0.2, 80, 1],
      [q.q2, 1, false, 5, 1, 1, 0.25, 75, 0],
      [q.q3, 1, false, 5, 0, 1, 0.2, 70, 0],
    ]);
    const q1 = (body.questions as Json[])[0]!;
    assert.deepEqual(
      (q1.trend as Json[]).filter((t) => t.failed).map((t) => t.period),
      ['2003-03-11'],
    );
  });

  test("one agent's answers", async () => {
    const { body } = await get(`/reports/questions?${period}&agent=${A}`);
    assert.equal(body.agent_id, A);
    assert.deepEqual(
      (body.questions as Json[]).map((r) => [r.answers, r.failed]),
      [
        [3, 1],
        [3, 1],
        [3, 1],
      ],
    );
  });
});

describe('bad parameters', () => {
  test('4xx with a detail naming the parameter, on both reports', async () => {
    for (const path of ['/reports/agents', '/reports/questions']) {
      for (const [query, status, detail] of [
        ['from=2003-03-12&to=2003-03-01', 422, /from: 2003-03-12 is after to/],
        ['from=2001-01-01&to=2003-01-01', 422, /at most 366/],
        ['from=2003-02-30', 422, /from is not a calendar date/],
        ['to=03/12/2003', 422, /to must be YYYY-MM-DD/],
        ['bucket=month', 422, /bucket/],
        ['pass_mark=101', 422, /pass_mark is a score from 0 to 100/],
        // Empty or not a number: refused, not read as 0 (which would pass every scored call).
        ['pass_mark=', 422, /pass_mark is a score from 0 to 100/],
        ['pass_mark=abc', 422, /pass_mark is a score from 0 to 100/],
        ['pass_mark=-5', 422, /pass_mark is a score from 0 to 100/],
        ['pass_mark=1e2', 422, /pass_mark is a score from 0 to 100/],
        ['process=abc', 422, /process must be a positive integer/],
        ['process=2147483647', 404, /no process with id 2147483647/],
        ['agnet=x', 422, /agnet/],
      ] as const) {
        const { status: got, body } = await get(`${path}?${query}`);
        assert.equal(got, status, `${path}?${query}: ${JSON.stringify(body)}`);
        assert.match(String(body.detail), detail, `${path}?${query}`);
      }
    }
  });

  test('a key is needed (a read key is enough)', async () => {
    assert.equal((await get(`/reports/agents?${period}`, null)).status, 401);
  });
});
