import assert from 'node:assert/strict';
import { test } from 'node:test';
import { normaliseWords, wordErrorRate, wordErrors } from '../../core/inference/wer.js';

test('words are lower-cased and stripped of punctuation, in any script', () => {
  assert.deepEqual(normaliseWords("Hi, I'm Priya — how can I help?"), [
    'hi',
    'im',
    'priya',
    'how',
    'can',
    'i',
    'help',
  ]);
  assert.deepEqual(normaliseWords('Postcode M1 4BT.'), ['postcode', 'm1', '4bt']);
  assert.deepEqual(normaliseWords('¿Hola, señor?'), ['hola', 'señor']);
  // Devanagari vowel signs are combining marks: the word stays whole.
  assert.deepEqual(normaliseWords('नमस्ते, मेरा नाम'), ['नमस्ते', 'मेरा', 'नाम']);
  assert.deepEqual(normaliseWords('  ...  '), []);
});

test('identical transcripts up to case and punctuation have no errors', () => {
  assert.equal(wordErrorRate('Thank you for calling.', 'thank you, for calling'), 0);
});

test('substitutions, deletions and insertions are counted apart', () => {
  assert.deepEqual(wordErrors('a b c d', 'a x c d'), {
    wer: 0.25,
    substitutions: 1,
    deletions: 0,
    insertions: 0,
    referenceWords: 4,
    hypothesisWords: 4,
  });
  const deleted = wordErrors('a b c d', 'a d');
  assert.equal(deleted.deletions, 2);
  assert.equal(deleted.wer, 0.5);
  const inserted = wordErrors('a b', 'a b c d e');
  assert.equal(inserted.insertions, 3);
  assert.equal(inserted.wer, 1.5, 'insertions can take the rate above 1');
});

test('the distance is the minimum over alignments', () => {
  // A shifted sentence: one deletion at the front and one insertion at the end, not four substitutions.
  const e = wordErrors('the cat sat on', 'cat sat on it');
  assert.equal(e.deletions + e.insertions + e.substitutions, 2);
  assert.equal(e.wer, 0.5);
});

test('an empty reference is 0 against nothing and 1 against any words', () => {
  assert.equal(wordErrorRate('', ''), 0);
  assert.equal(wordErrorRate('', 'hallucinated words'), 1);
  assert.equal(wordErrorRate('some words', ''), 1);
});
