// The OpenAPI document: valid JSON, version 3.1, every API route of the app in it with its parameters,
// every reference resolvable, errors documented as `{detail, code}`; the docs page is served without a CDN.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

let api: ApiApp;
type Doc = {
  openapi: string;
  info: { title: string; version: string };
  paths: Record<
    string,
    Record<
      string,
      {
        parameters?: { name: string; in: string }[];
        responses: Record<string, unknown>;
        security?: unknown[];
      }
    >
  >;
  components: { schemas: Record<string, unknown>; securitySchemes: Record<string, unknown> };
};
let doc: Doc;
let text: string;

before(async () => {
  api = await openApiApp();
  const res = await api.app.request('/openapi.json');
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /application\/json/);
  text = await res.text();
  doc = JSON.parse(text) as Doc;
});
after(async () => {
  await api?.stop();
});

/** Pages of the dashboard and the document itself are not API operations. */
const NOT_API = [/^\/$/, /^\/docs$/, /^\/openapi\.json$/, /^\/favicon\.ico$/, /^\/ui\//];
const shape = (path: string) => path.replace(/:[^/]+/g, '{}').replace(/\{[^}]+\}/g, '{}');

describe('OpenAPI document', () => {
  test('is OpenAPI 3.1 with a title, a version and a bearer scheme', () => {
    assert.match(doc.openapi, /^3\.1\./);
    assert.equal(doc.info.title, 'cofi');
    assert.ok(doc.info.version);
    assert.deepEqual(doc.components.securitySchemes.apiKey, {
      type: 'http',
      scheme: 'bearer',
      description: (doc.components.securitySchemes.apiKey as { description: string }).description,
    });
  });

  test('has every route the app serves', () => {
    const documented = new Set(
      Object.entries(doc.paths).flatMap(([path, ops]) =>
        Object.keys(ops).map((m) => `${m.toUpperCase()} ${shape(path)}`),
      ),
    );
    const served = api.app.routes
      .filter((r) => r.method !== 'ALL' && !NOT_API.some((p) => p.test(r.path)))
      .map((r) => `${r.method} ${shape(r.path)}`);
    assert.ok(served.length >= 15, `routes found: ${served.join(', ')}`);
    const missing = [...new Set(served)].filter((r) => !documented.has(r));
    assert.deepEqual(missing, [], 'routes without documentation');
    for (const expected of [
      'GET /batches',
      'GET /batches/{}',
      'GET /batches/{}/events',
      'GET /batches/{}/failures',
      'GET /batches/{}/calls',
      'GET /calls/{}',
      'GET /calls/{}/audio',
      'GET /processes',
      'GET /category-mappings',
      'POST /audit/upload',
      'POST /reaudit',
      'POST /reaudit/{}/cancel',
      'GET /health',
    ]) {
      assert.ok(documented.has(expected), expected);
    }
  });

  test('every path placeholder is a documented path parameter', () => {
    for (const [path, ops] of Object.entries(doc.paths)) {
      const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
      for (const [method, op] of Object.entries(ops)) {
        const params = (op.parameters ?? []).filter((p) => p.in === 'path').map((p) => p.name);
        assert.deepEqual(params.sort(), [...names].sort(), `${method} ${path}`);
      }
    }
  });

  test('every $ref resolves', () => {
    for (const [, ref] of text.matchAll(/"\$ref":"([^"]+)"/g)) {
      const target = ref!
        .replace(/^#\//, '')
        .split('/')
        .reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], doc);
      assert.ok(target, `unresolved ${ref}`);
    }
  });

  test('errors are documented as {detail, code}; /health needs no key', () => {
    const error = doc.components.schemas.Error as { properties: Record<string, unknown>; required: string[] };
    assert.deepEqual(error.required.sort(), ['code', 'detail']);
    const batches = doc.paths['/batches']!.get!;
    assert.ok(batches.responses['401'] && batches.responses['422']);
    assert.deepEqual(doc.paths['/health']!.get!.security, []);
    const upload = doc.paths['/audit/upload']!.post! as unknown as {
      requestBody: { content: Record<string, unknown> };
    };
    assert.ok(upload.requestBody.content['multipart/form-data'], 'the upload is documented as multipart');
  });
});

describe('docs page', () => {
  test('/docs is a page whose scripts and styles are served by the API itself', async () => {
    const res = await api.app.request('/docs');
    assert.equal(res.status, 200);
    const page = await res.text();
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.ok(sources.includes('/ui/assets/docs.js'));
    for (const src of sources) {
      assert.ok(src.startsWith('/'), `local asset: ${src}`);
      assert.equal((await api.app.request(src)).status, 200, src);
    }
  });
});
