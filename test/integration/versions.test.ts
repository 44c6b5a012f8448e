// Result versions and review across a reaudit, on the real stack (Temporal, worker, simulator): an audit, a
// reviewer's override, then a reaudit of llm2 on a changed transcript, so the simulator's keyword rules answer
// differently. The audit's results are kept as version 1 (with the override and the AI's own answer), the
// seed's tables hold the new current results, the diff names the answers that changed, the override survives
// and is flagged "AI answer changed since review", and a retried snapshot keeps no second version.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { and, asc, eq } from 'drizzle-orm';
import {
  answerReview,
  auditAnswer,
  auditQuestion,
  batchStatus,
  call,
  resultVersion,
  transcript,
} from '../../drizzle/schema/index.js';
import { snapshotResults } from '../../lifecycle/versions.js';
import { makeWav } from '../support/audio.js';
import { auditForm, getJson, postJson, postReaudit, uploadAudit, waitForBatch } from '../support/http.js';
import { callsOfBatch } from '../support/queries.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let batchId: number;
let callId: number;

before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
  const res = await uploadAudit(stack.app, auditForm([{ name: 'versions.wav', bytes: makeWav(5, 31) }]));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  batchId = Number(res.body.batch_id);
  const { final } = await waitForBatch(stack.app, String(res.body.task_id));
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  callId = (await callsOfBatch(stack.db, batchId))[0]!.id;
});
after(async () => {
  await stack?.stop();
});

/** A conversation with every keyword the simulator's rules look for, or with none of them. */
function script(all: boolean) {
  const lines = all
    ? [
        ['agent', 'Thank you for calling, my name is Sam. This call is recorded.'],
        ['customer', 'I was charged twice on my bill.'],
        ['agent', 'I am sorry, I understand. Can you verify your date of birth and postcode?'],
        ['customer', 'Yes, of course.'],
        ['agent', 'To summarise: I have fixed it and the refund is on its way. Anything else?'],
        ['customer', 'No, thanks.'],
      ]
    : [
        ['agent', 'Hello.'],
        ['customer', 'Hi, it is about my bill.'],
        ['agent', 'Okay.'],
        ['customer', 'Bye.'],
      ];
  const segments = lines.map(([speaker, text], i) => ({ id: i, start: i, end: i + 1, speaker, text: text! }));
  return { text: segments.map((s) => s.text).join(' '), segments };
}

const answersOf = async (id: number) =>
  stack.db
    .select({ questionId: auditAnswer.questionId, code: auditQuestion.code, answer: auditAnswer.answer })
    .from(auditAnswer)
    .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
    .where(eq(auditAnswer.callId, id))
    .orderBy(asc(auditQuestion.position));

type Json = Record<string, unknown>;

