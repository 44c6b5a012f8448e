// cofi's own clients against the CPU Whisper node (nodes/whisper/, started by ops/test.sh or
// `ops/whisper.sh start`), at COFI_TEST_CPU_NODE_URL: real Whisper base weights, real audio.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { GpuNode } from '../../core/config.js';
import { identifyLanguage } from '../../core/inference/lid.js';
import { heardNoSpeech } from '../../core/inference/speech.js';
import { transcribe } from '../../core/inference/stt.js';
import { wordErrors } from '../../core/inference/wer.js';
import { expectFailure, gpuNode, sample } from './support.js';

const URL_ = process.env.COFI_TEST_CPU_NODE_URL;
if (!URL_)
  throw new Error(
    'COFI_TEST_CPU_NODE_URL is unset: run `bash ops/whisper.sh start` and set it to http://127.0.0.1:9201',
  );
const url: string = URL_.replace(/\/$/, '');

/** Measured 0.358 on billing-dispute-en.mp3 (29 edits over 81 words: Whisper base, int8, espeak voices). */
const MAX_WER_EN = 0.45;
const supported = ['en', 'es', 'hi'];

type OpenAiError = { error: { message: string; type: string; param: string | null; code: string | null } };

/** Asserts OpenAI's error shape and returns its code. */
function openAiError(text: string | undefined): string | null {
  const body = JSON.parse(text ?? 'null') as OpenAiError;
  assert.equal(typeof body.error.message, 'string');
  assert.ok(body.error.message.length > 0);
  assert.equal(typeof body.error.type, 'string');
  assert.ok('param' in body.error && 'code' in body.error, 'error has param and code');
  return body.error.code;
}

const referenceText = (name: string) =>
  (JSON.parse(readFileSync(sample(name), 'utf8')) as { segments: { text: string }[] }).segments
    .map((s) => s.text)
    .join(' ');

