// API keys: no key 401, wrong key 401, read key may GET but not POST (403), operator may do both; the
// dashboard shells, docs and /health stay open; signed audio links work without a header.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { accessMode, hashKey, roleOfKey } from '../../api/auth.js';
import { ConfigError, loadConfig } from '../../core/config.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

const READ = 'read-key-for-tests-0001';
const OPERATOR = 'operator-key-for-tests-0001';

let api: ApiApp;
let seed: SeededBatch;
before(async () => {
  api = await openApiApp({ API_KEYS: `read:${hashKey(READ)}, operator:${hashKey(OPERATOR).toUpperCase()}` });
  seed = await seedFinishedBatch(api.db, api.audio);
});
after(async () => {
  await seed?.cleanup();
  await api?.stop();
});

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
async function call(method: string, url: string, headers: Record<string, string> = {}, body?: unknown) {
  const res = await api.app.request(url, {
    method,
    headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const type = res.headers.get('content-type') ?? '';
  return {
    res,
    status: res.status,
    body: (type.includes('json') ? await res.json() : await res.text()) as Record<string, unknown>,
  };
}
const reauditBody = { audio_names: ['no-such-call-for-auth-test.wav'], stages: ['llm2'] };

describe('keys and roles', () => {
  test('no key: 401 with {detail, code} and a WWW-Authenticate challenge', async () => {
    for (const [method, url] of [
      ['GET', '/batches'],
      ['GET', `/calls/${seed.okCallId}`],
      ['GET', '/ui/f/batches'],
      ['POST', '/reaudit'],
      ['POST', '/audit/upload'],
    ] as const) {
      const { res, status, body } = await call(method, url);
      assert.equal(status, 401, `${method} ${url}`);
      assert.equal(body.code, 'unauthorized');
      assert.match(String(body.detail), /API key is required/);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer/);
    }
  });

  test('wrong key: 401', async () => {
    for (const key of ['not-a-key', `${READ}x`, hashKey(READ)]) {
      const { status, body } = await call('GET', '/batches', bearer(key));
      assert.equal(status, 401);
      assert.match(String(body.detail), /not valid/);
    }
    const basic = await call('GET', '/batches', { authorization: `Basic ${btoa(`x:${READ}`)}` });
    assert.equal(basic.status, 401);
  });

  test('read key: GET answers, POST is 403 with {detail}', async () => {
    assert.equal((await call('GET', '/batches', bearer(READ))).status, 200);
    assert.equal(
      (await call('GET', `/calls/${seed.okCallId}`, { authorization: `bearer ${READ}` })).status,
      200,
    );
    const reaudit = await call('POST', '/reaudit', bearer(READ), reauditBody);
    assert.equal(reaudit.status, 403);
    assert.equal(reaudit.body.code, 'forbidden');
    assert.match(String(reaudit.body.detail), /"read" key may not POST \/reaudit/);
    const upload = await call('POST', '/audit/upload', bearer(READ));
    assert.equal(upload.status, 403);
    const cancel = await call('POST', '/reaudit/reaudit-1/cancel', bearer(READ));
    assert.equal(cancel.status, 403);
  });

  test('operator key: POST gets through to the route (here: 404, no such call), GET too', async () => {
    const reaudit = await call('POST', '/reaudit', bearer(OPERATOR), reauditBody);
    assert.equal(reaudit.status, 404, JSON.stringify(reaudit.body));
    assert.match(String(reaudit.body.detail), /no call matches/);
    assert.equal((await call('GET', '/batches', bearer(OPERATOR))).status, 200);
  });

  test('open without a key: /health, the dashboard shells and assets, the API docs', async () => {
    assert.equal((await call('GET', '/health')).status, 200);
    for (const url of [
      '/',
      `/ui/batches/${seed.batchId}`,
      `/ui/calls/${seed.okCallId}`,
      '/ui/fleet',
      '/ui/assets/app.js',
      '/docs',
      '/openapi.json',
    ]) {
      assert.equal((await call('GET', url)).status, 200, url);
    }
  });
});

describe('signed audio links', () => {
  test('the audio_url of a call plays without a header; a changed or expired link does not', async () => {
    const { body } = await call('GET', `/calls/${seed.okCallId}`, bearer(READ));
    const url = String(body.audio_url);
    assert.match(url, /^\/calls\/\d+\/audio\?exp=\d+&sig=[\w-]+$/);
    assert.equal((await call('GET', url)).status, 200);
    assert.equal(
      (await call('GET', url.replace(`/calls/${seed.okCallId}/`, `/calls/${seed.failedCallId}/`))).status,
      401,
    );
    // Change the signature's first character to one it is not (a fixed 'A' is a no-op 1 time in 64).
    const tampered = url.replace(/sig=(.)/, (_, first: string) => `sig=${first === 'A' ? 'B' : 'A'}`);
    assert.notEqual(tampered, url);
    assert.equal((await call('GET', tampered)).status, 401);
    assert.equal((await call('GET', url.replace(/exp=\d+/, 'exp=1000'))).status, 401);
  });
});

describe('key configuration', () => {
  test('roleOfKey compares hashes and prefers operator', () => {
    const keys = [
      { role: 'read' as const, hash: hashKey('k') },
      { role: 'operator' as const, hash: hashKey('k') },
    ];
    assert.equal(roleOfKey(keys, 'k'), 'operator');
    assert.equal(roleOfKey(keys, 'K'), null);
  });

  test('API_KEYS entries must be role:sha256-hex', () => {
    assert.throws(
      () => loadConfig({ API_KEYS: 'admin:abc' }),
      (err: Error) => err instanceof ConfigError && /API_KEYS/.test(err.message),
    );
    assert.throws(() => loadConfig({ API_KEYS: `read:${READ}` }), /hashKey/);
    assert.deepEqual(loadConfig({ API_KEYS: '' }).API_KEYS, []);
  });

  test('no keys: open on loopback (with a warning), refused elsewhere unless ALLOW_OPEN', () => {
    const base = { API_KEYS: [], ALLOW_OPEN: false };
    assert.equal(accessMode({ ...base, API_HOST: '127.0.0.1' }).mode, 'open');
    assert.equal(accessMode({ ...base, API_HOST: 'localhost' }).mode, 'open');
    assert.equal(accessMode({ ...base, API_HOST: '::1' }).mode, 'open');
    assert.equal(accessMode({ ...base, API_HOST: '0.0.0.0' }).mode, 'refuse');
    assert.equal(accessMode({ ...base, API_HOST: '10.1.2.3' }).mode, 'refuse');
    assert.equal(accessMode({ ...base, API_HOST: '0.0.0.0', ALLOW_OPEN: true }).mode, 'open');
    const keys = [{ role: 'read' as const, hash: hashKey('k') }];
    assert.equal(accessMode({ API_KEYS: keys, API_HOST: '0.0.0.0', ALLOW_OPEN: false }).mode, 'keys');
  });
});
