// Human review on the real MariaDB (no workflow runs): a reviewer overrides an answer with a reason, the score
// is recomputed and the seed's auditAnswer row shows the effective answer; every override is kept and shown;
// bad input (unknown answer, empty reason, unknown question, unscored or erased call) is a 4xx that changes
// nothing; a read key may not override, a reviewer may not do an operator's work. The "AI answer changed since
// review" flag (raised by llm2's reconcileReviews after a reaudit) is listed, and a confirmation clears it.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, asc, eq, gt, max } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  accessLog,
  answerOverride,
  answerReview,
  auditAnswer,
  auditQuestion,
  call,
  callReview,
  lidResult,
  resultVersion,
  reviewVerdict,
} from '../../drizzle/schema/index.js';
import { reconcileReviews } from '../../lifecycle/overrides.js';
import { diffVersions, snapshotResults, type VersionFull } from '../../lifecycle/versions.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const tag = randomUUID().slice(0, 8);
const READ = `ov-read-${tag}`;
const REVIEWER = `ov-reviewer-${tag}`;
const OPERATOR = `ov-operator-${tag}`;
const REVIEWER_NAME = `qa-reviewer-${tag}`;
const OPERATOR_NAME = `qa-lead-${tag}`;

let api: ApiApp;
let seed: SeededBatch;
let erased: SeededBatch;

