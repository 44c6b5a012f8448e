// The redact stage's pure parts: how a transcript is redacted per policy and language, and which spans of
// the recording are masked.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { redactTranscript } from '../../activities/redact.js';
import { parseAuditStages } from '../../api/routes/audit.js';
import { MASK_PAD_SEC, maskSpans, spanExpression } from '../../core/audio/mask.js';
import { parseRedactionPolicy, type RedactionPolicy } from '../../core/redaction/index.js';
import type { TranscriptSegment } from '../../drizzle/schema/index.js';

const policy = (input: Partial<RedactionPolicy> = {}): RedactionPolicy => {
  const parsed = parseRedactionPolicy(input);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.value;
};

const segments: TranscriptSegment[] = [
  { id: 0, start: 0, end: 2, text: ' Thank you for calling, how can I help?' },
  { id: 1, start: 2, end: 6, text: ' My card number is four five three two zero one five one,' },
  { id: 2, start: 6, end: 8, text: ' one two eight three zero three six six.' },
  { id: 3, start: 8, end: 10, text: ' Send it to jane.doe@example.com please.' },
];
const text = segments.map((s) => s.text).join('');

describe('redactTranscript', () => {
  test('replaces the entities in the segments and rebuilds the text from them', () => {
    const out = redactTranscript({ text, segments }, 'en', policy());
    assert.deepEqual(
      out.entities.map((e) => e.type),
      ['card', 'email'],
    );
    assert.equal(
      out.text,
      'Thank you for calling, how can I help? My card number is [CARD] [CARD]. Send it to [EMAIL] please.',
    );
    assert.equal(out.segments.length, segments.length, 'segments keep their number, times and ids');
    assert.deepEqual(
      out.segments.map((s) => [s.id, s.start, s.end]),
      segments.map((s) => [s.id, s.start, s.end]),
    );
  });

  test('redacting its own output finds nothing more: placeholders match no rule', () => {
    const once = redactTranscript({ text, segments }, 'en', policy());
    const twice = redactTranscript({ text: once.text, segments: once.segments }, 'en', policy());
    assert.deepEqual(twice.entities, []);
    assert.equal(twice.text, once.text);
  });

  test('only the types the policy names are replaced; none named passes the text through', () => {
    const cards = redactTranscript({ text, segments }, 'en', policy({ entities: ['card'] }));
    assert.ok(cards.text.includes('[CARD]') && cards.text.includes('jane.doe@example.com'));
    const none = redactTranscript({ text, segments }, 'fr', policy({ entities: [] }));
    assert.deepEqual(
      none,
      { text, segments, entities: [] },
      'even in a language the engine has no rules for',
    );
  });

  test('a language without rules, or none, fails without retrying and says nothing is sent', () => {
    for (const lang of ['fr', null]) {
      assert.throws(
        () => redactTranscript({ text, segments }, lang, policy()),
        (err: unknown) =>
          err instanceof ApplicationFailure &&
          err.nonRetryable &&
          err.type === 'unsupported_language' &&
          /not sent to the LLMs/.test(err.message),
      );
    }
  });

  test("a language the process's policy does not name is refused like one without rules", () => {
    assert.throws(
      () => redactTranscript({ text, segments }, 'es', policy({ languages: ['en'] })),
      (err: unknown) =>
        err instanceof ApplicationFailure &&
        err.nonRetryable &&
        err.type === 'unsupported_language' &&
        /policy names the languages en, not "es".*not sent to the LLMs/.test(err.message),
    );
    const ok = redactTranscript({ text, segments }, 'en', policy({ languages: ['en'] }));
    assert.ok(ok.text.includes('[CARD]'), 'a named language is redacted');
  });

  test('a transcript without segments is redacted as one piece of text', () => {
    const out = redactTranscript({ text: 'mail me at jane.doe@example.com', segments: [] }, 'en', policy());
    assert.equal(out.text, 'mail me at [EMAIL]');
    assert.deepEqual(out.segments, []);
  });
});

describe('maskSpans', () => {
  test('pads each span, clamps at 0, merges overlaps and sorts', () => {
    assert.deepEqual(
      maskSpans([
        { start: 5, end: 6 },
        { start: 0.1, end: 1 },
        { start: 6.2, end: 7 },
      ]),
      [
        { start: 0, end: 1 + MASK_PAD_SEC },
        { start: 5 - MASK_PAD_SEC, end: 7 + MASK_PAD_SEC },
      ],
    );
    assert.deepEqual(maskSpans([{ start: 3, end: 2 }]), [], 'a reversed span is dropped');
  });

  test("ffmpeg's expression covers every span", () => {
    assert.equal(
      spanExpression([
        { start: 1, end: 2.5 },
        { start: 4, end: 5 },
      ]),
      'between(t,1.000,2.500)+between(t,4.000,5.000)',
    );
  });
});

describe("an upload's stages", () => {
  test('stt brings redact with it: no upload stores a transcript redaction has not read', () => {
    assert.deepEqual(parseAuditStages('lid,stt'), ['distribute', 'lid', 'stt', 'redact']);
    assert.deepEqual(parseAuditStages('stt, lid, redact'), ['distribute', 'lid', 'stt', 'redact']);
    assert.deepEqual(parseAuditStages('lid'), ['distribute', 'lid']);
    assert.throws(() => parseAuditStages('redact'), /redact needs stt/);
  });
});
