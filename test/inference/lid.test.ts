// identifyLanguage(): the dedicated /detect-language endpoint, or transcription of the leading 30 s.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { clipLeading } from '../../core/audio/clip.js';
import { probeAudio } from '../../core/audio/probe.js';
import { derivedConfidence, identifyLanguage } from '../../core/inference/lid.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import { craftedServer, expectFailure, gpuNode, sample, writeWav } from './support.js';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
const tmp = mkdtempSync(path.join(tmpdir(), 'cofi-lid-test-'));
const supported = ['en', 'hi', 'es'];

describe('identifyLanguage', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      nodes: [
        { id: 'dedicated', port: 0, capacity: 2 },
        { id: 'whisper', port: 0, capacity: 2 },
      ],
      llm: [],
      timeScale: 0,
    });
  });
  after(async () => {
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const dedicated = () => gpuNode(sim.nodes[0]!.url, { lidPath: '/detect-language' });
  const whisper = () => gpuNode(sim.nodes[1]!.url);

  test('through /detect-language: the server confidence and its language code', async () => {
    const id = await identifyLanguage({
      node: dedicated(),
      audioPath: sample('internet-outage-es.opus'),
      fileName: 'a.opus',
      supported,
    });
    assert.equal(id.source, 'detect-language');
    assert.equal(id.lang, 'es');
    assert.equal(id.detectedRaw, 'es');
    assert.equal(id.supported, true);
    assert.ok(
      id.confidence !== null && id.confidence >= 0.9 && id.confidence < 1,
      `confidence ${id.confidence}`,
    );
  });

  test('through transcription: the language name normalised, a confidence derived from the segments', async () => {
    const id = await identifyLanguage({
      node: whisper(),
      audioPath: sample('plan-upgrade-hi.m4a'),
      fileName: 'b.m4a',
      supported,
    });
    assert.deepEqual(
      [id.source, id.lang, id.detectedRaw, id.supported],
      ['transcription', 'hi', 'hindi', true],
    );
    assert.ok(
      id.confidence !== null && id.confidence > 0.5 && id.confidence < 1,
      `confidence ${id.confidence}`,
    );
  });

  test('a language outside the supported set is a result, not an error', async () => {
    const id = await identifyLanguage({
      node: dedicated(),
      audioPath: sample('plan-upgrade-hi.m4a'),
      fileName: 'c.m4a',
      supported: ['en'],
    });
    assert.equal(id.lang, 'hi');
    assert.equal(id.supported, false);
  });

  test('a long call: only the leading 30 s are uploaded, and the temporary clip is removed', {
    skip: !hasFfmpeg && 'SKIPPED: ffmpeg is not installed (apt-get install -y ffmpeg)',
  }, async () => {
    const long = path.join(tmp, 'long-call.wav');
    writeWav(long, 45, 7);
    const clipsBefore = readdirSync(tmpdir()).filter((d) => d.startsWith('cofi-clip-')).length;
    const before = sim.stats().endpoints.find((e) => e.id === 'whisper')!.audioSeconds;
    const id = await identifyLanguage({
      node: whisper(),
      audioPath: long,
      fileName: 'long-call.wav',
      supported,
    });
    const sent = sim.stats().endpoints.find((e) => e.id === 'whisper')!.audioSeconds - before;
    assert.ok(Math.abs(sent - 30) < 0.1, `uploaded ${sent} s of a 45 s call`);
    assert.ok(supported.includes(id.lang));
    assert.equal(readdirSync(tmpdir()).filter((d) => d.startsWith('cofi-clip-')).length, clipsBefore);
  });

  test('clipLeading writes a WAV of the leading seconds', {
    skip: !hasFfmpeg && 'SKIPPED: ffmpeg is not installed',
  }, async () => {
    const clip = await clipLeading(sample('billing-dispute-en.mp3'), 5);
    try {
      const info = await probeAudio(clip.path);
      assert.equal(info.format, 'wav');
      assert.ok(Math.abs(info.duration - 5) < 0.1);
    } finally {
      await clip.dispose();
    }
  });

  test('an unrecognised language is invalid_output; a name-only /detect-language answer is normalised', async () => {
    let answer: unknown = { detected_language: 'klingon' };
    const server = await craftedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer));
    });
    try {
      const node = gpuNode(server.url, { lidPath: '/detect-language' });
      const input = { node, audioPath: sample('late-delivery-en.wav'), fileName: 'd.wav', supported };
      const context = await expectFailure(identifyLanguage(input), 'invalid_output');
      assert.match(context.rawResponse ?? '', /klingon/);
      answer = { detected_language: 'Hindi', confidence: 1.0000001 };
      assert.deepEqual(await identifyLanguage(input), {
        lang: 'hi',
        confidence: 1,
        detectedRaw: 'Hindi',
        supported: true,
        source: 'detect-language',
        speech: true,
      });
    } finally {
      await server.close();
    }
  });

  test('no speech: a guess on silence is neither an error nor a language, whichever way LID asks', async () => {
    let detect: unknown = { detected_language: 'klingon', confidence: 0.2, speech: false };
    let verbose: unknown = { text: ' Thank you.', language: 'welsh', segments: [] };
    const server = await craftedServer((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url === '/detect-language' ? detect : verbose));
    });
    try {
      const input = { audioPath: sample('late-delivery-en.wav'), fileName: 'd.wav', supported };
      const byDetect = await identifyLanguage({
        ...input,
        node: gpuNode(server.url, { lidPath: '/detect-language' }),
      });
      assert.deepEqual([byDetect.speech, byDetect.supported, byDetect.lang], [false, false, 'und']);
      detect = { detected_language: 'japanese', speech: false };
      assert.equal(
        (await identifyLanguage({ ...input, node: gpuNode(server.url, { lidPath: '/detect-language' }) }))
          .lang,
        'ja',
      );

      // Through transcription: Whisper's own silence figures on every segment.
      verbose = {
        text: ' Thank you.',
        language: 'welsh',
        segments: [{ start: 0, end: 2, text: ' Thank you.', no_speech_prob: 0.93, avg_logprob: -1.6 }],
      };
      const byText = await identifyLanguage({ ...input, node: gpuNode(server.url) });
      assert.deepEqual([byText.speech, byText.supported, byText.source], [false, false, 'transcription']);
      // The same words heard as speech: a language outside the set, as before.
      verbose = {
        text: ' Diolch.',
        language: 'welsh',
        language_probability: 0.81,
        segments: [{ start: 0, end: 2, text: ' Diolch.', no_speech_prob: 0.05, avg_logprob: -0.3 }],
      };
      const spoken = await identifyLanguage({ ...input, node: gpuNode(server.url) });
      assert.deepEqual([spoken.speech, spoken.supported, spoken.lang], [true, false, 'cy']);
      assert.equal(spoken.confidence, 0.81, "the server's language probability, where it gives one");
    } finally {
      await server.close();
    }
  });
});

test('derivedConfidence: mean of exp(avg_logprob) x (1 - no_speech_prob), clamped, null without data', () => {
  const seg = (avg_logprob: number, no_speech_prob: number) => ({
    start: 0,
    end: 1,
    text: 'x',
    avg_logprob,
    no_speech_prob,
  });
  assert.equal(derivedConfidence({ text: '', segments: [seg(-0.2, 0.1)] }), 0.737);
  assert.equal(
    derivedConfidence({ text: '', segments: [seg(0, 0), seg(-2, 0.5)] }),
    Math.round(((1 + Math.exp(-2) * 0.5) / 2) * 1000) / 1000,
  );
  assert.equal(derivedConfidence({ text: '', segments: [seg(0.3, -0.5)] }), 1);
  assert.equal(derivedConfidence({ text: '', segments: [] }), null);
  assert.equal(derivedConfidence({ text: '' }), null);
});