before(async () => {
  api = await openApiApp({
    API_KEYS: [
      `read:reader-${tag}:${hashKey(READ)}`,
      `reviewer:${REVIEWER_NAME}:${hashKey(REVIEWER)}`,
      `operator:${OPERATOR_NAME}:${hashKey(OPERATOR)}`,
    ].join(','),
  });
  seed = await seedFinishedBatch(api.db, api.audio, [`ov-a-${tag}.wav`, `ov-b-${tag}.wav`]);
  erased = await seedFinishedBatch(api.db, api.audio, [`ov-c-${tag}.wav`, `ov-d-${tag}.wav`]);
});
after(async () => {
  for (const s of [seed, erased]) {
    for (const id of s ? [s.okCallId, s.failedCallId] : []) {
      await api.db.delete(answerOverride).where(eq(answerOverride.callId, id));
      await api.db.delete(answerReview).where(eq(answerReview.callId, id));
      await api.db.delete(callReview).where(eq(callReview.callId, id));
      await api.db.delete(reviewVerdict).where(eq(reviewVerdict.callId, id));
    }
    await s?.cleanup();
  }
  await api?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read by field in assertions
type Json = Record<string, any>;
async function send(method: string, url: string, key: string, body?: unknown) {
  const res = await api.app.request(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  return { status: res.status, body: (type.includes('json') ? await res.json() : null) as Json };
}
const override = (callId: number, questionId: number, body: unknown, key = REVIEWER) =>
  send('POST', `/calls/${callId}/answers/${questionId}/override`, key, body);

/** What an override may change: the answers, the score, the history and the review state of a call. */
async function stateOf(callId: number) {
  const [row] = await api.db.select().from(call).where(eq(call.id, callId));
  return {
    score: row?.auditScore ?? null,
    answers: await api.db
      .select({ q: auditAnswer.questionId, a: auditAnswer.answer, s: auditAnswer.score })
      .from(auditAnswer)
      .where(eq(auditAnswer.callId, callId))
      .orderBy(asc(auditAnswer.questionId)),
    history: await api.db.select().from(answerOverride).where(eq(answerOverride.callId, callId)),
    reviews: await api.db.select().from(answerReview).where(eq(answerReview.callId, callId)),
    marked: await api.db.select().from(callReview).where(eq(callReview.callId, callId)),
  };
}

describe('overriding an answer', () => {
  test('a reviewer overrides: the answer, its score and the call score change; the override is kept and shown', async () => {
    const id = seed.okCallId;
    const trailFrom = (await api.db.select({ id: max(accessLog.id) }).from(accessLog))[0]?.id ?? 0;
    // The seed: greeting yes (8 of 8), identity_verification no (0 of 15).
    const res = await override(id, 102, {
      answer: 'yes',
      reason: 'the agent asked for the postcode at 0:40',
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.answer, 'yes');
    assert.equal(res.body.score, 100);
    assert.equal(res.body.override.before, 'no');
    assert.equal(res.body.override.after, 'yes');
    assert.equal(res.body.override.ai_answer, 'no');
    assert.equal(res.body.override.by, REVIEWER_NAME);
    assert.equal(res.body.override.role, 'reviewer');
    assert.equal(res.body.override.score_before, 87.5);
    assert.equal(res.body.override.score_after, 100);

    // The seed's tables show what the QA team decided.
    const state = await stateOf(id);
    assert.equal(state.score, 100);
    assert.deepEqual(state.answers, [
      { q: 101, a: 'yes', s: 8 },
      { q: 102, a: 'yes', s: 15 },
    ]);
    const detail = await send('GET', `/calls/${id}`, READ);
    assert.equal(detail.body.score, 100);
    assert.equal(detail.body.answers.find((a: Json) => a.question_id === 102).answer, 'yes');

    const review = await send('GET', `/calls/${id}/review`, READ);
    assert.equal(review.status, 200);
    assert.equal(review.body.reviewed.reviewed_by, REVIEWER_NAME);
    assert.deepEqual(
      review.body.answers.map((a: Json) => [a.question_id, a.answer, a.ai_answer, a.ai_changed]),
      [[102, 'yes', 'no', false]],
    );
    assert.equal(review.body.history.length, 1);
    assert.equal(review.body.history[0].reason, 'the agent asked for the postcode at 0:40');

    // The access trail has the change, with the key that made it.
    const trail = await api.db
      .select()
      .from(accessLog)
      .where(and(gt(accessLog.id, trailFrom), eq(accessLog.action, 'override')));
    assert.deepEqual(
      trail.map((t) => [t.keyName, t.role, t.targetId, t.status]),
      [[REVIEWER_NAME, 'reviewer', id, 200]],
    );
  });

  test('every override is kept: a second one (by an operator) goes back to the AI answer, newest first', async () => {
    const id = seed.okCallId;
    const res = await override(id, 102, { answer: 'no', reason: 'listened again: no check' }, OPERATOR);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.score, 34.8);
    assert.equal(res.body.override.before, 'yes');
    assert.equal(res.body.override.ai_answer, 'no');
    const review = await send('GET', `/calls/${id}/review`, REVIEWER);
    assert.deepEqual(
      review.body.history.map((h: Json) => [h.before, h.after, h.by, h.score_after]),
      [
        ['yes', 'no', OPERATOR_NAME, 34.8],
        ['no', 'yes', REVIEWER_NAME, 100],
      ],
    );
    // The effective answer is the AI's again: the override is dropped (the history above keeps both actions).
    assert.deepEqual(review.body.answers, []);
  });

  test('bad input is a 4xx with a detail, and changes nothing', async () => {
    const id = seed.okCallId;
    const before = await stateOf(id);
    const cases: [string, Promise<{ status: number; body: Json }>, number, RegExp][] = [
      ['unknown answer', override(id, 102, { answer: 'maybe', reason: 'x' }), 422, /not an answer.*yes, no/],
      ['scale answer on yes/no', override(id, 101, { answer: '3', reason: 'x' }), 422, /yes_no/],
      ['empty reason', override(id, 102, { answer: 'yes', reason: '' }), 422, /reason/],
      ['blank reason', override(id, 102, { answer: 'yes', reason: '   ' }), 422, /reason/],
      ['no reason', override(id, 102, { answer: 'yes' }), 422, /reason/],
      [
        'unknown question',
        override(id, 999_999, { answer: 'yes', reason: 'x' }),
        404,
        /no answer to question/,
      ],
      ['malformed question', override(id, 0, { answer: 'yes', reason: 'x' }), 422, /questionId/],
      ['unknown call', override(2_000_000_000, 102, { answer: 'yes', reason: 'x' }), 404, /no call/],
      ['unscored call', override(seed.failedCallId, 102, { answer: 'yes', reason: 'x' }), 404, /no answer/],
    ];
    for (const [name, pending, status, detail] of cases) {
      const res = await pending;
      assert.equal(res.status, status, `${name}: ${JSON.stringify(res.body)}`);
      assert.match(String(res.body.detail), detail, name);
    }
    assert.deepEqual(await stateOf(id), before);
  });

  test('an erasure deletes the versions and reviews of a call; an erased call answers 410', async () => {
    const id = erased.okCallId;
    // A review and a version (as a reaudit keeps one), whose reason and snapshot quote the call.
    assert.equal(
      (await override(id, 102, { answer: 'yes', reason: 'customer gave DOB 01/02/1980' })).status,
      200,
    );
    await api.db.transaction((tx) =>
      snapshotResults(tx, { id: erased.batchId, taskId: `reaudit-${tag}`, stages: ['llm2'] }, [id]),
    );
    assert.equal((await api.db.select().from(resultVersion).where(eq(resultVersion.callId, id))).length, 1);
    const erase = await send('DELETE', `/calls/${id}`, OPERATOR);
    assert.equal(erase.status, 200, JSON.stringify(erase.body));
    assert.deepEqual(
      [
        erase.body.deleted.resultVersion,
        erase.body.deleted.answerOverride,
        erase.body.deleted.answerReview,
        erase.body.deleted.callReview,
      ],
      [1, 1, 1, 1],
    );
    const state = await stateOf(id);
    assert.deepEqual([state.history.length, state.reviews.length, state.marked.length], [0, 0, 0]);
    assert.equal((await api.db.select().from(resultVersion).where(eq(resultVersion.callId, id))).length, 0);
    const res = await override(id, 102, { answer: 'yes', reason: 'x' });
    assert.equal(res.status, 410);
    assert.equal(res.body.code, 'gone');
    assert.equal((await stateOf(id)).history.length, 0);
    assert.equal((await send('GET', `/calls/${id}/review`, READ)).status, 410);
    assert.equal((await send('GET', `/calls/${id}/versions`, READ)).status, 410);
  });

  test('roles: a read key may not override; a reviewer may not reaudit or erase', async () => {
    const before = await stateOf(seed.okCallId);
    const read = await override(seed.okCallId, 102, { answer: 'yes', reason: 'x' }, READ);
    assert.equal(read.status, 403);
    assert.match(read.body.detail, /reviewer/);
    assert.equal((await send('POST', `/calls/${seed.okCallId}/review`, READ)).status, 403);
    assert.equal(
      (await send('POST', '/reaudit', REVIEWER, { call_ids: [seed.okCallId], stages: ['llm2'] })).status,
      403,
    );
    assert.equal((await send('DELETE', `/calls/${seed.okCallId}`, REVIEWER)).status, 403);
    assert.equal((await send('GET', '/audit-log', REVIEWER)).status, 403);
    // A reviewer reads like a read key.
    assert.equal((await send('GET', `/calls/${seed.okCallId}`, REVIEWER)).status, 200);
    assert.deepEqual(await stateOf(seed.okCallId), before);
  });
});

describe('after a reaudit: "AI answer changed since review"', () => {
  test('a new AI answer that differs from the one overridden flags the answer; the override stays in force', async () => {
    const id = seed.okCallId;
    // The reviewer says yes where the AI said no.
    assert.equal((await override(id, 102, { answer: 'yes', reason: 'heard the check' })).status, 200);
    // A reaudit's llm2 writes the same AI answers: the override is re-applied, nothing is flagged.
    await api.db
      .update(auditAnswer)
      .set({ answer: 'no', score: 0 })
      .where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 102)));
    const same = await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: seed.batchId,
        answers: [
          { questionId: 101, answer: 'yes' },
          { questionId: 102, answer: 'no' },
        ],
      }),
    );
    assert.equal(same?.auditScore, 100);
    let state = await stateOf(id);
    assert.equal(state.answers.find((a) => a.q === 102)?.a, 'yes');
    assert.equal(state.reviews[0]?.aiChanged, false);

    // The next reaudit's AI answers yes (and greeting no): the AI answer changed since the review.
    await api.db.update(auditAnswer).set({ answer: 'no', score: 0 }).where(eq(auditAnswer.callId, id));
    const changed = await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: seed.batchId,
        answers: [
          { questionId: 101, answer: 'no' },
          { questionId: 102, answer: 'yes' },
        ],
      }),
    );
    // The reviewer's yes stands; greeting is the AI's no: 15 of 23.
    assert.equal(changed?.auditScore, 65.2);
    state = await stateOf(id);
    assert.equal(state.score, 65.2);
    assert.equal(state.reviews[0]?.aiChanged, true);
    assert.equal(state.reviews[0]?.newAiAnswer, 'yes');

    const review = await send('GET', `/calls/${id}/review`, READ);
    assert.equal(review.body.ai_changed, 1);
    const flagged = await send('GET', '/reviews/flagged?process_id=1&limit=1000', READ);
    assert.equal(flagged.status, 200);
    assert.ok(flagged.body.calls.some((c: Json) => c.call_id === id && c.flagged_answers === 1));
  });

  test('confirming clears the flag and is kept; a second confirmation is a 409', async () => {
    const id = seed.okCallId;
    assert.equal((await send('POST', `/calls/${id}/answers/101/confirm`, REVIEWER)).status, 409);
    const res = await send('POST', `/calls/${id}/answers/102/confirm`, REVIEWER, { reason: 'still yes' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'confirm');
    assert.equal(res.body.ai_answer, 'yes');
    const state = await stateOf(id);
    assert.equal(state.reviews[0]?.aiChanged, false);
    assert.equal(state.reviews[0]?.aiAnswer, 'yes');
    assert.equal(state.history.at(-1)?.kind, 'confirm');
    const flagged = await send('GET', '/reviews/flagged?process_id=1&limit=1000', READ);
    assert.ok(!flagged.body.calls.some((c: Json) => c.call_id === id));
    assert.equal((await send('POST', `/calls/${id}/answers/102/confirm`, REVIEWER)).status, 409);
  });
});

