// Questionnaire versions through the real pipeline (Temporal, workers, MariaDB, simulated nodes and LLM): a call
// uploaded after a new version is published is answered and scored with that version and records it; a call
// scored before keeps its version, answers and score. Each call's score is the scoring function's on its own
// version's questions and stored answers (critical rule included). A process of the test's own is used, so
// other tests' process 1 is never changed; its rows stay, as every integration test's do.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { type Question, scoreQuestionnaire } from '../../core/inference/questionnaire.js';
import { auditAnswer, auditQuestion, call, process } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { nameTag } from '../support/names.js';
import { type Stack, startStack } from '../support/stack.js';

const tag = nameTag();
const P = 1_100_000_000 + randomInt(0, 400_000_000);

let stack: Stack;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0.02 } });
  await stack.db
    .insert(process)
    .values({ id: P, name: `questionnaire versions ${tag}`, description: 'integration test' });
});
after(async () => {
  await stack?.stop();
});

async function publish(body: unknown) {
  const res = await stack.app.request(`/processes/${P}/questionnaire/versions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as { version: number; version_id: number; detail?: string };
  assert.equal(res.status, 201, JSON.stringify(json));
  return json;
}

/** Uploads one recording for process P and waits for its batch; the one upload at a time may be someone else's. */
async function auditOne(name: string, seed: number) {
  for (let tries = 0; ; tries++) {
    const res = await uploadAudit(
      stack.app,
      auditForm([{ name, bytes: makeWav(6, seed) }], { process_id: String(P) }),
    );
    if (res.status === 409 && tries < 120) {
      await new Promise((r) => setTimeout(r, 1000));
      continue;
    }
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [row] = await stack.db
      .select()
      .from(call)
      .where(eq(call.batchId, Number(res.body.batch_id)));
    assert.ok(row);
    return row;
  }
}

/** The call's stored answers with their questions, and what the scoring function makes of them. */
async function rescored(callId: number) {
  const rows = await stack.db
    .select({ answer: auditAnswer, question: auditQuestion })
    .from(auditAnswer)
    .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
    .where(eq(auditAnswer.callId, callId))
    .orderBy(auditQuestion.position);
  const questions: Question[] = rows.map(({ question: q }) => ({ ...q }));
  const scored = scoreQuestionnaire(
    questions,
    Object.fromEntries(
      rows.map(({ answer: a, question: q }) => [q.code, { answer: a.answer, evidence: a.evidence }]),
    ),
  );
  return { rows, scored };
}

describe('questionnaire versions in the pipeline', () => {
  test('a call scored after a publish uses the new version; the earlier call keeps its own', async () => {
    const v1 = await publish({
      note: 'v1',
      questions: [
        { code: 'greeting', text: 'Did the agent greet the customer?', answer_type: 'yes_no', weight: 10 },
        { code: 'empathy', text: 'How empathetic was the agent?', answer_type: 'scale_1_5', weight: 10 },
      ],
    });
    const first = await auditOne(`before-${tag}.wav`, 3);
    assert.equal(first.questionnaireVersionId, v1.version_id);
    const before = await rescored(first.id);
    assert.deepEqual(
      before.rows.map((r) => [r.question.versionId, r.question.code]),
      [
        [v1.version_id, 'greeting'],
        [v1.version_id, 'empathy'],
      ],
    );
    assert.equal(first.auditScore, before.scored.callScore);
    assert.equal(first.criticalFailure, false);

    const v2 = await publish({
      note: 'v2: identity is critical, closing added',
      questions: [
        {
          code: 'greeting',
          text: 'Did the agent use the standard greeting?',
          answer_type: 'yes_no',
          weight: 5,
        },
        {
          code: 'identity_verification',
          text: 'Did the agent verify the customer before discussing the account?',
          answer_type: 'yes_no',
          weight: 20,
          critical: true,
        },
        { code: 'closing', text: 'Did the agent close the call properly?', answer_type: 'yes_no', weight: 5 },
      ],
    });
    assert.equal(v2.version, 2);
    const second = await auditOne(`after-${tag}.wav`, 4);
    assert.equal(second.questionnaireVersionId, v2.version_id);
    const after = await rescored(second.id);
    assert.deepEqual(
      after.rows.map((r) => [r.question.versionId, r.question.code, r.question.critical]),
      [
        [v2.version_id, 'greeting', false],
        [v2.version_id, 'identity_verification', true],
        [v2.version_id, 'closing', false],
      ],
    );
    assert.equal(second.auditScore, after.scored.callScore);
    assert.equal(second.criticalFailure, after.scored.criticalFailure);
    if (after.rows.find((r) => r.question.code === 'identity_verification')?.answer.answer === 'no')
      assert.equal(second.auditScore, 0);

    // The first call: same version, answers and score as before version 2.
    const [firstNow] = await stack.db.select().from(call).where(eq(call.id, first.id));
    assert.equal(firstNow?.questionnaireVersionId, v1.version_id);
    assert.equal(firstNow?.auditScore, first.auditScore);
    const still = await stack.db
      .select({ id: auditAnswer.id, questionId: auditAnswer.questionId, answer: auditAnswer.answer })
      .from(auditAnswer)
      .where(inArray(auditAnswer.callId, [first.id]));
    assert.deepEqual(
      still.map((a) => a.questionId).sort(),
      before.rows.map((r) => r.answer.questionId).sort(),
    );
    const [greeting1] = await stack.db
      .select({ text: auditQuestion.text })
      .from(auditQuestion)
      .where(eq(auditQuestion.id, before.rows[0]!.question.id));
    assert.equal(greeting1?.text, 'Did the agent greet the customer?');
  });
});
