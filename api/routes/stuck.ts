// GET /batches/{id}/stuck: the calls of a running batch that have been in one stage far longer than that stage
// usually takes (lifecycle/stuck.ts says how long is too long).
import { createRoute, z } from '@hono/zod-openapi';
import { STAGES } from '../../core/stages.js';
import { STUCK_FACTOR, STUCK_MIN_SECONDS, stuckCalls } from '../../lifecycle/stuck.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, idParams, json } from '../openapi.js';
import { findBatch } from '../queries/batches.js';

export const stuckCallSchema = z
  .object({
    call_id: z.number().int(),
    audio_name: z.string(),
    stage: z.enum(STAGES),
    since: z.string().openapi({
      format: 'date-time',
      description:
        "when its previous stage in the batch ended (no stage done yet: when it joined the batch, the later of its admission and the batch attempt's start)",
    }),
    seconds: z.number().int().openapi({ description: 'time in the stage so far' }),
    median_seconds: z
      .number()
      .nullable()
      .openapi({ description: "the stage's running median (null: no finished call to learn it from)" }),
    threshold_seconds: z.number().int(),
  })
  .openapi('StuckCall');

const stuck = createRoute({
  method: 'get',
  path: '/batches/{id}/stuck',
  tags: ['batches'],
  summary: `Calls of the batch in one stage over ${STUCK_FACTOR}x that stage's running median time (and at least ${STUCK_MIN_SECONDS} s)`,
  request: { params: idParams },
  responses: {
    200: json(
      z.object({ batch_id: z.number().int(), task_id: z.string(), stuck: z.array(stuckCallSchema) }),
      'the stuck calls, longest first (none for a batch that has ended)',
    ),
    ...errorResponses(404),
  },
});

export function stuckRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter().openapi(stuck, async (c) => {
    const batch = await findBatch(db, c.req.valid('param').id);
    const calls = await stuckCalls(db, { batchId: batch.id });
    return c.json(
      {
        batch_id: batch.id,
        task_id: batch.taskId,
        stuck: calls.map((s) => ({
          call_id: s.callId,
          audio_name: s.audioName,
          stage: s.stage,
          since: s.since.toISOString(),
          seconds: s.seconds,
          median_seconds: s.medianSeconds,
          threshold_seconds: s.thresholdSeconds,
        })),
      },
      200,
    );
  });
}