describe('an override and a critical question', () => {
  let critical: SeededBatch;
  let questionId: number;
  before(async () => {
    critical = await seedFinishedBatch(api.db, api.audio, [
      `ov-crit-${tag}.wav`,
      `ov-crit-failed-${tag}.wav`,
    ]);
    // A critical question of a questionnaire version of its own (no process's current questionnaire changes).
    const fake = 900_000 + Math.floor(Math.random() * 90_000);
    const [q] = await api.db.insert(auditQuestion).values({
      processId: fake,
      versionId: fake,
      position: 99,
      code: `critical_check_${tag.replace(/-/g, '_')}`,
      text: 'Did the agent read the mandatory warning?',
      answerType: 'yes_no',
      weight: 5,
      critical: true,
    });
    questionId = q.insertId;
    await api.db.insert(auditAnswer).values({
      callId: critical.okCallId,
      questionId,
      answer: 'yes',
      score: 5,
      maxScore: 5,
      model: 'sim',
    });
  });
  after(async () => {
    const id = critical?.okCallId;
    if (id)
      for (const t of [answerOverride, answerReview, callReview, reviewVerdict])
        await api.db.delete(t).where(eq(t.callId, id));
    await critical?.cleanup();
    if (questionId) await api.db.delete(auditQuestion).where(eq(auditQuestion.id, questionId));
  });

  test('overriding a critical question to no fails the call on a critical item (score 0); back to yes lifts it', async () => {
    const id = critical.okCallId;
    const failed = await override(id, questionId, { answer: 'no', reason: 'no warning read' });
    assert.equal(failed.status, 200, JSON.stringify(failed.body));
    assert.equal(failed.body.score, 0);
    assert.equal(failed.body.critical_failure, true);
    let [row] = await api.db.select().from(call).where(eq(call.id, id));
    assert.deepEqual([row?.auditScore, row?.criticalFailure], [0, true]);
    const lifted = await override(id, questionId, { answer: 'yes', reason: 'it was read at 1:10' });
    assert.equal(lifted.status, 200, JSON.stringify(lifted.body));
    // greeting yes 8, identity no 0 of 15, the critical question yes 5: 13 of 28.
    assert.equal(lifted.body.score, 46.4);
    assert.equal(lifted.body.critical_failure, false);
    [row] = await api.db.select().from(call).where(eq(call.id, id));
    assert.deepEqual([row?.auditScore, row?.criticalFailure], [46.4, false]);
  });
});

