// A process's questionnaire: GET /processes/{id}/questionnaire (the current version), its versions, and
// POST /processes/{id}/questionnaire/versions to publish a new one (operator key; the first one creates it).
import { createRoute, z } from '@hono/zod-openapi';
import { ANSWER_TYPES } from '../../drizzle/schema/index.js';
import {
  checkVersion,
  currentQuestionnaire,
  MAX_QUESTIONS,
  MAX_TEXT,
  NoSuchProcess,
  publishVersion,
  QuestionnaireInvalid,
  questionnaireAt,
} from '../../lifecycle/questionnaires.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, idParams, idString, json, MAX_ID } from '../openapi.js';
import { findProcess, listVersions, versionView } from '../queries/questionnaires.js';

const tags = ['questionnaires'];

const questionSchema = z
  .object({
    id: z.number().int(),
    position: z.number().int().openapi({ description: '1, 2, ... in the order the questions were given' }),
    code: z.string(),
    text: z.string(),
    answer_type: z.enum(ANSWER_TYPES),
    options: z.array(z.string()).openapi({ description: 'the answers the type takes' }),
    weight: z.number(),
    guidance: z.string().nullable(),
    critical: z
      .boolean()
      .openapi({ description: 'answered `no`, the call scores 0 ("failed on a critical item")' }),
  })
  .openapi('Question');

const versionSchema = z
  .object({
    process_id: z.number().int(),
    version: z.number().int().openapi({ description: '1, 2, ... per process; the highest is current' }),
    version_id: z.number().int().openapi({ description: "the version's id (calls record it)" }),
    published_at: z.string().openapi({ format: 'date-time' }),
    published_by: z.string().nullable().openapi({
      description: 'the API key that published it (`reference-data`, `migration`: version 1 from the seed)',
    }),
    note: z.string().nullable(),
    questions: z.array(questionSchema),
  })
  .openapi('QuestionnaireVersion');

const versionListSchema = z
  .object({
    process_id: z.number().int(),
    versions: z.array(
      z.object({
        version: z.number().int(),
        version_id: z.number().int(),
        published_at: z.string().openapi({ format: 'date-time' }),
        published_by: z.string().nullable(),
        note: z.string().nullable(),
        question_count: z.number().int(),
        critical_count: z.number().int(),
        current: z.boolean(),
      }),
    ),
  })
  .openapi('QuestionnaireVersions');

const questionInput = z
  .object({
    code: z
      .string()
      .max(64)
      .openapi({ example: 'identity_verification', description: 'unique in the version; [a-z][a-z0-9_]*' }),
    text: z.string().max(MAX_TEXT),
    answer_type: z.enum(ANSWER_TYPES),
    weight: z
      .number()
      .openapi({ description: 'a positive number: the share of the score the question carries' }),
    guidance: z.string().max(MAX_TEXT).nullable().optional(),
    critical: z
      .boolean()
      .optional()
      .openapi({ description: 'only on yes_no and yes_no_na questions: `no` sets the call score to 0' }),
    options: z
      .array(z.string())
      .max(10)
      .optional()
      .openapi({ description: "optional check: when given, exactly the answer type's answers" }),
  })
  .strict();

export const publishRequest = z
  .object({
    note: z
      .string()
      .max(MAX_TEXT)
      .nullable()
      .optional()
      .openapi({ description: 'what changed, for the list' }),
    questions: z
      .array(questionInput)
      .max(MAX_QUESTIONS)
      .openapi({ description: `the whole questionnaire, in order: 1 to ${MAX_QUESTIONS} questions` }),
  })
  .strict()
  .openapi('PublishQuestionnaire');

const versionParams = idParams.extend({
  version: idString('version').openapi({
    param: { name: 'version', in: 'path' },
    type: 'integer',
    minimum: 1,
    maximum: MAX_ID,
    example: 2,
  }),
});

const current = createRoute({
  method: 'get',
  path: '/processes/{id}/questionnaire',
  tags,
  summary: "A process's current questionnaire: the version llm2 scores calls with now",
  request: { params: idParams },
  responses: { 200: json(versionSchema, 'the current version'), ...errorResponses(404) },
});

const versions = createRoute({
  method: 'get',
  path: '/processes/{id}/questionnaire/versions',
  tags,
  summary: "Every version of a process's questionnaire, newest first",
  request: { params: idParams },
  responses: { 200: json(versionListSchema, 'the versions'), ...errorResponses(404) },
});

const oneVersion = createRoute({
  method: 'get',
  path: '/processes/{id}/questionnaire/versions/{version}',
  tags,
  summary: 'One version of a questionnaire, with its questions',
  request: { params: versionParams },
  responses: { 200: json(versionSchema, 'the version'), ...errorResponses(404) },
});

const publish = createRoute({
  method: 'post',
  path: '/processes/{id}/questionnaire/versions',
  tags,
  summary:
    'Publishes a new version (the whole question list; operator key): current for calls scored from now on. A process without a questionnaire gets version 1',
  request: {
    params: idParams,
    body: { content: { 'application/json': { schema: publishRequest } }, required: true },
  },
  responses: {
    201: json(versionSchema, 'published: the new current version'),
    ...errorResponses(400, 403, 404),
  },
});

export function questionnaireRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(current, async (c) => {
      const id = c.req.valid('param').id;
      await findProcess(db, id);
      const found = await currentQuestionnaire(db, id);
      if (!found) throw new ApiError('not_found', `process ${id} has no questionnaire yet`);
      return c.json(versionView(found), 200);
    })
    .openapi(versions, async (c) => {
      const id = c.req.valid('param').id;
      await findProcess(db, id);
      return c.json({ process_id: id, versions: await listVersions(db, id) }, 200);
    })
    .openapi(oneVersion, async (c) => {
      const { id, version } = c.req.valid('param');
      await findProcess(db, id);
      const found = await questionnaireAt(db, id, version);
      if (!found) throw new ApiError('not_found', `process ${id} has no questionnaire version ${version}`);
      return c.json(versionView(found), 200);
    })
    .openapi(publish, async (c) => {
      const id = c.req.valid('param').id;
      const body = c.req.valid('json');
      try {
        await findProcess(db, id);
        checkVersion(body);
        const published = await publishVersion(db, id, body, c.get('actor')?.keyName ?? null);
        return c.json(versionView(published), 201);
      } catch (err) {
        if (err instanceof QuestionnaireInvalid) throw new ApiError('validation_error', err.detail);
        if (err instanceof NoSuchProcess) throw new ApiError('not_found', err.message);
        throw err;
      }
    });
}
