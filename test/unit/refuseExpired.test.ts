// What retention removed is not asked for again by a reaudit: neither read (the recording by lid and stt, the
// transcript by the stages after stt) nor written again (the transcript by stt, the analysis by llm1, the
// answers by llm2), which would outlive the policy that expired it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { refuseExpired } from '../../lifecycle/admission.js';

const at = new Date('2026-11-01T03:15:00Z');
const callWith = (expired: Partial<Record<'recording' | 'transcript' | 'analysis' | 'answer', Date>>) => ({
  id: 7,
  audioName: 'call-7.wav',
  recordingExpiredAt: expired.recording ?? null,
  transcriptExpiredAt: expired.transcript ?? null,
  analysisExpiredAt: expired.analysis ?? null,
  answerExpiredAt: expired.answer ?? null,
});
const refused = (expired: Parameters<typeof callWith>[0], stages: Parameters<typeof refuseExpired>[1]) => {
  try {
    refuseExpired([callWith(expired)], stages);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
};

test('nothing expired: every stage may re-run', () => {
  assert.equal(refused({}, ['lid', 'stt', 'redact', 'llm1', 'llm2']), null);
});

test('an expired recording refuses lid and stt, not the stages that read the transcript', () => {
  assert.match(String(refused({ recording: at }, ['lid'])), /^lid cannot re-run: the recording expired/);
  assert.equal(refused({ recording: at }, ['redact', 'llm1', 'llm2']), null);
});

test('an expired transcript refuses stt (it would write it again) and every stage that reads it', () => {
  for (const stage of ['stt', 'redact', 'llm1', 'llm2'] as const)
    assert.match(String(refused({ transcript: at }, [stage])), /the transcript expired by retention/);
  assert.equal(refused({ transcript: at }, ['lid']), null);
});

test('an expired analysis refuses llm1, expired answers refuse llm2, each naming the call', () => {
  assert.match(
    String(refused({ analysis: at }, ['llm1', 'llm2'])),
    /^llm1 cannot re-run: the analysis expired by retention for .*call-7\.wav \(call 7\)/,
  );
  assert.equal(refused({ analysis: at }, ['llm2']), null);
  assert.match(String(refused({ answer: at }, ['llm2'])), /^llm2 cannot re-run: the answers expired/);
  assert.equal(refused({ answer: at }, ['llm1']), null);
});
