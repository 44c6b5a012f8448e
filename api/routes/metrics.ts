// GET /metrics: Prometheus text format (read key when the API has keys; scrapers send it as a bearer token).
import { createRoute, z } from '@hono/zod-openapi';
import type { Registry } from 'prom-client';
import { createRouter, errorResponses } from '../openapi.js';

const metrics = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['operations'],
  summary: 'Prometheus metrics (text exposition format)',
  responses: {
    200: { description: 'metrics', content: { 'text/plain': { schema: z.string() } } },
    ...errorResponses(),
  },
});

export function metricsRoutes(registry: Registry) {
  return createRouter().openapi(metrics, async (c) =>
    c.text(await registry.metrics(), 200, { 'content-type': registry.contentType }),
  );
}
