// Prometheus metrics of the API process, read from the tables at scrape time (true whichever worker did
// the work), plus request counts and durations of the API itself.
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/mysql-core';
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';
import { Gauge, Histogram, Registry } from 'prom-client';
import { STAGE_SECONDS_BUCKETS } from '../core/metrics.js';
import type { Db } from '../drizzle/client.js';
import { batchExecutionLog, batchStatus, call, processingLogs } from '../drizzle/schema/index.js';
import { stuckCounts } from '../lifecycle/stuck.js';

type Collect = () => Promise<void>;

export function createApiMetrics(db: Db) {
  const registry = new Registry();
  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge) => Collect) => {
    const g: Gauge = new Gauge({
      name,
      help,
      labelNames,
      registers: [registry],
      collect: () => collect(g)(),
    });
    return g;
  };

  gauge('cofi_batches', 'Batches by kind and status', ['kind', 'status'], (g) => async () => {
    const rows = await db
      .select({ kind: batchStatus.kind, status: batchStatus.status, n: count() })
      .from(batchStatus)
      .groupBy(batchStatus.kind, batchStatus.status);
    g.reset();
    for (const r of rows) g.set({ kind: r.kind, status: r.status }, r.n);
  });

  gauge('cofi_calls', 'Calls by status', ['status'], (g) => async () => {
    const rows = await db.select({ status: call.status, n: count() }).from(call).groupBy(call.status);
    g.reset();
    for (const r of rows) g.set({ status: r.status }, r.n);
  });

  gauge(
    'cofi_calls_in_progress',
    'Calls queued or in progress, by the GPU node they were distributed to (unassigned before distribution)',
    ['gpu_node'],
    (g) => async () => {
      const rows = await db
        .select({ node: call.gpuNode, n: count() })
        .from(call)
        .where(inArray(call.status, ['Queued', 'InProgress']))
        .groupBy(call.gpuNode);
      g.reset();
      for (const r of rows) g.set({ gpu_node: r.node ?? 'unassigned' }, r.n);
    },
  );

  gauge(
    'cofi_stage_failures',
    'Calls whose latest run failed at a stage (processing_logs), by stage and error class',
    ['stage', 'error_type'],
    (g) => async () => {
      const rows = await db
        .select({ stage: processingLogs.stageName, type: processingLogs.errorType, n: count() })
        .from(processingLogs)
        .where(eq(processingLogs.status, 'failed'))
        .groupBy(processingLogs.stageName, processingLogs.errorType);
      g.reset();
      for (const r of rows) g.set({ stage: r.stage, error_type: r.type ?? 'unknown' }, r.n);
    },
  );

  gauge(
    'cofi_stuck_calls',
    'Calls of running batches in one stage far longer than usual (lifecycle/stuck.ts: over STUCK_FACTOR x the stage running median, and STUCK_MIN_SECONDS), by stage',
    ['stage'],
    (g) => async () => {
      const counts = await stuckCounts(db);
      g.reset();
      for (const [stage, n] of Object.entries(counts)) g.set({ stage }, n);
    },
  );

  const start = alias(batchExecutionLog, 'stage_start');
  const end = alias(batchExecutionLog, 'stage_end');
  const stageSeconds: Histogram = new Histogram({
    name: 'cofi_batch_stage_duration_seconds',
    help: 'Time from the first call entering a stage to the last leaving it, per batch (from batchExecutionLog)',
    labelNames: ['stage'],
    buckets: STAGE_SECONDS_BUCKETS.concat([3600, 7200, 14_400]),
    registers: [registry],
    // Rebuilt from all finished stages at each scrape: event rows are never deleted, so counts only grow.
    collect: async () => {
      const rows = await db
        .select({
          stage: start.stage,
          micros: sql<number>`TIMESTAMPDIFF(MICROSECOND, ${start.createdAt}, ${end.createdAt})`,
        })
        .from(start)
        .innerJoin(
          end,
          and(
            eq(end.batchId, start.batchId),
            eq(end.stage, start.stage),
            eq(end.eventType, 'stage_complete'),
          ),
        )
        .where(eq(start.eventType, 'stage_start'));
      stageSeconds.reset();
      for (const r of rows) stageSeconds.observe({ stage: r.stage }, Math.max(0, Number(r.micros) / 1e6));
    },
  });

  const requestSeconds = new Histogram({
    name: 'cofi_http_request_duration_seconds',
    help: 'API requests by method, route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  /** Labels by route pattern (`/batches/:id`), never by raw path, so label sets stay few. */
  const httpMetrics: MiddlewareHandler = async (c, next) => {
    const end = requestSeconds.startTimer();
    await next();
    end({ method: c.req.method, route: routePath(c, -1), status: String(c.res.status) });
  };

  return { registry, httpMetrics };
}
