// /metrics: Prometheus text computed from the tables (batches, calls, failures by stage and error class,
// stage durations) and the worker-side hook (in-flight per node, attempt durations, failures).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { createPipelineMetrics, serveMetrics } from '../../core/metrics.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';
import { type SeededBatch, seedFinishedBatch } from '../support/seed.js';

let api: ApiApp;
let seed: SeededBatch;
before(async () => {
  api = await openApiApp();
  seed = await seedFinishedBatch(api.db, api.audio);
});
after(async () => {
  await seed?.cleanup();
  await api?.stop();
});

const value = (text: string, series: string) => {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
};

describe('GET /metrics (API)', () => {
  test('counts from the tables, in the Prometheus text format', async () => {
    await api.app.request(`/batches/${seed.batchId}`);
    const res = await api.app.request('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.ok((value(text, 'cofi_batches{kind="audit",status="CompletedWithErrors"}') ?? 0) >= 1, text);
    assert.ok((value(text, 'cofi_stage_failures{stage="stt",error_type="client_error"}') ?? 0) >= 1);
    assert.ok((value(text, 'cofi_calls{status="Completed"}') ?? 0) >= 1);
    assert.ok((value(text, 'cofi_batch_stage_duration_seconds_count{stage="stt"}') ?? 0) >= 1);
    assert.ok((value(text, 'cofi_batch_stage_duration_seconds_bucket{le="5",stage="stt"}') ?? 0) >= 1);
    assert.match(
      text,
      /cofi_http_request_duration_seconds_count\{method="GET",route="\/batches\/:id",status="200"\} \d+/,
    );
  });
});

describe('worker-side pipeline metrics', () => {
  test('in flight while a stage runs; duration and failure by class when it ends', async () => {
    const metrics = createPipelineMetrics(new Registry());
    const end = metrics.startStage({ stage: 'stt', node: 'gpu-1' });
    const failing = metrics.startStage({ stage: 'stt', node: 'gpu-1' });
    let text = await metrics.registry.metrics();
    assert.equal(value(text, 'cofi_calls_in_flight{node="gpu-1",stage="stt"}'), 2);
    end({ ok: true });
    failing({ ok: false, errorType: 'server_error' });
    failing({ ok: false, errorType: 'server_error' }); // a second end is ignored
    text = await metrics.registry.metrics();
    assert.equal(value(text, 'cofi_calls_in_flight{node="gpu-1",stage="stt"}'), 0);
    assert.equal(value(text, 'cofi_stage_duration_seconds_count{stage="stt",node="gpu-1",outcome="ok"}'), 1);
    assert.equal(value(text, 'cofi_stage_attempt_failures_total{stage="stt",error_type="server_error"}'), 1);
  });

  test('serveMetrics exposes a registry on its own port', async () => {
    const metrics = createPipelineMetrics(new Registry());
    metrics.startStage({ stage: 'lid', node: 'gpu-2' });
    const server = await serveMetrics(metrics.registry, '127.0.0.1', 0);
    try {
      const { port } = server.address() as { port: number };
      const res = await fetch(`http://127.0.0.1:${port}/metrics`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /cofi_calls_in_flight\{node="gpu-2",stage="lid"\} 1/);
      assert.equal((await fetch(`http://127.0.0.1:${port}/other`)).status, 404);
    } finally {
      server.close();
    }
  });
});
