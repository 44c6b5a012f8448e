// Real speech through the whole pipeline: a recorded call and a silent one uploaded to the API, run by the
// workflows on the real Temporal and MariaDB, with LID and STT on cofi's CPU Whisper node (the LLM stages on
// the simulator). The transcript is Whisper's, not the sample's script; the silent call is `no_speech`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { answer } from '../../api/client.js';
import type { BatchDetail, CallSummary } from '../../api/schemas.js';
import type { GpuNode } from '../../core/config.js';
import { wordErrors } from '../../core/inference/wer.js';
import { redact } from '../../core/redaction/index.js';
import { sample } from '../inference/support.js';
import { makeWav } from '../support/audio.js';
import { api, auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

/** Measured on billing-dispute-en.mp3 with Whisper base int8: 0.358 (29 edits over 81 words), every run. */
const WER_BOUND = 0.45;

function cpuNode(): GpuNode {
  const url = process.env.COFI_TEST_CPU_NODE_URL;
  if (!url)
    throw new Error(
      'COFI_TEST_CPU_NODE_URL is not set: run the tests with `npm test` (it starts the CPU node)',
    );
  return {
    id: 'cpu-whisper',
    url,
    capacity: 1,
    stages: ['lid', 'stt'],
    model: 'whisper-base',
    lidPath: '/detect-language',
    simulated: false,
  };
}

describe('an audit of real speech on the CPU Whisper node', () => {
  let stack: Stack;
  let status: BatchDetail;
  let calls: CallSummary[];
  before(async () => {
    stack = await startStack({ gpuNodes: [cpuNode()], llm: [{ id: 'llm-a', capacity: 4 }] });
    const res = await uploadAudit(
      stack.app,
      auditForm([
        {
          name: 'billing-dispute-en.mp3',
          bytes: readFileSync(sample('billing-dispute-en.mp3')),
          type: 'audio/mpeg',
        },
        { name: 'line-open-nobody-there.wav', bytes: makeWav(8, 0, 16000, 0) },
      ]),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
    status = final as unknown as BatchDetail;
    const list = await answer(
      api(stack.app).batches[':id'].calls.$get({ param: { id: String(res.body.batch_id) }, query: {} }),
    );
    calls = list.calls;
  });
  after(async () => {
    await stack?.stop();
  });

  const detail = async (name: string) => {
    const c = calls.find((x) => x.audio_name === name);
    assert.ok(c, `call ${name} listed`);
    return answer(api(stack.app).calls[':id'].$get({ param: { id: String(c.call_id) } }));
  };

  test('the batch completes without errors, and counts the silent call apart', () => {
    assert.equal(status.status, 'Completed', JSON.stringify(status));
    assert.equal(status.completed, 2);
    assert.equal(status.no_speech, 1);
    assert.equal(status.failed, 0);
    for (const stage of ['llm1', 'llm2'] as const) {
      assert.equal(status.progress[stage]?.done, 1, stage);
      assert.equal(status.progress[stage]?.no_speech, 1, stage);
      assert.equal(status.stage_status[stage], 'Complete', stage);
    }
  });

  test("the recorded call: English by Whisper, timed segments within its length, the script's words", async () => {
    const d = await detail('billing-dispute-en.mp3');
    assert.equal(d.call.status, 'Completed');
    assert.equal(d.call.skip_reason, null);
    assert.deepEqual([d.lid?.lang, d.lid?.source, d.lid?.speech], ['en', 'detect-language', true]);
    assert.ok((d.lid?.confidence ?? 0) > 0.5, `LID confidence ${d.lid?.confidence}`);
    assert.equal(d.transcript?.model, 'whisper-base');
    assert.equal(d.transcript?.gpu_node, 'cpu-whisper');
    const segments = d.transcript?.segments ?? [];
    assert.ok(segments.length >= 3, `${segments.length} segments`);
    const length = d.call.duration ?? 0;
    for (const s of segments) {
      assert.ok(
        s.start >= 0 && s.start < s.end && s.end <= length + 0.5,
        `segment ${s.start}-${s.end} of ${length} s`,
      );
    }
    const script = JSON.parse(readFileSync(sample('billing-dispute-en.script.json'), 'utf8')) as {
      segments: { text: string }[];
    };
    // The stored transcript is redacted (the caller says a birth date and a postcode): so is the reference,
    // by the same engine, so the rate measures what Whisper heard.
    const reference = redact(script.segments, { language: 'en' })
      .segments.map((s) => s.text)
      .join(' ');
    const { wer: rate } = wordErrors(reference, d.transcript?.text ?? '');
    assert.ok(
      rate <= WER_BOUND,
      `WER ${rate.toFixed(3)} over the bound ${WER_BOUND}: "${d.transcript?.text}"`,
    );
    // The LLM stages ran on what Whisper heard.
    assert.ok(d.analysis, 'analysed');
    assert.ok(d.answers.length > 0 && d.score !== null, 'scored');
  });

  test('the silent call: no_speech, nothing sent to the LLMs, no analysis, no score', async () => {
    const d = await detail('line-open-nobody-there.wav');
    assert.equal(d.call.status, 'Completed');
    assert.equal(d.call.skip_reason, 'no_speech');
    assert.equal(d.call.lang, null, 'a guess on silence is not the call’s language');
    assert.equal(d.lid?.speech, false);
    assert.equal(d.transcript?.text, '');
    assert.deepEqual(d.transcript?.segments, []);
    assert.equal(d.analysis, null);
    assert.deepEqual(d.answers, []);
    assert.equal(d.score, null);
    // The simulated LLM served the recorded call's two stages and nothing for the silent one.
    const llm = stack.sim.stats().endpoints.find((e) => e.id === 'llm-a');
    assert.equal(llm?.served, 2);
  });
});
