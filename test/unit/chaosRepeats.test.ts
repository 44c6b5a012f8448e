// Repeated work as the fault suite counts it from a simulator's request log: repeats against what each call
// needed, retries after a failed attempt apart from work a node completed twice, and that work's GPU time.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { countRepeats } from '../../chaos/repeats.js';
import type { RequestRecord } from '../../simulator/server.js';

let clock = 0;
const req = (
  stage: RequestRecord['stage'],
  subject: string,
  outcome: RequestRecord['outcome'] = 'ok',
  ms = 100,
  delivered = true,
): RequestRecord => {
  clock += 1000;
  return { stage, subject, outcome, delivered, start: clock, end: clock + ms, audioSeconds: 3 };
};

describe('countRepeats', () => {
  test('one request per call and stage: nothing repeated', () => {
    const r = countRepeats(
      [req('lid', 'a.wav'), req('stt', 'a.wav'), req('lid', 'b.wav'), req('stt', 'b.wav'), req('llm1', 'x')],
      { llm1: 1, llm2: 0 },
      1,
    );
    assert.deepEqual(
      [r.requests, r.repeated, r.retriesAfterFailure, r.repeatedCompleted, r.faults],
      [5, 0, 0, 0, 0],
    );
  });

  test('a retry after a 503 is a repeat after a failure, not repeated completed work', () => {
    const r = countRepeats(
      [req('stt', 'a.wav', 'server_error'), req('stt', 'a.wav')],
      { llm1: 0, llm2: 0 },
      1,
    );
    assert.deepEqual([r.repeated, r.retriesAfterFailure, r.repeatedCompleted, r.faults], [1, 1, 0, 1]);
  });

  test("a killed worker's request answered to nobody, then sent again: repeated completed work, with its GPU time", () => {
    const r = countRepeats(
      [req('stt', 'a.wav', 'ok', 400, false), req('stt', 'a.wav', 'ok', 400)],
      { llm1: 0, llm2: 0 },
      0.05,
    );
    assert.deepEqual([r.repeated, r.retriesAfterFailure, r.repeatedCompleted, r.undelivered], [1, 0, 1, 1]);
    // 0.4 s at a latency scale of 0.05: 8 s of modelled GPU time.
    assert.equal(r.repeatedGpuSeconds, 8);
  });

  test('LLM requests carry no call: repeats are counted against the calls that completed the stage', () => {
    const r = countRepeats(
      [req('llm1', 'same'), req('llm1', 'same'), req('llm1', 'other'), req('llm2', 'same', 'malformed')],
      { llm1: 2, llm2: 0 },
      1,
    );
    assert.deepEqual([r.repeated, r.retriesAfterFailure, r.repeatedCompleted], [2, 1, 1]);
  });
});
