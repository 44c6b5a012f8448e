// transcribe(): multipart upload to /v1/audio/transcriptions, verbose_json parsed and normalised.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { transcribe } from '../../core/inference/stt.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import { assertSafePayload, craftedServer, expectFailure, fixture, gpuNode, sample } from './support.js';

describe('transcribe', () => {
  let sim: Simulator;
  let codes: Simulator;
  before(async () => {
    sim = await startSimulator({
      nodes: [
        { id: 'open', port: 0, capacity: 2 },
        { id: 'locked', port: 0, capacity: 2, apiKey: 'sk-test-secret' },
      ],
      llm: [],
      timeScale: 0,
    });
    codes = await startSimulator({
      nodes: [{ id: 'codes', port: 0, capacity: 1 }],
      llm: [],
      timeScale: 0,
      languageStyle: 'code',
    });
  });
  after(async () => {
    await sim.close();
    await codes.close();
  });

  test('a sample call comes back as its script, with the language name normalised to a code', async () => {
    const t = await transcribe({
      node: gpuNode(sim.nodes[0]!.url),
      audioPath: sample('billing-dispute-en.mp3'),
      fileName: 'upload-1.mp3',
    });
    assert.equal(t.language, 'en');
    assert.equal(t.model, 'whisper-1');
    assert.ok(t.duration !== null && Math.abs(t.duration - 25.3) < 0.5, `duration ${t.duration}`);
    assert.equal(t.segments.length, 8);
    assert.deepEqual(t.segments[1], {
      ...t.segments[1],
      id: 1,
      speaker: 'customer',
      text: 'Hi, I was charged twice on my last bill.',
    });
    assert.ok(t.segments.every((s) => s.avgLogprob !== undefined && s.noSpeechProb !== undefined));
    assert.ok(t.text.startsWith('Thank you for calling Acme Telecom'));
    assert.ok(
      t.segments.every((s, i) => i === 0 || s.start >= t.segments[i - 1]!.end),
      'segments in time order',
    );
  });

  test('a server that answers codes ("es") gives the same normalised language', async () => {
    const t = await transcribe({
      node: gpuNode(codes.nodes[0]!.url),
      audioPath: sample('internet-outage-es.opus'),
      fileName: 'x.opus',
    });
    assert.equal(t.language, 'es');
    assert.match(t.text, /Mi internet no funciona/);
  });

  test('the API key is sent as a bearer token', async () => {
    const url = sim.nodes[1]!.url;
    const ok = await transcribe({
      node: gpuNode(url, { apiKey: 'sk-test-secret' }),
      audioPath: fixture('tone.wav'),
      fileName: 'a.wav',
    });
    assert.ok(ok.segments.length > 0);
    const context = await expectFailure(
      transcribe({
        node: gpuNode(url, { apiKey: 'sk-wrong-key' }),
        audioPath: fixture('tone.wav'),
        fileName: 'a.wav',
      }),
      'client_error',
    );
    assertSafePayload(context, 'sk-wrong-key');
    assert.deepEqual(context.inputPayload, {
      file: 'a.wav',
      bytes: 32044,
      model: 'whisper-1',
      response_format: 'verbose_json',
      language: null,
      attempt: 1,
    });
  });

  test('an answer that is not verbose_json is invalid_output, with the raw body kept', async () => {
    const server = await craftedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ transcript: 'hello' }));
    });
    try {
      const context = await expectFailure(
        transcribe({ node: gpuNode(server.url), audioPath: fixture('tone.wav'), fileName: 'a.wav' }),
        'invalid_output',
      );
      assert.equal(context.rawResponse, '{"transcript":"hello"}');
      assert.equal(server.requests(), 3, 'asked three times before giving up');
      assert.equal(context.requestUrl, `${server.url}/v1/audio/transcriptions`);
    } finally {
      await server.close();
    }
  });

  test('a broken body from the node is asked for again, then invalid_output', async () => {
    sim.setFailures({ malformedRate: 1, endpoints: ['transcriptions'] });
    try {
      const before = sim.stats().endpoints[0]!.served;
      const context = await expectFailure(
        transcribe({ node: gpuNode(sim.nodes[0]!.url), audioPath: fixture('tone.wav'), fileName: 'm.wav' }),
        'invalid_output',
      );
      assert.equal(sim.stats().endpoints[0]!.served - before, 3);
      assert.ok(context.rawResponse);
    } finally {
      sim.setFailures({});
    }
  });

  test('the upload is multipart with file, model, response_format and language', async () => {
    let seen = '';
    const server = await craftedServer((req, res, body) => {
      seen = `${req.headers['content-type']}\n${body}`;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: 'hola', language: 'es', duration: 1, segments: [] }));
    });
    try {
      const t = await transcribe({
        node: gpuNode(server.url, { model: 'large-v3' }),
        audioPath: fixture('tone.flac'),
        fileName: 'c.flac',
        language: 'es',
      });
      assert.deepEqual([t.text, t.language, t.segments], ['hola', 'es', []]);
      assert.match(seen, /^multipart\/form-data; boundary=/);
      assert.match(seen, /name="file"; filename="c.flac"[\s\S]*fLaC/);
      assert.match(seen, /name="model"\r\n\r\nlarge-v3\r\n/);
      assert.match(seen, /name="response_format"\r\n\r\nverbose_json\r\n/);
      assert.match(seen, /name="language"\r\n\r\nes\r\n/);
    } finally {
      await server.close();
    }
  });
});
