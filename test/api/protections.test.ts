// Secure headers on every answer, CORS only for configured origins, 413 for a large JSON body, 504 for a
// slow request: each with the `{detail, code}` body.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Hono } from 'hono';
import { errorResponse } from '../../api/errors.js';
import { requestTimeout } from '../../api/protections.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

let api: ApiApp;
let withCors: ApiApp;
before(async () => {
  api = await openApiApp({ JSON_BODY_LIMIT: '2048' });
  withCors = await openApiApp({ CORS_ORIGINS: 'https://qa.example.test' });
});
after(async () => {
  await api?.stop();
  await withCors?.stop();
});

describe('headers', () => {
  test('pages and JSON carry secure headers; the CSP allows only the API itself', async () => {
    for (const url of ['/', '/batches']) {
      const res = await api.app.request(url);
      assert.equal(res.headers.get('x-content-type-options'), 'nosniff', url);
      assert.ok(res.headers.get('x-frame-options'), url);
      const csp = res.headers.get('content-security-policy') ?? '';
      assert.match(csp, /script-src 'self'/);
      assert.doesNotMatch(csp, /unsafe-inline|https?:/);
      assert.ok(res.headers.get('x-request-id'), 'request id');
    }
  });

  test('no CORS headers unless CORS_ORIGINS is set', async () => {
    const res = await api.app.request('/batches', { headers: { origin: 'https://qa.example.test' } });
    assert.equal(res.headers.get('access-control-allow-origin'), null);
  });

  test('with CORS_ORIGINS: a preflight from a listed origin is answered, others get no grant', async () => {
    const preflight = await withCors.app.request('/reaudit', {
      method: 'OPTIONS',
      headers: { origin: 'https://qa.example.test', 'access-control-request-method': 'POST' },
    });
    assert.ok(preflight.status < 300);
    assert.equal(preflight.headers.get('access-control-allow-origin'), 'https://qa.example.test');
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/i);
    const other = await withCors.app.request('/batches', {
      headers: { origin: 'https://evil.example.test' },
    });
    assert.notEqual(other.headers.get('access-control-allow-origin'), 'https://evil.example.test');
  });
});

describe('limits', () => {
  test('a JSON body over JSON_BODY_LIMIT: 413 with {detail}', async () => {
    const res = await api.app.request('/reaudit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        audio_names: Array.from({ length: 200 }, (_, i) => `call-${i}.wav`),
        stages: ['llm2'],
      }),
    });
    assert.equal(res.status, 413);
    const body = (await res.json()) as { detail: string; code: string };
    assert.equal(body.code, 'payload_too_large');
    assert.match(body.detail, /larger than 2048 bytes/);
  });

  test('a small JSON body passes the limit and is validated: 422 naming the field', async () => {
    const res = await api.app.request('/reaudit', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ audio_names: ['a.wav'], stages: ['translate'] }),
    });
    assert.equal(res.status, 422);
    assert.match(((await res.json()) as { detail: string }).detail, /stages/);
  });

  test('a request slower than the time limit: 504 with {detail}', async () => {
    const app = new Hono();
    app.use(requestTimeout(50));
    app.get('/slow', async (c) => {
      await new Promise((r) => setTimeout(r, 300));
      return c.json({ ok: true });
    });
    app.get('/fast', (c) => c.json({ ok: true }));
    app.onError((err, c) => errorResponse(c, err));
    const slow = await app.request('/slow');
    assert.equal(slow.status, 504);
    assert.deepEqual(await slow.json(), { detail: 'no answer within 50 ms', code: 'timeout' });
    assert.equal((await app.request('/fast')).status, 200);
  });
});