describe('a reaudit with a new questionnaire version', () => {
  let batch: SeededBatch;
  const fake = 800_000 + Math.floor(Math.random() * 90_000);
  const code = (c: string) => `${c}_${tag.replace(/-/g, '_')}`;
  const q: Record<string, number> = {};
  before(async () => {
    batch = await seedFinishedBatch(api.db, api.audio, [`ov-qv-${tag}.wav`, `ov-qv-failed-${tag}.wav`]);
    // Version 1 (fake) asks greeting, hold and close; version 2 (fake + 1) asks greeting and close again with
    // new ids, close now with an n/a answer (its type changed), and hold no more.
    const add = async (key: string, versionId: number, c: string, answerType: 'yes_no' | 'yes_no_na') => {
      const [r] = await api.db.insert(auditQuestion).values({
        processId: fake,
        versionId,
        position: Object.keys(q).length,
        code: code(c),
        text: `${c}?`,
        answerType,
        weight: 10,
      });
      q[key] = r.insertId;
    };
    await add('greet1', fake, 'greet', 'yes_no');
    await add('hold1', fake, 'hold', 'yes_no');
    await add('close1', fake, 'close', 'yes_no');
    await add('greet2', fake + 1, 'greet', 'yes_no');
    await add('close2', fake + 1, 'close', 'yes_no_na');
    const id = batch.okCallId;
    await api.db.delete(auditAnswer).where(eq(auditAnswer.callId, id));
    await api.db.insert(auditAnswer).values(
      ['greet1', 'hold1', 'close1'].map((k) => ({
        callId: id,
        questionId: q[k] as number,
        answer: 'no',
        score: 0,
        maxScore: 10,
        model: 'sim',
      })),
    );
  });
  after(async () => {
    const id = batch?.okCallId;
    if (id)
      for (const t of [answerOverride, answerReview, callReview, reviewVerdict])
        await api.db.delete(t).where(eq(t.callId, id));
    await batch?.cleanup();
    for (const qid of Object.values(q)) await api.db.delete(auditQuestion).where(eq(auditQuestion.id, qid));
  });

  test('a verdict moves to the new question of the same code and type; one whose question changed is flagged, not dropped', async () => {
    const id = batch.okCallId;
    for (const k of ['greet1', 'hold1', 'close1'])
      assert.equal((await override(id, q[k] as number, { answer: 'yes', reason: `${k} heard` })).status, 200);
    // The reaudit's llm2 scores with version 2: new ids; its AI still says no to greeting.
    await api.db.delete(auditAnswer).where(eq(auditAnswer.callId, id));
    const answers = [
      { questionId: q.greet2 as number, answer: 'no' },
      { questionId: q.close2 as number, answer: 'na' },
    ];
    await api.db
      .insert(auditAnswer)
      .values(answers.map((a) => ({ callId: id, ...a, score: 0, maxScore: 10, model: 'sim' })));
    const scored = await api.db.transaction((tx) =>
      reconcileReviews(tx, { callId: id, batchId: batch.batchId, answers }),
    );
    // greeting carried (the reviewer's yes, 10 of 10); close is n/a, out of the score.
    assert.equal(scored?.auditScore, 100);
    const state = await stateOf(id);
    assert.deepEqual(
      state.answers.map((a) => [a.q, a.a]),
      [
        [q.greet2, 'yes'],
        [q.close2, 'na'],
      ],
    );
    const byQ = new Map(state.reviews.map((r) => [r.questionId, r]));
    assert.equal(byQ.get(q.greet2 as number)?.answer, 'yes');
    assert.equal(byQ.get(q.greet2 as number)?.aiChanged, false, 'the AI still says no, as when overridden');
    assert.equal(byQ.get(q.greet2 as number)?.notCarried, null);
    assert.ok(!byQ.has(q.greet1 as number), 'the verdict moved to the new question id');
    assert.match(byQ.get(q.hold1 as number)?.notCarried ?? '', /not carried: question changed.*no question/);
    assert.match(byQ.get(q.close1 as number)?.notCarried ?? '', /not carried: question changed.*yes_no_na/);

    const review = await send('GET', `/calls/${id}/review`, READ);
    assert.equal(review.status, 200);
    assert.equal(review.body.not_carried, 2);
    const flagged = await send('GET', '/reviews/flagged?process_id=1&limit=1000', READ);
    const mine = flagged.body.calls.find((c: Json) => c.call_id === id);
    assert.equal(mine?.not_carried, 2, JSON.stringify(flagged.body));
    const page = await api.app.request(`/ui/f/calls/${id}/review`, {
      headers: { authorization: `Bearer ${READ}` },
    });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /override\(s\) not carried: question changed/);

    // A next reaudit whose AI now says yes to greeting flags the carried verdict "AI answer changed".
    await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: batch.batchId,
        answers: [
          { questionId: q.greet2 as number, answer: 'yes' },
          { questionId: q.close2 as number, answer: 'na' },
        ],
      }),
    );
    const [greet] = await api.db
      .select()
      .from(answerReview)
      .where(and(eq(answerReview.callId, id), eq(answerReview.questionId, q.greet2 as number)));
    assert.equal(greet?.aiChanged, true);

    // Acknowledging a verdict not carried removes it and keeps the acknowledgement in the history.
    const ack = await send('POST', `/calls/${id}/answers/${q.hold1}/confirm`, REVIEWER);
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.match(ack.body.reason, /not carried/);
    const after = await send('GET', `/calls/${id}/review`, READ);
    assert.equal(after.body.not_carried, 1);
  });
});

