// A recording without speech: how cofi tells it from an answer of the speech model, and how such a call
// counts in a batch (finished, not failed; completed, without a score).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { heardNoSpeech, silentSegment } from '../../core/inference/speech.js';
import { emptyProgress, stageFinished, stageStatus } from '../../core/progress.js';
import type { Stage } from '../../core/stages.js';
import { callTotals } from '../../lifecycle/ledger.js';

const seg = (text: string, noSpeechProb?: number, avgLogprob?: number) => ({
  text,
  ...(noSpeechProb === undefined ? {} : { noSpeechProb }),
  ...(avgLogprob === undefined ? {} : { avgLogprob }),
});

describe('no speech in an answer', () => {
  test('an empty answer, or one of punctuation and symbols only, holds no speech', () => {
    assert.equal(heardNoSpeech({ text: '', segments: [] }), true);
    assert.equal(heardNoSpeech({ text: ' ... ♪ ', segments: [seg('...'), seg('♪')] }), true);
  });

  test('words in any script are speech', () => {
    assert.equal(heardNoSpeech({ text: 'hello', segments: [seg('hello')] }), false);
    assert.equal(heardNoSpeech({ text: 'नमस्ते', segments: [seg('नमस्ते')] }), false);
    assert.equal(heardNoSpeech({ text: '42', segments: [] }), false);
  });

  test("a courtesy phrase Whisper 'hears' in silence is no speech when every segment is its silence", () => {
    const hallucinated = { text: 'Thank you.', segments: [seg('Thank you.', 0.92, -1.4)] };
    assert.equal(heardNoSpeech(hallucinated), true);
    // One segment that is not silence is enough: the call is analysed.
    const mixed = {
      text: 'Thank you. I want a refund.',
      segments: [seg('Thank you.', 0.92, -1.4), seg('I want a refund.', 0.02, -0.3)],
    };
    assert.equal(heardNoSpeech(mixed), false);
  });

  test("Whisper's rule needs both figures: a high no-speech probability alone, or none, is not silence", () => {
    assert.equal(silentSegment(seg('hm', 0.9, -0.2)), false);
    assert.equal(silentSegment(seg('hm', 0.3, -2)), false);
    assert.equal(silentSegment(seg('hm')), false);
    assert.equal(silentSegment(seg('hm', 0.61, -1.01)), true);
    assert.equal(heardNoSpeech({ text: 'hm', segments: [seg('hm')] }), false);
  });
});

describe('a call without speech in its batch', () => {
  const STAGES: Stage[] = ['distribute', 'lid', 'stt', 'llm1', 'llm2'];

  test('its LLM stages are finished and not in error; the call counts as completed, and apart', () => {
    const p = emptyProgress(STAGES, 2);
    for (const s of ['distribute', 'lid', 'stt'] as const) p[s]!.done = 2;
    for (const s of ['llm1', 'llm2'] as const) {
      p[s]!.done = 1;
      p[s]!.no_speech = 1;
    }
    assert.equal(stageFinished(p.llm2!), true);
    assert.equal(stageStatus(p.llm2!), 'Complete');
    const totals = callTotals(p, STAGES);
    assert.equal(totals.completed, 2);
    assert.equal(totals.noSpeech, 1);
    assert.equal(totals.undecided, 0);
  });

  test('while the other call runs, the stage is in progress, not pending', () => {
    const p = emptyProgress(STAGES, 2);
    p.llm1!.no_speech = 1;
    assert.equal(stageFinished(p.llm1!), false);
    assert.equal(stageStatus(p.llm1!), 'InProgress');
  });
});
