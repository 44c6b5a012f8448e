// What a failure keeps of its request (core/errors.ts safePayload): no audio bytes, no credentials, long
// text cut, and the rest intact, both for the function itself and for each client's failures.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { safePayload } from '../../core/errors.js';
import { analyseCall } from '../../core/inference/analysis.js';
import { postInference } from '../../core/inference/http.js';
import { identifyLanguage } from '../../core/inference/lid.js';
import {
  assertSafePayload,
  closedPort,
  expectFailure,
  fixture,
  gpuNode,
  llmEndpoint,
  reference,
} from './support.js';

describe('safePayload', () => {
  test('credentials are redacted whatever their spelling', () => {
    const out = safePayload({
      apiKey: 'sk-1',
      api_key: 'sk-2',
      'x-api-key': 'sk-3',
      key: 'sk-4',
      token: 't-1',
      accessToken: 't-2',
      authorization: 'Bearer t-3',
      client_secret: 's-1',
      password: 'p-1',
      nested: { headers: { Authorization: 'Bearer t-4' } },
    });
    const text = JSON.stringify(out);
    for (const secret of ['sk-1', 'sk-2', 'sk-3', 'sk-4', 't-1', 't-2', 't-3', 't-4', 's-1', 'p-1'])
      assert.ok(!text.includes(secret), `${secret} is not kept`);
  });

  test('data whose name only contains "key" or "token" is kept', () => {
    const value = {
      response_format: { json_schema: { schema: { properties: { key_facts: { type: 'array' } } } } },
      max_tokens: 100,
      usage: { prompt_tokens: 3, completion_tokens: 4 },
      monkey: 'business',
    };
    assert.deepEqual(safePayload(value), value);
  });

  test('bytes become a count, long strings and long lists are cut, deep nesting stops', () => {
    const out = safePayload(
      {
        audio: Buffer.from('RIFF....WAVEfmt '),
        text: 'x'.repeat(50),
        list: Array.from({ length: 60 }, (_, i) => i),
        deep: { a: { b: { c: { d: { e: { f: { g: 'too deep' } } } } } } },
      },
      10,
    ) as Record<string, unknown>;
    assert.equal(out.audio, '[16 bytes]');
    assert.equal(out.text, `${'x'.repeat(10)}…[50 chars]`);
    const list = out.list as unknown[];
    assert.equal(list.length, 51);
    assert.equal(list.at(-1), '…[10 more]');
    assert.match(JSON.stringify(out.deep), /nested too deep/);
  });
});

describe('failures keep a safe copy of what was sent', () => {
  test('postInference stores the payload through safePayload', async () => {
    const url = `http://127.0.0.1:${await closedPort()}/v1/audio/transcriptions`;
    const context = await expectFailure(
      postInference({
        url,
        body: 'x',
        timeoutMs: 2000,
        payload: { file: 'a.wav', apiKey: 'sk-secret', audio: new Uint8Array(8), note: 'y'.repeat(5000) },
      }),
      'connection',
    );
    assert.equal(context.requestUrl, url);
    const payload = context.inputPayload as Record<string, unknown>;
    assert.deepEqual([payload.file, payload.apiKey, payload.audio], ['a.wav', '[redacted]', '[8 bytes]']);
    assert.ok(String(payload.note).length < 2100);
  });

  test('LID: the URL of /detect-language and the file described, not uploaded', async () => {
    const base = `http://127.0.0.1:${await closedPort()}`;
    const node = gpuNode(base, { lidPath: '/detect-language', apiKey: 'sk-lid' });
    const context = await expectFailure(
      identifyLanguage({ node, audioPath: fixture('tone.wav'), fileName: 'c.wav', supported: ['en'] }),
      'connection',
    );
    assert.equal(context.requestUrl, `${base}/detect-language`);
    const payload = context.inputPayload as Record<string, unknown>;
    assert.deepEqual([payload.audio_file, payload.bytes], ['c.wav', 32044]);
    assertSafePayload(context, 'sk-lid');
  });

  test('LLM: the request with its schema (key_facts included), the messages cut, no key', async () => {
    const base = `http://127.0.0.1:${await closedPort()}`;
    const { categories } = reference();
    const transcript = { text: 'z'.repeat(5000), segments: [], lang: 'en' };
    const context = await expectFailure(
      analyseCall({ endpoint: llmEndpoint(base, { apiKey: 'sk-llm' }), transcript, categories }),
      'connection',
    );
    assert.equal(context.requestUrl, `${base}/v1/chat/completions`);
    const text = JSON.stringify(context.inputPayload);
    assert.ok(!text.includes('sk-llm'));
    assert.ok(!text.includes('z'.repeat(2000)), 'the transcript in the messages is cut');
    assert.match(text, /"key_facts":\{[^}]*"type":"array"/);
    assert.match(text, /"enum":\["billing","orders"/, 'the category codes of the schema are kept');
  });
});
