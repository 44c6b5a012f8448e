// Prometheus metrics fed by the stage activities (in the worker process) and the server that exposes them.
// The API computes its own from the tables (api/tableMetrics.ts); these add what only the worker sees.
import { createServer, type Server } from 'node:http';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export const STAGE_SECONDS_BUCKETS = [0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1800];

export type StageRun = { stage: string; node: string };
export type StageEnd = (outcome: { ok: true } | { ok: false; errorType: string }) => void;

export type PipelineMetrics = ReturnType<typeof createPipelineMetrics>;

/** The hook for activities: `const end = metrics.startStage({stage, node}); ... end({ ok: true })`. */
/** `capacity`: the slots each GPU node or LLM endpoint has, exported so dashboards set in-flight against it. */
export type MetricsOptions = { processMetrics?: boolean; capacity?: { node: string; slots: number }[] };

export function createPipelineMetrics(registry = new Registry(), options: MetricsOptions = {}) {
  if (options.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'cofi_worker_' });
  const capacity = new Gauge({
    name: 'cofi_node_capacity',
    help: 'Activities a GPU node or LLM endpoint runs at once (its task-queue slots), by node',
    labelNames: ['node'],
    registers: [registry],
  });
  for (const { node, slots } of options.capacity ?? []) capacity.set({ node }, slots);
  const seconds = new Histogram({
    name: 'cofi_stage_duration_seconds',
    help: 'Time one call spent in a stage activity (one attempt), by stage, node and outcome',
    labelNames: ['stage', 'node', 'outcome'],
    buckets: STAGE_SECONDS_BUCKETS,
    registers: [registry],
  });
  const failures = new Counter({
    name: 'cofi_stage_attempt_failures_total',
    help: 'Failed stage attempts (retried or not), by stage and error class',
    labelNames: ['stage', 'error_type'],
    registers: [registry],
  });
  const inFlight = new Gauge({
    name: 'cofi_calls_in_flight',
    help: 'Stage activities running now, by node (GPU node or LLM endpoint) and stage',
    labelNames: ['node', 'stage'],
    registers: [registry],
  });
  return {
    registry,
    startStage({ stage, node }: StageRun): StageEnd {
      inFlight.inc({ node, stage });
      const started = performance.now();
      let ended = false;
      return (outcome) => {
        if (ended) return;
        ended = true;
        inFlight.dec({ node, stage });
        const elapsed = (performance.now() - started) / 1000;
        seconds.observe({ stage, node, outcome: outcome.ok ? 'ok' : 'failed' }, elapsed);
        if (!outcome.ok) failures.inc({ stage, error_type: outcome.errorType });
      };
    },
  };
}

/** A bare `/metrics` endpoint for a process that has no HTTP server of its own (the worker). */
export function serveMetrics(registry: Registry, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"detail":"only GET /metrics here","code":"not_found"}');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: Error) => res.writeHead(500, { 'content-type': 'text/plain' }).end(err.message),
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
