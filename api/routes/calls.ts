// GET /calls/{id} (every stage result of one call) and GET /calls/{id}/audio (the recording, seekable); an
// erased call answers both with 410 and its tombstone, a recording expired by retention answers 410 too, and the
// call says which parts expired when. DELETE /calls/{id} lives in erasure.ts.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CallRow } from '../../drizzle/schema/index.js';
import { erasedDetail, tombstoneOf } from '../../lifecycle/erasure.js';
import { noteAccess } from '../accessTrail.js';
import { audioResponse } from '../audioFile.js';
import type { AudioLinks } from '../audioLink.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, errorSchema, idParams, json } from '../openapi.js';
import { callDetail, findCall } from '../queries/calls.js';
import { callDetailSchema } from '../schemas.js';
import { temporalLinks } from '../temporalLinks.js';
import { erasureRoutes, goneResponse, goneSchema } from './erasure.js';

const tags = ['calls'];

/** When the retention run removed each part of the call (lifecycle/retention.ts); null: still kept. */
const expiredSchema = z
  .object({
    recording: z.string().nullable().openapi({ format: 'date-time' }),
    transcript: z.string().nullable().openapi({ format: 'date-time' }),
    analysis: z.string().nullable().openapi({ format: 'date-time' }),
    answer: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('ExpiredParts', { description: 'when each part expired by retention; null: kept' });
const expiredOf = (row: CallRow) => ({
  recording: row.recordingExpiredAt?.toISOString() ?? null,
  transcript: row.transcriptExpiredAt?.toISOString() ?? null,
  analysis: row.analysisExpiredAt?.toISOString() ?? null,
  answer: row.answerExpiredAt?.toISOString() ?? null,
});

const one = createRoute({
  method: 'get',
  path: '/calls/{id}',
  tags,
  summary:
    'A call: language, transcript with segments, analysis, questionnaire answers with their questions, score',
  request: { params: idParams },
  responses: {
    200: json(callDetailSchema.extend({ expired: expiredSchema }), 'the call'),
    ...errorResponses(404),
    ...goneResponse,
  },
});

const audio = createRoute({
  method: 'get',
  path: '/calls/{id}/audio',
  tags,
  summary: 'The recording as stored, with its content type; honours a single `Range` (206) for players',
  request: {
    params: idParams,
    query: z.object({
      exp: z.string().optional().openapi({ description: 'expiry of a signed link (from `audio_url`)' }),
      sig: z
        .string()
        .optional()
        .openapi({ description: 'signature of a signed link: no bearer header needed' }),
    }),
  },
  responses: {
    200: {
      description: 'the whole file',
      content: { 'audio/*': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    206: {
      description: 'the requested range',
      content: { 'audio/*': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    ...errorResponses(404, 416),
    410: json(
      z.union([goneSchema, errorSchema]),
      'the call was erased (its tombstone), or its recording expired by retention',
    ),
  },
});

export function callRoutes(deps: ApiDeps, links: AudioLinks) {
  const db = deps.database.db;
  const temporal = temporalLinks(deps.config);
  /** 410 with the tombstone: what is left of an erased call is its id, batch, when and by whom. */
  const gone = async (c: Context, row: CallRow) => {
    const tombstone = await tombstoneOf(db, row);
    return c.json({ detail: erasedDetail(tombstone), code: 'gone' as const, ...tombstone }, 410);
  };
  return createRouter()
    .openapi(one, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      const detail = await callDetail(db, row, links.url(row.id), temporal);
      return c.json({ ...detail, expired: expiredOf(row) }, 200);
    })
    .openapi(audio, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      if (row.recordingExpiredAt)
        return c.json(
          {
            detail: `the recording of call ${row.id} expired by retention on ${row.recordingExpiredAt.toISOString()}`,
            code: 'gone' as const,
          },
          410,
        );
      let fullPath: string;
      try {
        // Only the audio store turns a stored path into a file path (it refuses anything outside itself).
        fullPath = deps.audio.resolve(row.storedPath);
      } catch {
        throw new ApiError('not_found', `the recording of call ${row.id} is not in the audio store`);
      }
      return audioResponse(fullPath, row.audioFormat, c.req.header('range'), row.audioName);
    })
    .route('/', erasureRoutes(deps));
}
