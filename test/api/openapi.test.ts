// The OpenAPI document: valid JSON, version 3.1, every API route of the app in it with its parameters,
// every reference resolvable, errors documented as `{detail, code}`; the docs page is served without a CDN.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { MAX_ID } from '../../api/openapi.js';
import { AUDIT_STAGES, REAUDIT_STAGES } from '../../core/stages.js';
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

describe('the document states what the server enforces', () => {
  type Schema = Record<string, unknown> & { properties?: Record<string, Record<string, unknown>> };
  const schema = (name: string) => doc.components.schemas[name] as Schema;
  const send = (method: string, path: string, body?: unknown) =>
    api.app.request(path, {
      method,
      ...(body === undefined
        ? {}
        : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    });

  test('stage enums come from the stage registry, and repeated stages are refused as documented', async () => {
    const reaudit = schema('ReauditRequest').properties!;
    assert.deepEqual((reaudit.stages!.items as { enum: string[] }).enum, [...REAUDIT_STAGES]);
    assert.equal(reaudit.stages!.uniqueItems, true);
    assert.equal(reaudit.audio_names!.uniqueItems, true);
    const twice = await send('POST', '/reaudit', { audio_names: ['x.wav'], stages: ['stt', 'stt'] });
    assert.equal(twice.status, 422);
    const daily = schema('DailyBatchRequest').properties!;
    assert.equal(daily.audio_stages!.uniqueItems, true);
    assert.equal((await send('POST', '/batches', { audio_stages: ['ivr', 'ivr'] })).status, 422);
    const upload = schema('AuditUploadFields').properties!;
    for (const stage of AUDIT_STAGES) assert.match(String(upload.stages!.description), new RegExp(stage));
  });

  test('a blank audio name is refused, and the document says names need a non-space character', async () => {
    const names = schema('ReauditRequest').properties!.audio_names!.items as { pattern: string };
    assert.ok(new RegExp(names.pattern).test('a.wav') && !new RegExp(names.pattern).test('   '));
    assert.equal((await send('POST', '/reaudit', { audio_names: ['   '], stages: ['lid'] })).status, 422);
  });

  test('cursors are documented up to the largest id, which the server takes; one more is refused', async () => {
    const before = doc.paths['/batches']!.get!.parameters!.find((p) => p.name === 'before') as unknown as {
      schema: { maximum: number; minimum: number };
    };
    assert.deepEqual([before.schema.minimum, before.schema.maximum], [1, MAX_ID]);
    assert.equal((await send('GET', `/batches?before=${MAX_ID}`)).status, 200);
    assert.equal((await send('GET', `/batches?before=${MAX_ID + 1}`)).status, 422);
  });

  test('dates are calendar dates: documented as format date, 2026-02-30 refused', async () => {
    const date = schema('DailyBatchRequest').properties!.date!;
    assert.equal(date.format, 'date');
    assert.equal((await send('POST', '/batches', { date: '2026-02-30' })).status, 422);
  });

  test('another method on a known path is 405 with Allow, not 404', async () => {
    const res = await send('DELETE', '/batches/1');
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    const cancel = await send('GET', '/batches/1/cancel');
    assert.equal(cancel.status, 405);
    assert.equal(cancel.headers.get('allow'), 'POST');
    assert.equal((await send('GET', '/no/such/route')).status, 404);
  });
});

describe('docs page', () => {
  test('/docs is Swagger UI, its scripts and styles served by the API itself', async () => {
    const res = await api.app.request('/docs');
    assert.equal(res.status, 200);
    const page = await res.text();
    const sources = [...page.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    for (const asset of ['swagger-ui-bundle.js', 'swagger-ui.css', 'docs.js'])
      assert.ok(sources.includes(`/ui/assets/${asset}`), asset);
    for (const src of sources) {
      assert.ok(src.startsWith('/'), `local asset: ${src}`);
      assert.equal((await api.app.request(src)).status, 200, src);
    }
  });
});
