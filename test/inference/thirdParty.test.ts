// cofi's own clients against a real third-party server: faster-whisper-server 0.0.3 on the Whisper base model,
// started through ops/fws.sh on a port of its own, the node configured through COFI_FLEET as a user would.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type GpuNode, loadConfig } from '../../core/config.js';
import { identifyLanguage } from '../../core/inference/lid.js';
import { transcribe, transcribeRaw } from '../../core/inference/stt.js';
import { wordErrors } from '../../core/inference/wer.js';
import { closedPort, expectFailure, sample } from './support.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** Measured 0.358 (29 edits over 81 words: Whisper base on espeak voices, int8, 2 threads); margin for drift. */
const MAX_WER_EN = 0.45;

const script = (name: string) =>
  JSON.parse(readFileSync(sample(name), 'utf8')) as { duration: number; segments: { text: string }[] };

/** The node as COFI_FLEET describes it: faster-whisper-server reads the model from `model_name`. */
function fleetNode(url: string, adapted: boolean): GpuNode {
  const node = {
    id: 'fws',
    url,
    capacity: 1,
    model: 'whisper-base',
    ...(adapted ? { modelField: 'model_name' } : {}),
  };
  const llm = [{ id: 'llm', url: 'http://127.0.0.1:1', capacity: 1 }];
  const [parsed] = loadConfig({ COFI_FLEET: JSON.stringify({ nodes: [node], llm }) }).fleet.nodes;
  assert.ok(parsed);
  return parsed;
}

describe('faster-whisper-server 0.0.3 through cofi’s clients', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'cofi-fws-'));
  let env: NodeJS.ProcessEnv;
  let url: string;

  const fws = async (command: 'start' | 'stop') => {
    try {
      await promisify(execFile)('bash', [join(ROOT, 'ops/fws.sh'), command], { env, cwd: ROOT });
    } catch (err) {
      const stderr = String((err as { stderr?: string }).stderr ?? '').trim();
      const last = stderr.split('\n').at(-1) ?? (err as Error).message;
      throw new Error(`ops/fws.sh ${command} failed: ${last}`);
    }
  };

  before(async () => {
    const port = await closedPort();
    env = { ...process.env, FWS_PORT: String(port), FWS_STATE_DIR: stateDir, HF_HUB_OFFLINE: '1' };
    url = `http://127.0.0.1:${port}`;
    await fws('start');
  });
  after(async () => {
    await fws('stop');
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('English: language en, timed segments in order, the script’s words within the measured WER', async () => {
    const t = await transcribe({
      node: fleetNode(url, true),
      audioPath: sample('billing-dispute-en.mp3'),
      fileName: 'upload-1.mp3',
    });
    assert.equal(t.language, 'en');
    assert.equal(t.model, 'whisper-base');
    const duration = t.duration ?? assert.fail('no duration');
    assert.ok(
      Math.abs(duration - script('billing-dispute-en.script.json').duration) < 1,
      `duration ${duration}`,
    );
    assert.ok(t.segments.length >= 3, `${t.segments.length} segments`);
    for (const [i, s] of t.segments.entries()) {
      assert.ok(
        s.start >= 0 && s.start < s.end && s.end <= duration + 0.5,
        `segment ${i}: ${s.start}-${s.end}`,
      );
      if (i > 0)
        assert.ok(s.start >= (t.segments[i - 1]?.end ?? 0), `segment ${i} starts before ${i - 1} ends`);
      assert.ok(s.avgLogprob !== undefined && s.noSpeechProb !== undefined, `segment ${i} has its scores`);
    }
    const reference = script('billing-dispute-en.script.json')
      .segments.map((s) => s.text)
      .join(' ');
    const errors = wordErrors(reference, t.text);
    console.log(
      `faster-whisper-server, billing-dispute-en: WER ${errors.wer.toFixed(3)}, ${t.segments.length} segments`,
      errors,
    );
    assert.ok(errors.wer <= MAX_WER_EN, `WER ${errors.wer.toFixed(3)} > ${MAX_WER_EN}: "${t.text}"`);
  });

  test('Spanish: identifyLanguage() gives es from the server’s ISO code, with a confidence', async () => {
    const id = await identifyLanguage({
      node: fleetNode(url, true),
      audioPath: sample('internet-outage-es.opus'),
      fileName: 'upload-2.opus',
      supported: ['en', 'hi', 'es'],
    });
    console.log(
      `faster-whisper-server, internet-outage-es: ${id.lang} (raw "${id.detectedRaw}"), confidence ${id.confidence}`,
    );
    assert.equal(id.lang, 'es');
    assert.equal(id.detectedRaw, 'es', 'this server answers the code where OpenAI answers "spanish"');
    assert.equal(id.source, 'transcription');
    assert.equal(id.supported, true);
    assert.ok(
      id.confidence !== null && id.confidence > 0 && id.confidence <= 1,
      `confidence ${id.confidence}`,
    );
  });

  test('without modelField the `model` field is ignored: the server looks up "whisper-1" and refuses (400)', async () => {
    const context = await expectFailure(
      transcribeRaw({
        node: fleetNode(url, false),
        audioPath: sample('late-delivery-en.wav'),
        fileName: 'upload-3.wav',
      }),
      'client_error',
    );
    assert.match(context.rawResponse ?? '', /unknown model: whisper-1/);
  });

  test('an undecodable file is a 500 on this server, so cofi sees a retryable server_error', async () => {
    const context = await expectFailure(
      transcribeRaw({
        node: fleetNode(url, true),
        audioPath: sample('billing-dispute-en.script.json'),
        fileName: 'not-audio.mp3',
        maxAttempts: 1,
      }),
      'server_error',
    );
    assert.match(context.rawResponse ?? '', /Internal Server Error/);
  });
});
