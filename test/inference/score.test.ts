// Questionnaire scoring is cofi's own arithmetic: weights, N/A out of the denominator, a 0..100 call score.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  callScore,
  type Question,
  scoreAnswer,
  scoreQuestionnaire,
} from '../../core/inference/questionnaire.js';

const q = (id: number, code: string, answerType: Question['answerType'], weight: number): Question => ({
  id,
  code,
  text: code,
  answerType,
  weight,
  guidance: null,
});

describe('scoreAnswer', () => {
  test('yes earns the weight, no earns nothing', () => {
    assert.deepEqual(scoreAnswer('yes_no', 'yes', 8), { score: 8, maxScore: 8 });
    assert.deepEqual(scoreAnswer('yes_no', 'no', 8), { score: 0, maxScore: 8 });
    assert.deepEqual(scoreAnswer('yes_no_na', 'yes', 7), { score: 7, maxScore: 7 });
  });
  test('na is out of both numerator and denominator', () => {
    assert.deepEqual(scoreAnswer('yes_no_na', 'na', 7), { score: 0, maxScore: 0 });
  });
  test('a scale answer v earns (v-1)/4 of the weight', () => {
    assert.deepEqual(scoreAnswer('scale_1_5', '1', 10), { score: 0, maxScore: 10 });
    assert.deepEqual(scoreAnswer('scale_1_5', '3', 10), { score: 5, maxScore: 10 });
    assert.deepEqual(scoreAnswer('scale_1_5', '4', 10), { score: 7.5, maxScore: 10 });
    assert.deepEqual(scoreAnswer('scale_1_5', '5', 10), { score: 10, maxScore: 10 });
  });
  test('an answer the type does not take is refused', () => {
    assert.throws(() => scoreAnswer('yes_no', 'na', 5), RangeError);
    assert.throws(() => scoreAnswer('scale_1_5', '6', 5), RangeError);
    assert.throws(() => scoreAnswer('yes_no', 'maybe', 5), RangeError);
  });
});

describe('callScore and scoreQuestionnaire', () => {
  const questions = [
    q(1, 'greeting', 'yes_no', 10),
    q(2, 'empathy', 'scale_1_5', 20),
    q(3, 'hold', 'yes_no_na', 10),
  ];

  test('100 x earned / possible, N/A excluded, one decimal', () => {
    const result = scoreQuestionnaire(questions, {
      greeting: { answer: 'yes', evidence: 'Thank you for calling' },
      empathy: { answer: '4', evidence: 'I am sorry' },
      hold: { answer: 'na', evidence: null },
    });
    // (10 + 15) / (10 + 20) = 83.33...
    assert.equal(result.callScore, 83.3);
    assert.deepEqual(
      result.answers.map((a) => [a.questionId, a.answer, a.score, a.maxScore]),
      [
        [1, 'yes', 10, 10],
        [2, '4', 15, 20],
        [3, 'na', 0, 0],
      ],
    );
  });

  test('all no is 0, all yes/5 is 100, blank evidence becomes null', () => {
    const none = scoreQuestionnaire(questions, {
      greeting: { answer: 'no', evidence: '  ' },
      empathy: { answer: '1', evidence: null },
      hold: { answer: 'no', evidence: null },
    });
    assert.equal(none.callScore, 0);
    assert.equal(none.answers[0]?.evidence, null);
    const all = scoreQuestionnaire(questions, {
      greeting: { answer: 'yes', evidence: null },
      empathy: { answer: '5', evidence: null },
      hold: { answer: 'yes', evidence: null },
    });
    assert.equal(all.callScore, 100);
  });

  test('nothing applicable scores 0 rather than dividing by zero', () => {
    assert.equal(callScore([{ score: 0, maxScore: 0 }]), 0);
    assert.equal(callScore([]), 0);
  });

  test('a question without an answer is an error', () => {
    assert.throws(
      () =>
        scoreQuestionnaire(questions, {
          greeting: { answer: 'yes', evidence: null },
          empathy: { answer: '3', evidence: null },
        }),
      /question "hold" has no answer/,
    );
  });
});