describe('overriding back to the AI answer', () => {
  test('drops the verdict (the history keeps it), so a later reaudit takes its own AI answer', async () => {
    const id = seed.okCallId;
    await api.db.delete(answerReview).where(eq(answerReview.callId, id));
    await api.db
      .update(auditAnswer)
      .set({ answer: 'yes', score: 8 })
      .where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 101)));
    // greeting: the AI says yes. The reviewer says no, then back to yes.
    assert.equal((await override(id, 101, { answer: 'no', reason: 'no greeting heard' })).status, 200);
    const back = await override(id, 101, { answer: 'yes', reason: 'it was at 0:02' });
    assert.equal(back.status, 200, JSON.stringify(back.body));
    let state = await stateOf(id);
    assert.ok(!state.reviews.some((r) => r.questionId === 101), 'no verdict on greeting');
    assert.deepEqual(
      state.history
        .filter((h) => h.questionId === 101)
        .slice(-2)
        .map((h) => h.answerAfter),
      ['no', 'yes'],
    );
    // A reaudit whose AI now says no: its no stands (the dropped override does not force yes back).
    await api.db
      .update(auditAnswer)
      .set({ answer: 'no', score: 0 })
      .where(and(eq(auditAnswer.callId, id), eq(auditAnswer.questionId, 101)));
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
    state = await stateOf(id);
    assert.equal(state.answers.find((a) => a.q === 101)?.a, 'no');
  });
});

