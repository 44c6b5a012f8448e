// Critical questions in the one scoring place (core/inference/questionnaire.ts): a critical question answered
// `no` scores the call 0 and names the question; `na` on a critical question stays out of the score and fails
// nothing; and the checks a questionnaire version must pass before it is published (lifecycle/questionnaires.ts).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  callScore,
  canAnswerNo,
  criticalFailures,
  type Question,
  scoreQuestionnaire,
} from '../../core/inference/questionnaire.js';
import { checkVersion, type QuestionInput, QuestionnaireInvalid } from '../../lifecycle/questionnaires.js';

const q = (
  id: number,
  code: string,
  answerType: Question['answerType'],
  weight: number,
  critical = false,
): Question => ({ id, code, text: code, answerType, weight, guidance: null, critical });

const questions = [
  q(1, 'greeting', 'yes_no', 10),
  q(2, 'identity', 'yes_no', 30, true),
  q(3, 'empathy', 'scale_1_5', 20),
  q(4, 'disclosure', 'yes_no_na', 10, true),
];
const answer = (answer: string) => ({ answer, evidence: null });

describe('critical questions in the score', () => {
  test('a critical question answered no sets the score to 0 and is named', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: answer('yes'),
      identity: answer('no'),
      empathy: answer('5'),
      disclosure: answer('yes'),
    });
    assert.equal(result.callScore, 0);
    assert.equal(result.criticalFailure, true);
    assert.deepEqual(result.criticalFailures, ['identity']);
    // The answers keep their own points: the page shows what each earned, the total says why it is 0.
    assert.deepEqual(
      result.answers.map((a) => a.score),
      [10, 0, 20, 10],
    );
  });

  test('every critical no is named, in questionnaire order', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: answer('yes'),
      identity: answer('no'),
      empathy: answer('3'),
      disclosure: answer('no'),
    });
    assert.deepEqual(result.criticalFailures, ['identity', 'disclosure']);
    assert.equal(result.callScore, 0);
  });

  test('critical questions answered yes score as usual', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: answer('no'),
      identity: answer('yes'),
      empathy: answer('3'),
      disclosure: answer('yes'),
    });
    // (0 + 30 + 10 + 10) / 70
    assert.equal(result.callScore, 71.4);
    assert.equal(result.criticalFailure, false);
    assert.deepEqual(result.criticalFailures, []);
  });

  test('N/A on a critical question stays out of the score and fails nothing', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: answer('yes'),
      identity: answer('yes'),
      empathy: answer('5'),
      disclosure: answer('na'),
    });
    assert.equal(result.callScore, 100);
    assert.equal(result.criticalFailure, false);
  });

  test('a non-critical no lowers the score without zeroing it', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: answer('no'),
      identity: answer('yes'),
      empathy: answer('5'),
      disclosure: answer('yes'),
    });
    assert.equal(result.callScore, 85.7);
  });

  test('callScore alone applies the rule (for rescoring after a review) and ignores it without critical', () => {
    const items = [
      { score: 10, maxScore: 10, answer: 'yes' },
      { score: 0, maxScore: 30, answer: 'no', critical: true },
    ];
    assert.equal(callScore(items), 0);
    assert.equal(callScore(items.map(({ score, maxScore }) => ({ score, maxScore }))), 25);
    assert.deepEqual(criticalFailures([{ code: 'a', answer: 'no', critical: true }]), ['a']);
    assert.deepEqual(criticalFailures([{ code: 'a', answer: 'no' }]), []);
  });

  test('only types with a no can be critical', () => {
    assert.equal(canAnswerNo('yes_no'), true);
    assert.equal(canAnswerNo('yes_no_na'), true);
    assert.equal(canAnswerNo('scale_1_5'), false);
  });
});

describe('checkVersion', () => {
  const ok = (over: Partial<QuestionInput> = {}): QuestionInput => ({
    code: 'greeting',
    text: 'Did the agent greet?',
    answer_type: 'yes_no',
    weight: 5,
    ...over,
  });
  const refused = (questions: QuestionInput[], detail: RegExp) =>
    assert.throws(
      () => checkVersion({ questions }),
      (err: unknown) => err instanceof QuestionnaireInvalid && detail.test(err.detail),
    );

  test('a valid version passes', () => {
    checkVersion({
      questions: [
        ok(),
        ok({ code: 'hold', answer_type: 'yes_no_na', critical: true, options: ['na', 'no', 'yes'] }),
      ],
    });
  });
  test('each rule names the question and the field', () => {
    refused([], /at least one question/);
    refused([ok({ weight: Number.NaN })], /questions\[0\] \("greeting"\)\.weight/);
    refused([ok({ weight: Number.POSITIVE_INFINITY })], /\.weight: must be a positive number/);
    refused([ok(), ok({ code: 'b' }), ok({ code: 'b' })], /questions\[2\] \("b"\)\.code: .*questions\[1\]/);
    refused([ok({ options: ['yes'] })], /\.options: a yes_no question takes exactly yes, no/);
    refused([ok({ options: ['yes', 'yes'] })], /\.options/);
    refused(
      [ok({ answer_type: 'scale_1_5', critical: true })],
      /\.critical: only a question that can be answered "no"/,
    );
    refused([ok({ code: '1abc' })], /questions\[0\]\.code/);
    refused([ok({ code: 'a'.repeat(65) })], /questions\[0\]\.code/);
    refused(
      Array.from({ length: 101 }, (_, i) => ok({ code: `q${i}` })),
      /at most 100 questions/,
    );
  });
});
