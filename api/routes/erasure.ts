// DELETE /calls/{id}: erases a call (operator key) and answers with its tombstone; the tombstone's schema, also
// the body of the 410 that reads of an erased call answer. POST /erasures: every call with a customer reference.
//
// Erasure by reference is a POST of a body, not `DELETE /calls?customer_reference=...`: the reference is the
// customer's identifier, and a URL's query is written wherever a URL is (the access trail's path column, proxy
// and request logs, browser history); a body is not. The answer lists call ids only.
import { createRoute, z } from '@hono/zod-openapi';
import { eraseByReference, eraseCall } from '../../lifecycle/erasure.js';
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
    files_error: z.string().nullable().openapi({
      description:
        "why the call's files could not be removed (the erasure is committed; the next retention run removes them), or null",
    }),
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

const byReferenceRequest = z
  .object({
    customer_reference: z
      .string()
      .trim()
      .min(1, 'must not be empty')
      .max(128)
      .openapi({ description: "the customer's reference in the client's systems (call metadata)" }),
  })
  .strict()
  .openapi('ErasureRequest');

const byReferenceSchema = z
  .object({
    erased: z.number().int().openapi({ description: 'how many calls were erased' }),
    call_ids: z.array(z.number().int()),
    calls: z.array(erasedSchema),
  })
  .openapi('CallsErased');

const eraseByRef = createRoute({
  method: 'post',
  path: '/erasures',
  tags: ['calls'],
  summary:
    'Erases every call with a customer reference, all or nothing (operator key); each stays as a tombstone',
  request: {
    body: { required: true, content: { 'application/json': { schema: byReferenceRequest } } },
  },
  responses: {
    200: json(byReferenceSchema, 'erased: every call that had the reference, with its tombstone'),
    ...errorResponses(403, 404, 409, 422),
  },
});

type ErasedCall = Awaited<ReturnType<typeof eraseCall>>;
const erasedBody = (erased: ErasedCall) => ({
  ...erased.tombstone,
  deleted: erased.deleted,
  blanked: erased.blanked,
  files_removed: erased.files.length,
  files_error: erased.filesError,
});

export function erasureRoutes(deps: ApiDeps) {
  const erasure = { db: deps.database.db, audio: deps.audio, dailyDir: deps.config.DAILY_DIR };
  return createRouter()
    .openapi(erase, async (c) => {
      const id = c.req.valid('param').id;
      const row = await findCall(deps.database.db, id);
      noteAccess(c, { batchId: row.batchId });
      const erased = await eraseCall(erasure, id, c.get('actor')?.keyName ?? null);
      return c.json(erasedBody(erased), 200);
    })
    .openapi(eraseByRef, async (c) => {
      const { customer_reference } = c.req.valid('json');
      const actor = c.get('actor');
      const erased = await eraseByReference(erasure, customer_reference, actor?.keyName ?? null, {
        keyName: actor?.keyName ?? null,
        role: actor?.role ?? null,
        method: c.req.method,
        path: c.req.path,
        requestId: c.get('requestId') ?? null,
      });
      return c.json(
        {
          erased: erased.length,
          call_ids: erased.map((e) => e.tombstone.call_id),
          calls: erased.map(erasedBody),
        },
        200,
      );
    });
}