describe('a reaudit keeps the previous results as a version', () => {
  test('audit, override, reaudit llm2 on a changed transcript: version 1, diff, flag, seed queries', async () => {
    const audited = await answersOf(callId);
    assert.equal(audited.length, 9);
    const identity = audited.find((a) => a.code === 'identity_verification')!;
    const ai = identity.answer;
    const reviewer = ai === 'yes' ? 'no' : 'yes';

    // The reviewer overrides the AI's identity answer.
    const over = await postJson(stack.app, `/calls/${callId}/answers/${identity.questionId}/override`, {
      answer: reviewer,
      reason: 'listened to 0:30-0:50',
    });
    assert.equal(over.status, 200, JSON.stringify(over.body));
    const [scored] = await stack.db.select().from(call).where(eq(call.id, callId));
    const audit = { score: scored!.auditScore, answers: await answersOf(callId) };

    // The transcript now says what the reviewer heard (identity checked iff the reviewer said yes), so the
    // simulator's llm2 answers differently this time.
    await stack.db
      .update(transcript)
      .set(script(reviewer === 'yes'))
      .where(eq(transcript.callId, callId));
    const re = await postReaudit(stack.app, { call_ids: [callId], stages: ['llm2'] });
    assert.equal(re.status, 200, JSON.stringify(re.body));
    const reauditId = Number(re.body.batch_id);
    const { final } = await waitForBatch(stack.app, String(re.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));

    // Version 1: the audit's results as they were, with the override and the AI's own answer.
    const versions = await stack.db.select().from(resultVersion).where(eq(resultVersion.callId, callId));
    assert.equal(versions.length, 1);
    const v1 = versions[0]!;
    assert.equal(v1.version, 1);
    assert.equal(v1.batchId, reauditId);
    assert.deepEqual(v1.stages, ['llm2']);
    assert.equal(v1.auditScore, audit.score);
    assert.equal(v1.models.llm2 !== null, true);
    assert.equal(v1.promptVersions.llm2, 'llm2-questionnaire.v1');
    assert.equal(v1.questionnaireVersion, scored!.questionnaireVersionId);
    assert.deepEqual(
      v1.snapshot.answers.map((a) => [a.questionId, a.answer]),
      audit.answers.map((a) => [a.questionId, a.answer]).sort((x, y) => Number(x[0]) - Number(y[0])),
    );
    const kept = v1.snapshot.answers.find((a) => a.questionId === identity.questionId)!;
    assert.deepEqual([kept.answer, kept.aiAnswer], [reviewer, ai]);
    assert.ok(v1.snapshot.transcript, 'the transcript is kept too');

    // The seed's tables hold the current results: the reviewer's answer stands, and the AI's changed.
    const now = await answersOf(callId);
    assert.equal(now.length, 9);
    assert.equal(now.find((a) => a.code === 'identity_verification')!.answer, reviewer);
    const [review] = await stack.db
      .select()
      .from(answerReview)
      .where(and(eq(answerReview.callId, callId), eq(answerReview.questionId, identity.questionId)));
    assert.equal(review!.aiChanged, true, 'flagged: AI answer changed since review');
    assert.equal(review!.newAiAnswer, reviewer);
    assert.equal(review!.aiChangedBatchId, reauditId);

    // The API: two versions (the current last), a diff of the answers that changed.
    const list = await getJson(stack.app, `/calls/${callId}/versions`);
    assert.equal(list.status, 200);
    const listed = list.body.versions as Json[];
    assert.deepEqual(
      listed.map((v) => [v.version, v.current, v.batch_id]),
      [
        [1, false, reauditId],
        [2, true, null],
      ],
    );
    const diff = await getJson(stack.app, `/calls/${callId}/versions/diff?from=1&to=2`);
    assert.equal(diff.status, 200, JSON.stringify(diff.body));
    const expected = audit.answers
      .filter((a) => now.find((b) => b.questionId === a.questionId)!.answer !== a.answer)
      .map((a) => a.code);
    assert.ok(expected.length > 0, 'the changed transcript changed some answers');
    assert.deepEqual(
      (diff.body.changed as Json[]).map((c) => c.code),
      expected,
    );
    for (const c of diff.body.changed as Json[]) {
      assert.equal(c.before, audit.answers.find((a) => a.code === c.code)!.answer);
      assert.equal(c.after, now.find((a) => a.code === c.code)!.answer);
    }
    assert.equal(diff.body.unchanged, 9 - expected.length);
    // Only llm2 ran again: both versions have the transcript as it was at the reaudit (the test changed it first).
    assert.equal(diff.body.transcript_changed, false);
    // The default diff is the previous version against the current one.
    assert.deepEqual((await getJson(stack.app, `/calls/${callId}/versions/diff`)).body, diff.body);
    assert.equal((await getJson(stack.app, `/calls/${callId}/versions/diff?from=1&to=3`)).status, 404);

    const flagged = await getJson(stack.app, '/reviews/flagged?limit=1000');
    assert.ok((flagged.body.calls as Json[]).some((c) => c.call_id === callId));

    // A retried clean-up (or a later stage's) keeps no second version.
    const [reauditRow] = await stack.db.select().from(batchStatus).where(eq(batchStatus.id, reauditId));
    const again = await stack.db.transaction((tx) =>
      snapshotResults(tx, { id: reauditId, taskId: reauditRow!.taskId, stages: ['llm2'] }, [callId]),
    );
    assert.equal(again, 0);
    assert.equal(
      (await stack.db.select().from(resultVersion).where(eq(resultVersion.callId, callId))).length,
      1,
    );

    // The seed's verification queries still run, unchanged, and show the current version.
    const seedSql = await readFile(new URL('../fixtures/seed-verification.sql', import.meta.url), 'utf8');
    const queries = seedSql
      .split(';')
      .map((q) => q.trim())
      .filter((q) => q && !/^--[^\n]*$/.test(q));
    const [callRows] = (await stack.database.pool.query(
      queries[2]!.replaceAll('<BATCH_ID>', String(batchId)),
    )) as unknown as [Json[]];
    assert.deepEqual(
      callRows.map((r) => [r.audioName, r.status]),
      [['versions.wav', 'Completed']],
    );
    const [distRows] = (await stack.database.pool.query(
      queries[1]!.replaceAll('<BATCH_ID>', String(batchId)),
    )) as unknown as [Json[]];
    assert.equal(distRows[0]!.llm2Done, 1);
  });
});
