// Language normalisation: the names and codes servers send all become one ISO 639-1 code.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { KNOWN_LANGUAGES, languageName, normaliseLanguage } from '../../core/inference/languages.js';

test('names in any case become codes', () => {
  assert.equal(normaliseLanguage('english'), 'en');
  assert.equal(normaliseLanguage('Hindi'), 'hi');
  assert.equal(normaliseLanguage('spanish'), 'es');
  assert.equal(normaliseLanguage(' SPANISH '), 'es');
  assert.equal(normaliseLanguage('castilian'), 'es');
  assert.equal(normaliseLanguage('Mandarin'), 'zh');
});

test('codes with case, region or ISO 639-2 spelling become ISO 639-1', () => {
  assert.equal(normaliseLanguage('en'), 'en');
  assert.equal(normaliseLanguage('EN'), 'en');
  assert.equal(normaliseLanguage('en-US'), 'en');
  assert.equal(normaliseLanguage('pt_BR'), 'pt');
  assert.equal(normaliseLanguage('hin'), 'hi');
  assert.equal(normaliseLanguage('iw'), 'he');
  assert.equal(normaliseLanguage('sw'), 'sw');
});

test('unknown words and empty values are null, even object-prototype names', () => {
  assert.equal(normaliseLanguage('klingon'), null);
  assert.equal(normaliseLanguage(''), null);
  assert.equal(normaliseLanguage(null), null);
  assert.equal(normaliseLanguage('constructor'), null);
  assert.equal(normaliseLanguage('toString'), null);
});

test('the table covers the most common Whisper languages, and names go back from codes', () => {
  assert.ok(KNOWN_LANGUAGES.length >= 30);
  for (const code of [
    'en',
    'zh',
    'de',
    'es',
    'ru',
    'ko',
    'fr',
    'ja',
    'pt',
    'tr',
    'hi',
    'ar',
    'ta',
    'bn',
    'ur',
  ]) {
    assert.ok(KNOWN_LANGUAGES.includes(code), code);
    assert.equal(normaliseLanguage(languageName(code)), code);
  }
  assert.equal(languageName('en'), 'English');
  assert.equal(languageName('xx'), 'xx');
});
