// transcribe() with a node's adaptations: the path (sttPath) and the model's form field (modelField) it
// posts, seen by a crafted server; without them the request is OpenAI's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { transcribe } from '../../core/inference/stt.js';
import { craftedServer, gpuNode, sample } from './support.js';

type Seen = { path: string; fields: Map<string, string> };

/** The multipart form's text fields (name -> value); the file part is left out. */
function textFields(body: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const m of body.matchAll(/name="([^"]+)"\r\n\r\n([^\r]*)\r\n/g)) fields.set(m[1] ?? '', m[2] ?? '');
  return fields;
}

describe('transcribe: per-node adaptations', () => {
  const seen: Seen[] = [];
  let server: Awaited<ReturnType<typeof craftedServer>>;
  before(async () => {
    server = await craftedServer((req, res, body) => {
      seen.push({ path: req.url ?? '', fields: textFields(body) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ text: ' Hola.', language: 'es', duration: 1.5, segments: [] }));
    });
  });
  after(() => server.close());

  test("by default: OpenAI's path and the `model` field", async () => {
    seen.length = 0;
    const t = await transcribe({
      node: gpuNode(server.url),
      audioPath: sample('late-delivery-en.wav'),
      fileName: 'a.wav',
    });
    assert.equal(t.text, 'Hola.');
    assert.equal(seen[0]?.path, '/v1/audio/transcriptions');
    assert.equal(seen[0]?.fields.get('model'), 'whisper-1');
    assert.equal(seen[0]?.fields.has('model_name'), false);
    assert.equal(seen[0]?.fields.get('response_format'), 'verbose_json');
  });

  test('modelField "model_name": the model is sent in that field, and `model` is not sent', async () => {
    seen.length = 0;
    await transcribe({
      node: gpuNode(server.url, { model: 'whisper-base', modelField: 'model_name' }),
      audioPath: sample('late-delivery-en.wav'),
      fileName: 'a.wav',
    });
    assert.equal(seen[0]?.fields.get('model_name'), 'whisper-base');
    assert.equal(seen[0]?.fields.has('model'), false);
  });

  test('sttPath: the request goes to that path on the node (a trailing slash of the URL is dropped)', async () => {
    seen.length = 0;
    await transcribe({
      node: gpuNode(`${server.url}/`, { sttPath: '/inference' }),
      audioPath: sample('late-delivery-en.wav'),
      fileName: 'a.wav',
    });
    assert.equal(seen[0]?.path, '/inference');
  });
});