describe('the CPU Whisper node through cofi’s clients', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'cofi-cpu-node-'));
  const silent = join(tmp, 'silence.wav');
  const shortSilent = join(tmp, 'short-silence.wav');
  let node: GpuNode;

  before(async () => {
    const res = await fetch(`${url}/v1/models`).catch((err: Error) => {
      throw new Error(
        `the CPU node at ${url} does not answer (${err.message}): run bash ops/whisper.sh start`,
      );
    });
    const list = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    assert.equal(list.object, 'list');
    assert.equal(list.data.length, 1);
    assert.equal(list.data[0]?.object, 'model');
    node = gpuNode(url, { id: 'cpu-whisper', capacity: 1, model: list.data[0]?.id ?? '' });
    const anullsrc = (rate: number, seconds: number, out: string) =>
      execFileSync('ffmpeg', [
        '-v',
        'error',
        '-f',
        'lavfi',
        '-i',
        `anullsrc=r=${rate}:cl=mono`,
        '-t',
        `${seconds}`,
        out,
      ]);
    anullsrc(8000, 12, silent);
    anullsrc(16000, 2, shortSilent);
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  test('transcribe(): English, timed segments, the script’s words within the measured WER', async () => {
    const file = 'billing-dispute-en.mp3';
    const t = await transcribe({ node, audioPath: sample(file), fileName: file });
    assert.equal(t.language, 'en');
    assert.ok(t.duration && Math.abs(t.duration - 25) < 1, `duration ${t.duration}`);
    assert.ok(t.segments.length > 0, 'segments');
    for (const s of t.segments) {
      assert.ok(s.start >= 0 && s.start < s.end && s.end <= (t.duration ?? 0) + 0.5, JSON.stringify(s));
      assert.ok(s.avgLogprob !== undefined && s.noSpeechProb !== undefined, 'per-segment scores');
    }
    const e = wordErrors(referenceText('billing-dispute-en.script.json'), t.text);
    console.log(`WER ${e.wer.toFixed(3)} on ${file}: ${JSON.stringify(e)}`);
    assert.ok(e.wer < MAX_WER_EN, `WER ${e.wer.toFixed(3)} >= ${MAX_WER_EN}: ${t.text}`);
  });

  test('verbose_json as OpenAI shapes it, with the language named and language_probability added', async () => {
    const form = new FormData();
    form.append('file', new Blob([readFileSync(sample('late-delivery-en.wav'))]), 'late-delivery-en.wav');
    form.append('model', node.model);
    form.append('response_format', 'verbose_json');
    form.append('temperature', '0');
    const res = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    const body = (await res.json()) as Record<string, unknown> & { segments: Record<string, unknown>[] };
    assert.equal(body.task, 'transcribe');
    assert.equal(body.language, 'english');
    assert.equal(typeof body.duration, 'number');
    assert.equal(typeof body.text, 'string');
    assert.ok(typeof body.language_probability === 'number' && body.language_probability > 0.5);
    assert.ok(body.language_probability <= 1);
    const keys = ['id', 'seek', 'start', 'end', 'text', 'tokens', 'temperature', 'avg_logprob'];
    keys.push('compression_ratio', 'no_speech_prob');
    assert.ok(body.segments.length > 0);
    body.segments.forEach((s, i) => {
      assert.deepEqual(Object.keys(s).sort(), [...keys].sort());
      assert.equal(s.id, i, 'ids count from 0, as OpenAI’s');
      assert.ok(Array.isArray(s.tokens) && s.tokens.length > 0);
    });
  });

  test('response_format json and text give the text alone; srt is refused', async () => {
    const post = async (format: string) => {
      const form = new FormData();
      form.append('file', new Blob([readFileSync(shortSilent)]), 'short-silence.wav');
      form.append('response_format', format);
      return fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    };
    assert.deepEqual(await (await post('json')).json(), { text: '' });
    const text = await post('text');
    assert.match(text.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal((await text.text()).trim(), '');
    const srt = await post('srt');
    assert.equal(srt.status, 400);
    assert.equal(openAiError(await srt.text()), 'unsupported_response_format');
  });

  test('identifyLanguage() through transcription of the leading seconds: en with a confidence', async () => {
    const id = await identifyLanguage({
      node,
      audioPath: sample('billing-dispute-en.mp3'),
      fileName: 'billing-dispute-en.mp3',
      supported,
    });
    assert.equal(id.lang, 'en');
    assert.equal(id.detectedRaw, 'english');
    assert.equal(id.source, 'transcription');
    assert.ok(id.confidence !== null && id.confidence > 0 && id.confidence <= 1);
  });

  test('identifyLanguage() through /detect-language: en and es with Whisper’s confidence in 0..1', async () => {
    const dedicated = { ...node, lidPath: '/detect-language' };
    const en = await identifyLanguage({
      node: dedicated,
      audioPath: sample('billing-dispute-en.mp3'),
      fileName: 'billing-dispute-en.mp3',
      supported,
    });
    assert.deepEqual([en.lang, en.source, en.supported], ['en', 'detect-language', true]);
    assert.ok(
      en.confidence !== null && en.confidence > 0.5 && en.confidence <= 1,
      `confidence ${en.confidence}`,
    );
    const es = await identifyLanguage({
      node: dedicated,
      audioPath: sample('internet-outage-es.opus'),
      fileName: 'internet-outage-es.opus',
      supported,
    });
    assert.equal(es.lang, 'es');
    assert.equal(es.detectedRaw, 'es');
    assert.ok(es.confidence !== null && es.confidence > 0 && es.confidence <= 1);
  });

  test('silence gives an empty transcript, not invented words (the VAD filter)', async () => {
    const t = await transcribe({ node, audioPath: silent, fileName: 'silence.wav' });
    assert.equal(t.text, '');
    assert.deepEqual(t.segments, []);
    assert.ok(t.duration && Math.abs(t.duration - 12) < 0.1, `duration ${t.duration}`);
    assert.equal(heardNoSpeech(t), true);
  });

  test('silence at /detect-language: the node says nobody spoke, so its guess fails no call', async () => {
    const id = await identifyLanguage({
      node: { ...node, lidPath: '/detect-language' },
      audioPath: silent,
      fileName: 'silence.wav',
      supported,
    });
    assert.equal(id.speech, false);
    assert.equal(id.supported, false, 'a guess on silence is not a supported language');
    const spoken = await identifyLanguage({
      node: { ...node, lidPath: '/detect-language' },
      audioPath: sample('late-delivery-en.wav'),
      fileName: 'late-delivery-en.wav',
      supported,
    });
    assert.equal(spoken.speech, true);
  });

  test('a text file sent as audio: a 400 in OpenAI’s shape, a permanent failure for cofi', async () => {
    const notAudio = join(tmp, 'notes.mp3');
    writeFileSync(notAudio, 'these are meeting notes, not an mp3\n'.repeat(20));
    const context = await expectFailure(
      transcribe({ node, audioPath: notAudio, fileName: 'notes.mp3' }),
      'client_error',
    );
    assert.equal(openAiError(context.rawResponse), 'invalid_audio');
  });

  test('an unknown model is a 404 in OpenAI’s shape; whisper-1 is an alias of the node’s model', async () => {
    const context = await expectFailure(
      transcribe({
        node: { ...node, model: 'whisper-large-v9' },
        audioPath: sample('late-delivery-en.wav'),
        fileName: 'late-delivery-en.wav',
      }),
      'client_error',
    );
    assert.equal(openAiError(context.rawResponse), 'model_not_found');
    const form = new FormData();
    form.append('file', new Blob([readFileSync(shortSilent)]), 'short-silence.wav');
    form.append('model', 'whisper-1');
    const alias = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    assert.equal(alias.status, 200, await alias.clone().text());
  });

  test('a missing file field, a wrong path, a wrong method and an oversized body: OpenAI-shaped errors', async () => {
    const form = new FormData();
    form.append('model', node.model);
    const missing = await fetch(`${url}/v1/audio/transcriptions`, { method: 'POST', body: form });
    assert.equal(missing.status, 400);
    assert.equal(openAiError(await missing.text()), 'missing_file');
    const lidMissing = await fetch(`${url}/detect-language`, { method: 'POST', body: form });
    assert.equal(lidMissing.status, 400);
    assert.equal(openAiError(await lidMissing.text()), 'missing_file');

    const path = await fetch(`${url}/v1/audio/translations`, { method: 'POST', body: form });
    assert.equal(path.status, 404);
    openAiError(await path.text());
    const method = await fetch(`${url}/v1/audio/transcriptions`);
    assert.equal(method.status, 405);
    assert.equal(method.headers.get('allow'), 'POST');
    openAiError(await method.text());

    // A body announced far above the limit is refused before any of it is read.
    const tooLarge = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${url}/v1/audio/transcriptions`, {
        method: 'POST',
        headers: {
          'content-type': 'multipart/form-data; boundary=x',
          'content-length': String(50 * 2 ** 30),
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => {
          body += c.toString();
        });
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body });
          req.destroy();
        });
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    assert.equal(tooLarge.status, 413);
    assert.equal(openAiError(tooLarge.body), 'file_too_large');
  });

  test('/metrics shows requests, audio seconds and the real-time factor of the last transcription', async () => {
    const file = 'late-delivery-en.wav';
    await transcribe({ node, audioPath: sample(file), fileName: file });
    const text = await (await fetch(`${url}/metrics`)).text();
    const value = (name: string) => {
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      assert.ok(line, `${name} in /metrics`);
      return Number(line.split(' ')[1]);
    };
    const last = value('cofi_whisper_node_last_real_time_factor{endpoint="transcriptions"}');
    const cumulative = value('cofi_whisper_node_real_time_factor{endpoint="transcriptions"}');
    console.log(`real-time factor: last ${last.toFixed(3)}, cumulative ${cumulative.toFixed(3)}`);
    assert.ok(last > 0 && Number.isFinite(last));
    assert.ok(cumulative > 0 && Number.isFinite(cumulative));
    assert.ok(value('cofi_whisper_node_audio_seconds_total{endpoint="transcriptions"}') >= 11.8);
    assert.ok(value('cofi_whisper_node_requests_total{endpoint="transcriptions",status="200"}') >= 1);
    assert.ok(value('cofi_whisper_node_requests_total{endpoint="transcriptions",status="404"}') >= 1);
    assert.ok(value('cofi_whisper_node_capacity') >= 1);
    assert.ok(value('cofi_whisper_node_in_flight') >= 0);
  });
});
