// DELETE /calls/{id}: erases a call (operator key) and answers with its tombstone; the tombstone's schema, also
// the body of the 410 that reads of an erased call answer.
import { createRoute, z } from '@hono/zod-openapi';
import { eraseCall } from '../../lifecycle/erasure.js';
import { noteAccess } from '../accessTrail.js';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, idParams, json } from '../openapi.js';
import { findCall } from '../queries/calls.js';

export const tombstoneSchema = z
  .object({
    call_id: z.number().int(),
    batch_id: z.number().int(),
    task_id: z.string().nullable().openapi({ description: "the call's batch (`audit-42`)" }),
    status: z.literal('Erased'),
    erased_at: z.string().openapi({ format: 'date-time' }),
    erased_by: z.string().nullable().openapi({ description: 'the name of the API key that erased it' }),
  })
  .openapi('CallTombstone');

export const goneSchema = tombstoneSchema
  .extend({
    detail: z.string().openapi({ example: 'call 42 was erased on 2026-12-01T19:00:00.000Z by ops-lead' }),
    code: z.literal('gone'),
  })
  .openapi('CallGone');

/** The 410 an erased call answers with, for the routes that document it. */
export const goneResponse = { 410: json(goneSchema, 'the call was erased: its tombstone') };

const erasedSchema = tombstoneSchema
  .extend({
    deleted: z
      .record(z.string(), z.number().int())
      .openapi({ description: 'rows deleted per table (results, distribution)' }),
    blanked: z.record(z.string(), z.number().int()).openapi({
      description:
        'rows kept for counts with their text blanked (processing_logs payloads and messages, event messages, ledger reasons)',
    }),
    files_removed: z
      .number()
      .int()
      .openapi({ description: 'files of the call removed from the audio store' }),
  })
  .openapi('CallErased');

const erase = createRoute({
  method: 'delete',
  path: '/calls/{id}',
  tags: ['calls'],
  summary:
    'Erases a call: its audio, results and failure-log payloads; the call stays as a tombstone (operator key)',
  request: { params: idParams },
  responses: {
    200: json(erasedSchema, 'erased: the tombstone, with what went'),
    ...errorResponses(403, 404, 409),
  },
});

export function erasureRoutes(deps: ApiDeps) {
  return createRouter().openapi(erase, async (c) => {
    const id = c.req.valid('param').id;
    const row = await findCall(deps.database.db, id);
    noteAccess(c, { batchId: row.batchId });
    const erased = await eraseCall(
      { db: deps.database.db, audio: deps.audio },
      id,
      c.get('actor')?.keyName ?? null,
    );
    return c.json(
      {
        ...erased.tombstone,
        deleted: erased.deleted,
        blanked: erased.blanked,
        files_removed: erased.files.length,
      },
      200,
    );
  });
}