describe('versions of reviewed and failed calls', () => {
  let batch: SeededBatch;
  before(async () => {
    batch = await seedFinishedBatch(api.db, api.audio, [`ov-ver-${tag}.wav`, `ov-ver-failed-${tag}.wav`]);
  });
  after(async () => {
    for (const id of batch ? [batch.okCallId, batch.failedCallId] : []) {
      for (const t of [answerOverride, answerReview, callReview, reviewVerdict, resultVersion])
        await api.db.delete(t).where(eq(t.callId, id));
      await api.db.delete(lidResult).where(eq(lidResult.callId, id));
    }
    await batch?.cleanup();
  });

  test('a kept version states the AI answer as it stands: the newer one when it changed since the review', async () => {
    const id = batch.okCallId;
    // The AI said no to identity; the reviewer says yes; a reaudit's AI now says yes too (flagged).
    assert.equal((await override(id, 102, { answer: 'yes', reason: 'heard it' })).status, 200);
    await api.db.transaction((tx) =>
      reconcileReviews(tx, {
        callId: id,
        batchId: batch.batchId,
        answers: [
          { questionId: 101, answer: 'yes' },
          { questionId: 102, answer: 'yes' },
        ],
      }),
    );
    const written = await api.db.transaction((tx) =>
      snapshotResults(tx, { id: batch.batchId, taskId: `t-${tag}`, stages: ['llm2'] }, [id]),
    );
    assert.equal(written, 1);
    const [v] = await api.db.select().from(resultVersion).where(eq(resultVersion.callId, id));
    const kept = v?.snapshot.answers.find((a) => a.questionId === 102);
    assert.deepEqual([kept?.answer, kept?.aiAnswer], ['yes', 'yes']);
  });

  test('a call that failed before it was scored keeps no version (its retry would diff every answer as new)', async () => {
    const id = batch.failedCallId;
    // It failed at stt, after language identification.
    await api.db.insert(lidResult).values({
      callId: id,
      lang: 'en',
      confidence: 0.9,
      detectedRaw: 'english',
      supported: true,
      source: 'whisper',
      gpuNode: 'node-a',
    });
    const written = await api.db.transaction((tx) =>
      snapshotResults(tx, { id: batch.batchId, taskId: `t-${tag}`, stages: ['stt', 'llm1', 'llm2'] }, [id]),
    );
    assert.equal(written, 0);
    assert.equal((await api.db.select().from(resultVersion).where(eq(resultVersion.callId, id))).length, 0);
  });

  test('the diff matches questions by code across questionnaire versions', () => {
    const version = (n: number, answers: [number, string, string][]): VersionFull => ({
      version: n,
      current: false,
      created_at: null,
      replaced_at: null,
      reason: '',
      batch_id: null,
      stages: [],
      models: {},
      prompt_versions: {},
      questionnaire_version_id: n,
      score: null,
      answers: answers.length,
      lang: 'en',
      transcript: null,
      analysis: null,
      answer_list: answers.map(([question_id, code, answer]) => ({
        question_id,
        code,
        question: code,
        answer,
        ai_answer: answer,
        score: answer === 'yes' ? 1 : 0,
        max_score: 1,
      })),
    });
    // Version 2 of the questionnaire asks greeting and identity again under new ids, and close for the first time.
    const diff = diffVersions(
      1,
      version(1, [
        [1, 'greeting', 'yes'],
        [2, 'identity', 'no'],
      ]),
      version(2, [
        [11, 'greeting', 'yes'],
        [12, 'identity', 'yes'],
        [13, 'close', 'yes'],
      ]),
    );
    assert.equal(diff.unchanged, 1);
    assert.deepEqual(
      diff.changed.map((c) => [c.question_id, c.code, c.before, c.after]),
      [
        [12, 'identity', 'no', 'yes'],
        [13, 'close', null, 'yes'],
      ],
    );
  });
});
