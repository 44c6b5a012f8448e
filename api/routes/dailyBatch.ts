// POST /batches: run the daily batch on demand for a date (or a folder under DAILY_DIR).
import { statSync } from 'node:fs';
import path from 'node:path';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { Hono } from 'hono';
import { z } from 'zod';
import { mainQueue } from '../../core/fleet.js';
import { batchStatus } from '../../drizzle/schema/index.js';
import { dailyBatch } from '../../workflows/dailyBatch.js';
import {
  BATCH_WORKFLOW_TASK_TIMEOUT,
  batchSettings,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from '../../workflows/definitions.js';
import { batchView, findBatchByTask } from '../batchView.js';
import { workflowBusy } from '../closingWorkflow.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest } from '../errors.js';

export const dailyBatchRequest = z
  .object({
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'date must be YYYY-MM-DD')
      .refine(
        (d) =>
          !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) &&
          new Date(`${d}T00:00:00Z`).toISOString().startsWith(d),
        'not a calendar date',
      )
      .optional(),
    folder: z
      .string()
      .min(1)
      .max(255)
      // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
      .regex(/^[^\u0000-\u001f\u007f]*$/, 'folder may not contain control characters')
      .optional(),
    audio_stages: z
      .array(z.enum(['denoise', 'ivr']))
      .refine((s) => new Set(s).size === s.length, 'duplicates')
      .optional(),
  })
  .strict();

export function dailyBatchRoutes(deps: ApiDeps) {
  const app = new Hono();
  const prefix = deps.config.COFI_TASK_QUEUE;

  app.post('/batches', async (c) => {
    if (!(c.req.header('content-type') ?? '').toLowerCase().startsWith('application/json')) {
      throw new ApiError('unsupported_media_type', 'expected an application/json body');
    }
    const raw = await c.req.json().catch(() => {
      throw badRequest('the body is not valid JSON');
    });
    const parsed = dailyBatchRequest.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new ApiError('validation_error', `${issue.path.join('.') || 'body'}: ${issue.message}`);
    }
    const body = parsed.data;
    const date = body.date ?? new Date().toISOString().slice(0, 10);
    const root = path.resolve(deps.config.DAILY_DIR);
    const dir = path.resolve(root, body.folder ?? date);
    if (dir !== root && !dir.startsWith(root + path.sep))
      throw new ApiError('validation_error', 'folder must be inside DAILY_DIR');
    const found = statSync(dir, { throwIfNoEntry: false });
    if (!found) {
      throw new ApiError(
        'not_found',
        `no recordings folder ${path.relative(root, dir) || '.'} under DAILY_DIR`,
      );
    }
    if (!found.isDirectory()) {
      throw new ApiError('validation_error', `${path.relative(root, dir)} under DAILY_DIR is not a folder`);
    }
    const workflowId = workflowIds.dailyBatch(prefix, date);
    // A day run before is resumed: its row reads Pending again until the new run has ingested the folder
    // (set before the start, so the run's own InProgress can never be overwritten).
    const db = deps.database.db;
    const [earlier] = await db
      .select()
      .from(batchStatus)
      .where(eq(batchStatus.taskId, `daily-${date}`));
    if (earlier && (await workflowBusy(deps, workflowId, async () => earlier.status))) {
      throw new ApiError('conflict', `the daily batch of ${date} is already running`);
    }
    if (earlier)
      await db
        .update(batchStatus)
        .set({ status: 'Pending', completedAt: null })
        .where(eq(batchStatus.id, earlier.id));
    try {
      await deps.temporal.workflow.start(dailyBatch, {
        workflowId,
        taskQueue: mainQueue(prefix),
        args: [
          {
            date,
            folder: body.folder,
            audioStages: body.audio_stages ?? deps.config.DAILY_AUDIO_STAGES,
            ...batchSettings(deps.config),
          },
        ],
        workflowIdConflictPolicy: 'FAIL',
        workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
        typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'daily' }],
        memo: { date, folder: body.folder ?? null },
      });
    } catch (err) {
      if (earlier) {
        await db
          .update(batchStatus)
          .set({ status: earlier.status, completedAt: earlier.completedAt })
          .where(eq(batchStatus.id, earlier.id));
      }
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        throw new ApiError('conflict', `the daily batch of ${date} is already running`);
      }
      throw new ApiError('unavailable', `could not start the daily batch: ${(err as Error).message}`);
    }
    return c.json({ status: 'queued', task_id: `daily-${date}`, workflow_id: workflowId }, 202);
  });

  // The batch row appears once the workflow has ingested the folder (a moment after POST /batches).
  app.get('/daily/status/:taskId', async (c) => {
    const batch = await findBatchByTask(deps, c.req.param('taskId'), 'daily');
    return c.json(await batchView(deps, batch));
  });

  return app;
}
