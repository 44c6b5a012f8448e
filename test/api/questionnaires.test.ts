// Questionnaire versions on the real MariaDB (no workflow runs): a process's questionnaire is created and new
// versions published through the API (operator key, on the access trail); every refused version is a 4xx naming
// the question and field and stores nothing; a call scored with version 1 keeps its score, version and question
// text after version 2 is published; a critical failure is in the call's API answer and its batch's call list.
// The tests use processes of their own (random ids), so other tests' process 1 is never changed.
import assert from 'node:assert/strict';
import { randomInt, randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { and, count, eq, gt, inArray, max } from 'drizzle-orm';
import { hashKey } from '../../api/auth.js';
import {
  accessLog,
  auditAnswer,
  auditQuestion,
  batchStatus,
  call,
  process,
  questionnaireVersion,
} from '../../drizzle/schema/index.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const tag = randomUUID().slice(0, 8);
const READ = `q-read-key-${tag}`;
const OPERATOR = `q-operator-key-${tag}`;
const LEAD = `qa-lead-${tag}`;
/** Two processes of this test's own: one gets a questionnaire, one never does. */
const P = 1_000_000_000 + randomInt(0, 500_000_000);
const EMPTY = P + 1;

let api: ApiApp;
const batches: number[] = [];

before(async () => {
  api = await openApiApp({
    API_KEYS: `read:q-reader-${tag}:${hashKey(READ)},operator:${LEAD}:${hashKey(OPERATOR)}`,
  });
  await api.db.insert(process).values([
    { id: P, name: `questionnaire test ${tag}`, description: 'test process' },
    { id: EMPTY, name: `no questionnaire ${tag}`, description: 'test process' },
  ]);
});
after(async () => {
  if (batches.length) {
    const calls = await api.db.select({ id: call.id }).from(call).where(inArray(call.batchId, batches));
    if (calls.length)
      await api.db.delete(auditAnswer).where(
        inArray(
          auditAnswer.callId,
          calls.map((c) => c.id),
        ),
      );
    await api.db.delete(call).where(inArray(call.batchId, batches));
    await api.db.delete(batchStatus).where(inArray(batchStatus.id, batches));
  }
  await api?.db.delete(auditQuestion).where(inArray(auditQuestion.processId, [P, EMPTY]));
  await api?.db.delete(questionnaireVersion).where(inArray(questionnaireVersion.processId, [P, EMPTY]));
  await api?.db.delete(process).where(inArray(process.id, [P, EMPTY]));
  await api?.stop();
});

// biome-ignore lint/suspicious/noExplicitAny: answers are read as the JSON the API sent; the asserts check them
type Json = Record<string, any>;
async function send(method: string, url: string, body?: unknown, key = OPERATOR) {
  const res = await api.app.request(url, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Json };
}
const publish = (body: unknown, key = OPERATOR, processId = P) =>
  send('POST', `/processes/${processId}/questionnaire/versions`, body, key);

/** What the database holds of a process's questionnaires: versions and questions. */
async function stored(processId = P) {
  const [v] = await api.db
    .select({ n: count() })
    .from(questionnaireVersion)
    .where(eq(questionnaireVersion.processId, processId));
  const [q] = await api.db
    .select({ n: count() })
    .from(auditQuestion)
    .where(eq(auditQuestion.processId, processId));
  return { versions: v?.n ?? 0, questions: q?.n ?? 0 };
}

const V1 = {
  note: 'first version',
  questions: [
    {
      code: 'greeting',
      text: 'Did the agent greet the customer?',
      answer_type: 'yes_no',
      weight: 10,
      guidance: 'company and own name',
    },
    {
      code: 'identity',
      text: 'Did the agent verify the identity?',
      answer_type: 'yes_no',
      weight: 20,
      critical: true,
    },
    { code: 'empathy', text: 'How empathetic was the agent?', answer_type: 'scale_1_5', weight: 10 },
    {
      code: 'hold',
      text: 'Was the hold etiquette followed?',
      answer_type: 'yes_no_na',
      weight: 5,
      critical: true,
      options: ['na', 'yes', 'no'],
    },
  ],
};

async function lastTrailId(): Promise<number> {
  const [row] = await api.db.select({ id: max(accessLog.id) }).from(accessLog);
  return row?.id ?? 0;
}

/** A finished batch of process P with one call scored with `versionId`, answers given by code. */
async function scoredCall(
  versionId: number,
  answers: Record<string, { answer: string; score: number; maxScore: number }>,
  auditScore: number,
  criticalFailure: boolean,
) {
  const [b] = await api.db.insert(batchStatus).values({
    batchDate: new Date().toISOString().slice(0, 10),
    kind: 'audit',
    status: 'Completed',
    taskId: `q-${tag}-${batches.length}`,
    workflowId: `test/q-${tag}-${batches.length}`,
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
  batches.push(b.insertId);
  const [c] = await api.db.insert(call).values({
    batchId: b.insertId,
    audioName: `q-${tag}.wav`,
    storedPath: `batch-${b.insertId}/00001.wav`,
    processId: P,
    status: 'Completed',
    stage: 'llm2',
    lang: 'en',
    auditScore,
    questionnaireVersionId: versionId,
    criticalFailure,
  });
  const questions = await api.db.select().from(auditQuestion).where(eq(auditQuestion.versionId, versionId));
  await api.db.insert(auditAnswer).values(
    questions.map((q) => ({
      callId: c.insertId,
      questionId: q.id,
      evidence: null,
      model: 'sim',
      ...(answers[q.code] ?? { answer: 'yes', score: q.weight, maxScore: q.weight }),
    })),
  );
  return { batchId: b.insertId, callId: c.insertId };
}

describe('questionnaire versions', () => {
  let v1: Json;

  test('a process without a questionnaire: 404 for the current one, an empty version list', async () => {
    const current = await send('GET', `/processes/${EMPTY}/questionnaire`, undefined, READ);
    assert.equal(current.status, 404);
    assert.match(current.body.detail, /has no questionnaire yet/);
    const list = await send('GET', `/processes/${EMPTY}/questionnaire/versions`, undefined, READ);
    assert.equal(list.status, 200);
    assert.deepEqual(list.body.versions, []);
    const unknown = await send('GET', `/processes/${P + 2}/questionnaire`, undefined, READ);
    assert.equal(unknown.status, 404);
    assert.match(unknown.body.detail, /no process with id/);
  });

  test('publishing to a process without one creates version 1, on the access trail', async () => {
    const from = await lastTrailId();
    const res = await publish(V1);
    assert.equal(res.status, 201, JSON.stringify(res.body));
    v1 = res.body;
    assert.equal(v1.version, 1);
    assert.equal(v1.process_id, P);
    assert.equal(v1.published_by, LEAD);
    assert.equal(v1.note, 'first version');
    assert.deepEqual(
      v1.questions.map((q: Json) => [q.position, q.code, q.answer_type, q.weight, q.critical]),
      [
        [1, 'greeting', 'yes_no', 10, false],
        [2, 'identity', 'yes_no', 20, true],
        [3, 'empathy', 'scale_1_5', 10, false],
        [4, 'hold', 'yes_no_na', 5, true],
      ],
    );
    assert.deepEqual(v1.questions[3].options, ['yes', 'no', 'na']);
    const current = await send('GET', `/processes/${P}/questionnaire`, undefined, READ);
    assert.equal(current.status, 200);
    assert.deepEqual(current.body, v1);
    const trail = await api.db
      .select()
      .from(accessLog)
      .where(and(gt(accessLog.id, from), eq(accessLog.action, 'publish_questionnaire')));
    assert.equal(trail.length, 1);
    assert.equal(trail[0]?.targetType, 'process');
    assert.equal(trail[0]?.targetId, P);
    assert.equal(trail[0]?.keyName, LEAD);
    assert.equal(trail[0]?.status, 201);
  });

  test('a read key may look but not publish; the refusal is on the trail and nothing is stored', async () => {
    const before = await stored();
    const from = await lastTrailId();
    const res = await publish(V1, READ);
    assert.equal(res.status, 403);
    assert.deepEqual(await stored(), before);
    const trail = await api.db
      .select()
      .from(accessLog)
      .where(and(gt(accessLog.id, from), eq(accessLog.action, 'publish_questionnaire')));
    assert.deepEqual(
      trail.map((t) => [t.status, t.keyName]),
      [[403, `q-reader-${tag}`]],
    );
  });

  const q = (over: Json) => ({ code: 'x', text: 'A question?', answer_type: 'yes_no', weight: 1, ...over });
  const invalid: [string, unknown, number, RegExp][] = [
    ['no questions', { questions: [] }, 422, /questions: a questionnaire needs at least one question/],
    [
      'a weight of 0',
      { questions: [q({ code: 'a' }), q({ code: 'empathy', weight: 0 })] },
      422,
      /questions\[1\] \("empathy"\)\.weight: must be a positive number \(got 0\)/,
    ],
    [
      'a negative weight',
      { questions: [q({ code: 'a', weight: -3 })] },
      422,
      /questions\[0\] \("a"\)\.weight: must be a positive number/,
    ],
    ['a weight as text', { questions: [q({ weight: '5' })] }, 422, /body field questions\.0\.weight/],
    [
      'an unknown answer type',
      { questions: [q({ answer_type: 'boolean' })] },
      422,
      /body field questions\.0\.answer_type/,
    ],
    [
      'options that are not the type’s',
      { questions: [q({ code: 'greeting', options: ['yes', 'no', 'maybe'] })] },
      422,
      /questions\[0\] \("greeting"\)\.options: a yes_no question takes exactly yes, no/,
    ],
    [
      'a code used twice',
      { questions: [q({ code: 'greeting' }), q({ code: 'greeting' })] },
      422,
      /questions\[1\] \("greeting"\)\.code: "greeting" is already the code of questions\[0\]; codes must be unique/,
    ],
    [
      'a critical scale question',
      { questions: [q({ code: 'empathy', answer_type: 'scale_1_5', critical: true })] },
      422,
      /questions\[0\] \("empathy"\)\.critical: only a question that can be answered "no" can be critical/,
    ],
    ['a code that is no identifier', { questions: [q({ code: 'Greeting!' })] }, 422, /questions\[0\]\.code/],
    [
      'an empty text',
      { questions: [q({ text: '   ' })] },
      422,
      /questions\[0\] \("x"\)\.text: the question text is empty/,
    ],
    ['an unknown field', { questions: [q({ colour: 'red' })] }, 422, /colour|unrecognized/i],
    ['no questions field', { note: 'x' }, 422, /body field questions/],
    ['a body that is not JSON', '{"questions": [', 400, /not valid JSON/],
  ];
  for (const [name, body, status, detail] of invalid) {
    test(`refused with ${status}, nothing stored: ${name}`, async () => {
      const before = await stored();
      const res = await publish(body);
      assert.equal(res.status, status, JSON.stringify(res.body));
      assert.match(res.body.detail, detail);
      assert.deepEqual(await stored(), before);
      const current = await send('GET', `/processes/${P}/questionnaire`, undefined, READ);
      assert.equal(current.body.version, 1);
    });
  }

  test('publishing for an unknown process is a 404 and stores nothing', async () => {
    const res = await publish(V1, OPERATOR, P + 2);
    assert.equal(res.status, 404);
    assert.deepEqual(await stored(P + 2), { versions: 0, questions: 0 });
  });

  test('a call scored with version 1 keeps its score, version and question text after version 2', async () => {
    const seeded = await scoredCall(
      v1.version_id,
      { greeting: { answer: 'no', score: 0, maxScore: 10 } },
      (100 * 35) / 45,
      false,
    );
    const before = await send('GET', `/calls/${seeded.callId}`, undefined, READ);
    assert.equal(before.status, 200);
    const v2 = await publish({
      note: 'greeting reworded, empathy dropped, closing added',
      questions: [
        { ...V1.questions[0], text: 'Did the agent use the new greeting?', weight: 5 },
        V1.questions[1],
        { code: 'closing', text: 'Did the agent close the call?', answer_type: 'yes_no', weight: 5 },
      ],
    });
    assert.equal(v2.status, 201, JSON.stringify(v2.body));
    assert.equal(v2.body.version, 2);
    assert.notEqual(v2.body.version_id, v1.version_id);
    // New rows: version 1's questions (and the answers pointing at them) are untouched.
    assert.ok(v2.body.questions.every((q: Json) => !v1.questions.some((o: Json) => o.id === q.id)));

    const after = await send('GET', `/calls/${seeded.callId}`, undefined, READ);
    assert.deepEqual(after.body.answers, before.body.answers);
    assert.deepEqual(after.body.call, before.body.call);
    assert.deepEqual(after.body.questionnaire, { version: 1, version_id: v1.version_id });
    assert.equal(after.body.score, (100 * 35) / 45);
    assert.equal(
      after.body.answers.find((a: Json) => a.code === 'greeting').question,
      'Did the agent greet the customer?',
    );
    assert.ok(after.body.answers.some((a: Json) => a.code === 'empathy'));

    const current = await send('GET', `/processes/${P}/questionnaire`, undefined, READ);
    assert.equal(current.body.version, 2);
    assert.equal(current.body.questions[0].text, 'Did the agent use the new greeting?');
    const old = await send('GET', `/processes/${P}/questionnaire/versions/1`, undefined, READ);
    assert.deepEqual(old.body, v1);
    const list = await send('GET', `/processes/${P}/questionnaire/versions`, undefined, READ);
    assert.deepEqual(
      list.body.versions.map((v: Json) => [
        v.version,
        v.current,
        v.question_count,
        v.critical_count,
        v.published_by,
      ]),
      [
        [2, true, 3, 1, LEAD],
        [1, false, 4, 2, LEAD],
      ],
    );
    const missing = await send('GET', `/processes/${P}/questionnaire/versions/3`, undefined, READ);
    assert.equal(missing.status, 404);
    const processes = await send('GET', '/processes', undefined, READ);
    assert.equal(processes.body.processes.find((p: Json) => p.id === P).question_count, 3);
  });

  test('a critical failure is in the call and in its batch call list', async () => {
    const seeded = await scoredCall(
      v1.version_id,
      { identity: { answer: 'no', score: 0, maxScore: 20 }, hold: { answer: 'na', score: 0, maxScore: 0 } },
      0,
      true,
    );
    const res = await send('GET', `/calls/${seeded.callId}`, undefined, READ);
    assert.equal(res.status, 200);
    assert.equal(res.body.score, 0);
    assert.deepEqual(res.body.critical_failures, ['identity']);
    assert.equal(res.body.call.critical_failure, true);
    assert.deepEqual(
      res.body.answers.filter((a: Json) => a.critical).map((a: Json) => [a.code, a.answer]),
      [
        ['identity', 'no'],
        ['hold', 'na'],
      ],
    );
    const list = await send('GET', `/batches/${seeded.batchId}/calls`, undefined, READ);
    assert.equal(list.status, 200);
    assert.equal(list.body.calls[0].critical_failure, true);

    // A reaudit re-running llm2 clears the score first: the flag and version belong to that score, so go too.
    await api.db.update(call).set({ auditScore: null }).where(eq(call.id, seeded.callId));
    const resetting = await send('GET', `/calls/${seeded.callId}`, undefined, READ);
    assert.equal(resetting.body.call.critical_failure, null);
    assert.equal(resetting.body.questionnaire, null);
  });
});
