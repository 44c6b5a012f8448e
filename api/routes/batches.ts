// GET /batches, /batches/{id}, /batches/{id}/events, /failures, /calls: what the dashboard and CLI read.
import { createRoute, z } from '@hono/zod-openapi';
import { BATCH_KINDS, BATCH_STATUSES } from '../../core/stages.js';
import { cancelBatch } from '../../lifecycle/admission.js';
import { noteAccess } from '../accessTrail.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, cursorQuery, errorResponses, idParams, json, limitQuery } from '../openapi.js';
import {
  batchCalls,
  batchDetail,
  batchEvents,
  batchFailures,
  findBatch,
  listBatches,
} from '../queries/batches.js';
import {
  batchCallsSchema,
  batchDetailSchema,
  batchEventsSchema,
  batchListSchema,
  failuresSchema,
} from '../schemas.js';
import { temporalLinks } from '../temporalLinks.js';
import { cancelled } from './reaudit.js';

const tags = ['batches'];

const cancel = createRoute({
  method: 'post',
  path: '/batches/{id}/cancel',
  tags,
  summary:
    'Ask a running batch of any kind (audit upload, daily, reaudit) to stop: calls in flight stop and record it, calls not started are not run, the batch ends Cancelled',
  request: { params: idParams },
  responses: {
    202: json(cancelled, 'cancelling'),
    ...errorResponses(403, 404, 408, 409, 413, 503),
  },
});

const list = createRoute({
  method: 'get',
  path: '/batches',
  tags,
  summary: 'Batches, newest first, with per-stage status and counts',
  request: {
    query: z.object({
      kind: z.enum(BATCH_KINDS).optional(),
      status: z.enum(BATCH_STATUSES).optional(),
      limit: limitQuery(50, 200),
      before: cursorQuery('only batches with a smaller id (the `next_before` of the previous page)'),
    }),
  },
  responses: { 200: json(batchListSchema, 'a page of batches'), ...errorResponses() },
});

const one = createRoute({
  method: 'get',
  path: '/batches/{id}',
  tags,
  summary: 'One batch: status, progress (live while it runs), stage timings, Temporal link',
  request: { params: idParams },
  responses: { 200: json(batchDetailSchema, 'the batch'), ...errorResponses(404) },
});

const pageQuery = (fallback: number, max: number, what: string) =>
  z.object({
    after: cursorQuery(`only ${what} with a larger id (the \`next_after\` of the previous page)`),
    limit: limitQuery(fallback, max),
  });

const events = createRoute({
  method: 'get',
  path: '/batches/{id}/events',
  tags,
  summary: 'The batch execution log, oldest first',
  request: { params: idParams, query: pageQuery(500, 2000, 'events') },
  responses: { 200: json(batchEventsSchema, 'events'), ...errorResponses(404) },
});

const failures = createRoute({
  method: 'get',
  path: '/batches/{id}/failures',
  tags,
  summary: 'Failed stages of the batch (processing_logs) with the request URL and payload that failed',
  request: { params: idParams, query: pageQuery(200, 1000, 'failures') },
  responses: { 200: json(failuresSchema, 'failures'), ...errorResponses(404) },
});

const calls = createRoute({
  method: 'get',
  path: '/batches/{id}/calls',
  tags,
  summary: "The batch's calls (a reaudit's: the calls it covers) with status, language, score, failed stage",
  request: { params: idParams, query: pageQuery(1000, 5000, 'calls') },
  responses: { 200: json(batchCallsSchema, 'calls'), ...errorResponses(404) },
});

export function batchRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  const lifecycle = { db, temporal: deps.temporal, config: deps.config, audio: deps.audio };
  const temporal = temporalLinks(deps.config);
  return createRouter()
    .openapi(cancel, async (c) => {
      const batch = await findBatch(db, c.req.valid('param').id);
      noteAccess(c, { taskId: batch.taskId });
      await cancelBatch(lifecycle, batch, 'api');
      return c.json({ status: 'cancelling' as const, task_id: batch.taskId }, 202);
    })
    .openapi(list, async (c) => {
      const { items, next } = await listBatches(deps, c.req.valid('query'));
      return c.json({ batches: items, next_before: next }, 200);
    })
    .openapi(one, async (c) => {
      const batch = await findBatch(db, c.req.valid('param').id);
      return c.json(await batchDetail(deps, batch), 200);
    })
    .openapi(events, async (c) => {
      const batch = await findBatch(db, c.req.valid('param').id);
      const { after, limit } = c.req.valid('query');
      const { items, next } = await batchEvents(db, batch.id, after ?? 0, limit);
      return c.json({ events: items, next_after: next }, 200);
    })
    .openapi(failures, async (c) => {
      const batch = await findBatch(db, c.req.valid('param').id);
      const { after, limit } = c.req.valid('query');
      const { items, next } = await batchFailures(db, batch.id, after ?? 0, limit, temporal);
      return c.json({ failures: items, next_after: next }, 200);
    })
    .openapi(calls, async (c) => {
      const batch = await findBatch(db, c.req.valid('param').id);
      const { after, limit } = c.req.valid('query');
      const { items, next } = await batchCalls(db, batch, after ?? 0, limit);
      return c.json({ calls: items, next_after: next }, 200);
    });
}
