// GET /metrics: Prometheus text format (read key when the API has keys; scrapers send it as a bearer token).
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

export function metricsRoutes(registry: Registry) {
  return new Hono().get('/metrics', async (c) =>
    c.body(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
}
