import assert from 'node:assert/strict';
import { test } from 'node:test';
import { languageHint } from '../../simulator/content.js';
import { nameTag } from '../support/names.js';

test('a test name tag never names a language to the simulator; a hex tag could', () => {
  // The hazard: a two-letter code between digits is read as the call's language.
  assert.equal(languageHint('1de0f3a2-joined-a.wav', 1), 'de');
  for (let i = 0; i < 2000; i++) {
    const tag = nameTag();
    assert.match(tag, /^\d{9}$/);
    assert.equal(languageHint(`${tag}-joined-a.wav`, i), languageHint('joined-a.wav', i), tag);
  }
});
