// POST /batches: run the daily batch of a date on demand (or join the run of that date under way), and
// GET /daily/status/{task_id}.
import { statSync } from 'node:fs';
import path from 'node:path';
import { createRoute, z } from '@hono/zod-openapi';
import { startDay } from '../../lifecycle/admission.js';
import { noteAccess } from '../accessTrail.js';
import { batchView, findBatchByTask } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, json } from '../openapi.js';
import { statusSchema, taskParams } from '../schemas.js';

/** A calendar date, YYYY-MM-DD (2026-02-30 is refused). */
const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD')
  .refine(
    (d) =>
      !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
    'not a calendar date',
  )
  .openapi({ format: 'date', example: '2026-01-15' });

export const dailyBatchRequest = z
  .object({
    date: calendarDate.optional().openapi({ description: 'the day to run; default today (UTC)' }),
    folder: z
      .string()
      .min(1)
      .max(255)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'folder may not contain control characters')
      .optional()
      .openapi({ description: 'a folder under DAILY_DIR to read instead of <date>/' }),
    audio_stages: z
      .array(z.enum(['denoise', 'ivr']))
      .refine((s) => new Set(s).size === s.length, 'duplicates')
      .optional()
      .openapi({
        uniqueItems: true,
        description: 'audio clean-up before LID, each at most once; default DAILY_AUDIO_STAGES',
      }),
  })
  .strict()
  .openapi('DailyBatchRequest');

const run = createRoute({
  method: 'post',
  path: '/batches',
  tags: ['batches'],
  summary:
    'Run the daily batch of a date (default today) or of a folder under DAILY_DIR; a run of that date already under way is joined',
  request: { body: { required: true, content: { 'application/json': { schema: dailyBatchRequest } } } },
  responses: {
    202: json(
      z.object({
        status: z.enum(['queued', 'running']),
        task_id: z.string(),
        workflow_id: z.string(),
        joined: z.boolean().openapi({ description: 'true when the date was already running: no second run' }),
      }),
      'started, or joined',
    ),
    ...errorResponses(400, 403, 404, 408, 409, 413, 415, 503),
  },
});

const status = createRoute({
  method: 'get',
  path: '/daily/status/{task_id}',
  tags: ['batches'],
  summary: 'Status and per-stage progress of a daily batch (the row appears once the day is ingested)',
  request: { params: taskParams('daily-2025-01-31') },
  responses: { 200: json(statusSchema, 'the batch'), ...errorResponses(404) },
});

export function dailyBatchRoutes(deps: ApiDeps) {
  const lifecycle = { db: deps.database.db, temporal: deps.temporal, config: deps.config, audio: deps.audio };
  return createRouter()
    .openapi(run, async (c) => {
      const body = c.req.valid('json');
      const date = body.date ?? new Date().toISOString().slice(0, 10);
      // The day's batch row appears only once its workflow has ingested the folder: the task id names it.
      noteAccess(c, { taskId: `daily-${date}` });
      const root = path.resolve(deps.config.DAILY_DIR);
      const dir = path.resolve(root, body.folder ?? date);
      if (dir !== root && !dir.startsWith(root + path.sep))
        throw new ApiError('validation_error', 'folder must be inside DAILY_DIR');
      const found = statSync(dir, { throwIfNoEntry: false });
      if (!found)
        throw new ApiError(
          'not_found',
          `no recordings folder ${path.relative(root, dir) || '.'} under DAILY_DIR`,
        );
      if (!found.isDirectory())
        throw new ApiError('validation_error', `${path.relative(root, dir)} under DAILY_DIR is not a folder`);
      const started = await startDay(lifecycle, {
        date,
        ...(body.folder !== undefined && { folder: body.folder }),
        audioStages: body.audio_stages ?? deps.config.DAILY_AUDIO_STAGES,
      });
      return c.json(
        {
          status: started.joined ? ('running' as const) : ('queued' as const),
          task_id: started.taskId,
          workflow_id: started.workflowId,
          joined: started.joined,
        },
        202,
      );
    })
    .openapi(status, async (c) => {
      const batch = await findBatchByTask(deps, c.req.valid('param').task_id, 'daily');
      return c.json(await batchView(deps, batch), 200);
    });
}
