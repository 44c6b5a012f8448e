// The OpenAPI 3.1 document at /openapi.json: zod-validated routes document themselves; the streamed upload
// and the plain-Hono routes (health, audit status, reaudit) are registered here, documentation only.
import { type OpenAPIHono, z } from '@hono/zod-openapi';
import { AUDIT_STAGES } from '../../core/stages.js';
import { errorResponses, json } from '../openapi.js';
import { batchDetailSchema } from '../schemas.js';
import { dailyBatchRequest } from './dailyBatch.js';
import { reauditRequest } from './reaudit.js';

const taskParams = (example: string) =>
  z.object({ task_id: z.string().openapi({ param: { name: 'task_id', in: 'path' }, example }) });

const statusSchema = batchDetailSchema.omit({ stage_timings: true }).openapi('BatchStatus');

const uploadForm = z.object({
  files: z.array(z.string().openapi({ type: 'string', format: 'binary' })).openapi({
    description:
      'the recordings (repeat the field); each filename must be a plain name (no path, no control characters, valid UTF-8, at most 255 bytes), unique in the upload ignoring case and accents; names are kept for display and reaudit, never used as paths',
  }),
  process_id: z.string().openapi({ description: 'a process id (GET /processes)', example: '1' }),
  category_mapping_id: z
    .string()
    .optional()
    .openapi({ description: 'GET /category-mappings; default 1', example: '1' }),
  stages: z
    .string()
    .optional()
    .openapi({
      description: `comma-separated, of: ${AUDIT_STAGES.join(', ')}; default all`,
      example: 'lid,stt',
    }),
});

/** Registers what the zod routes cannot describe themselves, then serves the document. */
export function documentApi(app: OpenAPIHono, version: string) {
  const registry = app.openAPIRegistry;
  registry.registerComponent('securitySchemes', 'apiKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key (role `read` for GET, `operator` for uploads, reaudits and cancels).',
  });
  registry.registerPath({
    method: 'get',
    path: '/health',
    tags: ['operations'],
    summary: 'Whether Temporal and the database answer',
    security: [],
    responses: {
      200: json(z.object({ status: z.string(), database: z.string(), temporal: z.string() }), 'both answer'),
      503: json(z.object({ status: z.string(), detail: z.string() }), 'one does not; `detail` names it'),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/audit/upload',
    tags: ['audit'],
    summary:
      'Upload recordings for an audit (one upload at a time); streamed to disk, limits enforced while reading',
    request: { body: { required: true, content: { 'multipart/form-data': { schema: uploadForm } } } },
    responses: {
      200: json(
        z.object({
          status: z.literal('queued'),
          task_id: z.string(),
          batch_id: z.number().int(),
          files: z.number().int(),
        }),
        'queued',
      ),
      ...errorResponses(400, 403, 408, 409, 413, 415, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/audit/status/{task_id}',
    tags: ['audit'],
    summary: 'Status and per-stage progress of an audit upload',
    request: { params: taskParams('audit-42') },
    responses: { 200: json(statusSchema, 'the batch'), ...errorResponses(404) },
  });
  registry.registerPath({
    method: 'post',
    path: '/reaudit',
    tags: ['reaudit'],
    summary: 'Re-run chosen stages (and the stages computed from them) for calls named by audio name',
    request: { body: { required: true, content: { 'application/json': { schema: reauditRequest } } } },
    responses: {
      200: json(
        z.object({
          status: z.literal('queued'),
          task_id: z.string(),
          batch_id: z.number().int(),
          calls: z.number().int(),
          stages: z.array(z.string()),
          requested_stages: z.array(z.string()),
          not_found: z.array(z.string()),
        }),
        'queued',
      ),
      ...errorResponses(400, 403, 404, 408, 409, 413, 415, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/reaudit/status/{task_id}',
    tags: ['reaudit'],
    summary: 'Status of a reaudit, with what its cleanup deleted',
    request: { params: taskParams('reaudit-43') },
    responses: {
      200: json(
        statusSchema.extend({
          requested_stages: z.array(z.string()),
          not_found: z.array(z.string()),
          original_batches: z.array(z.number().int()),
          deleted: z.record(z.string(), z.number()),
        }),
        'the reaudit',
      ),
      ...errorResponses(404),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/reaudit/{task_id}/cancel',
    tags: ['reaudit'],
    summary: 'Ask a running reaudit to stop (in-flight calls are cancelled, bookkeeping still runs)',
    request: { params: taskParams('reaudit-43') },
    responses: {
      202: json(z.object({ status: z.literal('cancelling'), task_id: z.string() }), 'cancelling'),
      ...errorResponses(403, 404, 408, 409, 413, 503),
    },
  });
  registry.registerPath({
    method: 'post',
    path: '/batches',
    tags: ['batches'],
    summary: 'Run the daily batch on demand, for a date (default today) or a folder under DAILY_DIR',
    request: { body: { required: true, content: { 'application/json': { schema: dailyBatchRequest } } } },
    responses: {
      202: json(
        z.object({ status: z.literal('queued'), task_id: z.string(), workflow_id: z.string() }),
        'started',
      ),
      ...errorResponses(400, 403, 404, 408, 409, 413, 415, 503),
    },
  });
  registry.registerPath({
    method: 'get',
    path: '/daily/status/{task_id}',
    tags: ['batches'],
    summary: 'Status and per-stage progress of a daily batch',
    request: { params: taskParams('daily-2025-01-31') },
    responses: { 200: json(statusSchema, 'the batch'), ...errorResponses(404) },
  });
  registry.registerPath({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    responses: {
      200: { description: 'metrics', content: { 'text/plain': { schema: z.string() } } },
      ...errorResponses(),
    },
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'cofi',
      version,
      description:
        'Audits recorded contact-centre calls: LID, STT, analysis and scored questionnaire answers. Errors are `{detail, code}`.',
    },
    security: [{ apiKey: [] }],
  });
}
