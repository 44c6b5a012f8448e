// The QA workbench's review routes (issue 15 items 2, 4, 5): a call's result versions and the diff of two,
// reviewer overrides (reviewer or operator key) with their history and the "AI answer changed since review"
// flag, and the agreement report. Erased calls answer 410 with their tombstone.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CallRow } from '../../drizzle/schema/index.js';
import { erasedDetail, tombstoneOf } from '../../lifecycle/erasure.js';
import {
  confirmAnswer,
  flaggedCalls,
  MAX_REASON,
  markReviewed,
  overrideAnswer,
  type Reviewer,
  reviewOf,
} from '../../lifecycle/overrides.js';
import { diffVersions, listVersions } from '../../lifecycle/versions.js';
import { noteAccess } from '../accessTrail.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, idParams, idString, json, limitQuery, MAX_ID } from '../openapi.js';
import { findCall } from '../queries/calls.js';
import { agreement } from '../queries/review.js';
import { goneResponse } from './erasure.js';

const tags = ['review'];

const answerParams = z.object({
  id: idString('id').openapi({
    param: { name: 'id', in: 'path' },
    type: 'integer',
    minimum: 1,
    maximum: MAX_ID,
  }),
  questionId: idString('questionId').openapi({
    param: { name: 'questionId', in: 'path' },
    type: 'integer',
    minimum: 1,
    maximum: MAX_ID,
    description: "the question's id (`question_id` in GET /calls/{id})",
  }),
});

const versionSchema = z
  .object({
    version: z.number().int().openapi({ description: '1, 2, ...: the current results are the last' }),
    current: z.boolean(),
    created_at: z
      .string()
      .nullable()
      .openapi({ description: 'when its results were written (as far as known)' }),
    replaced_at: z.string().nullable().openapi({ description: 'when a reaudit replaced it (null: current)' }),
    reason: z.string(),
    batch_id: z.number().int().nullable().openapi({ description: 'the reaudit batch that replaced it' }),
    stages: z.array(z.string()).openapi({ description: 'the stages that reaudit re-ran' }),
    models: z.record(z.string(), z.string().nullable()),
    prompt_versions: z.record(z.string(), z.string().nullable()),
    questionnaire_version_id: z.number().int().nullable(),
    score: z.number().nullable(),
    answers: z.number().int(),
  })
  .openapi('ResultVersion');

const versionsSchema = z
  .object({ call_id: z.number().int(), versions: z.array(versionSchema) })
  .openapi('ResultVersions');

const changeSchema = z.object({
  question_id: z.number().int(),
  code: z.string().nullable(),
  question: z.string().nullable(),
  before: z.string().nullable(),
  after: z.string().nullable(),
  score_before: z.number().nullable(),
  score_after: z.number().nullable(),
  max_score: z.number().nullable(),
});

const diffSchema = z
  .object({
    call_id: z.number().int(),
    from: z.number().int(),
    to: z.number().int(),
    score_before: z.number().nullable(),
    score_after: z.number().nullable(),
    transcript_changed: z.boolean(),
    analysis_changed: z.boolean(),
    changed: z.array(changeSchema),
    unchanged: z.number().int(),
  })
  .openapi('ResultVersionDiff');

const versionNumber = (name: string) =>
  idString(name).optional().openapi({ type: 'integer', minimum: 1, maximum: MAX_ID });

const overrideBody = z
  .object({
    answer: z.string().min(1, 'answer may not be empty').max(16).openapi({ example: 'no' }),
    reason: z
      .string()
      .max(MAX_REASON, `reason: at most ${MAX_REASON} characters`)
      .regex(/\S/, 'reason may not be empty')
      .openapi({ example: 'the agent did not confirm the address' }),
  })
  .openapi('AnswerOverrideRequest');

const historySchema = z.object({
  id: z.number().int(),
  question_id: z.number().int(),
  kind: z.enum(['override', 'confirm']),
  ai_answer: z.string(),
  before: z.string(),
  after: z.string(),
  score_before: z.number().nullable(),
  score_after: z.number().nullable(),
  reason: z.string(),
  by: z.string().openapi({ description: "the API key's name" }),
  role: z.string(),
  at: z.string(),
});

const reviewSchema = z
  .object({
    call_id: z.number().int(),
    score: z.number().nullable(),
    reviewed: z.object({ reviewed_at: z.string(), reviewed_by: z.string() }).nullable(),
    ai_changed: z.number().int().openapi({ description: 'answers flagged "AI answer changed since review"' }),
    not_carried: z.number().int().openapi({
      description:
        'verdicts flagged "override not carried": a reaudit scored the call with a questionnaire version without that question (same code and answer type)',
    }),
    answers: z.array(
      z.object({
        question_id: z.number().int(),
        answer: z.string().openapi({ description: "the reviewer's answer (the effective one)" }),
        ai_answer: z.string().openapi({ description: "the AI's answer the reviewer decided on" }),
        ai_changed: z.boolean(),
        new_ai_answer: z.string().nullable(),
        ai_changed_batch_id: z.number().int().nullable(),
        not_carried: z.string().nullable().openapi({
          description: 'why the verdict could not be carried to the current questionnaire version',
        }),
      }),
    ),
    history: z.array(historySchema),
  })
  .openapi('CallReview');

const overrideResult = z
  .object({
    call_id: z.number().int(),
    question_id: z.number().int(),
    answer: z.string(),
    score: z.number().openapi({ description: "the call's recomputed score" }),
    critical_failure: z.boolean().nullable(),
    override: historySchema,
  })
  .openapi('AnswerOverridden');

const agreementRow = {
  reviewed: z.number().int(),
  overturned: z.number().int(),
  rate: z.number().nullable(),
};
const agreementSchema = z
  .object({
    process_id: z.number().int().nullable(),
    from: z.string().nullable(),
    to: z.string().nullable(),
    totals: z.object({ ...agreementRow, reviewed_calls: z.number().int() }),
    processes: z.array(
      z.object({
        ...agreementRow,
        process_id: z.number().int(),
        name: z.string().nullable(),
        reviewed_calls: z.number().int(),
      }),
    ),
    questions: z.array(
      z.object({ ...agreementRow, process_id: z.number().int(), code: z.string(), question: z.string() }),
    ),
    weeks: z.array(
      z.object({
        ...agreementRow,
        week: z.string().openapi({ description: 'Monday of the week (UTC)' }),
        process_id: z.number().int(),
      }),
    ),
    question_weeks: z
      .array(
        z.object({
          ...agreementRow,
          week: z.string().openapi({ description: 'Monday of the week (UTC)' }),
          process_id: z.number().int(),
          code: z.string(),
        }),
      )
      .openapi({ description: 'per question over time: the weekly figures of each question' }),
  })
  .openapi('Agreement');

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const day = (name: string, end: boolean) =>
  z
    .string()
    .regex(DATE, `${name} must be an ISO date (2026-12-01)`)
    .refine(
      (t) =>
        !Number.isNaN(Date.parse(`${t}T00:00:00Z`)) && new Date(`${t}T00:00:00Z`).toISOString().startsWith(t),
      `${name} is not a date`,
    )
    .transform((t) => new Date(Date.parse(`${t}T00:00:00Z`) + (end ? 86_400_000 - 1 : 0)))
    .optional()
    .openapi({
      type: 'string',
      example: '2026-12-01',
      description: end ? 'reviews up to this day (inclusive, UTC)' : 'reviews from this day (UTC)',
    });

const versionsRoute = createRoute({
  method: 'get',
  path: '/calls/{id}/versions',
  tags,
  summary: "A call's result versions: earlier ones kept by reaudits, the current results last",
  request: { params: idParams },
  responses: {
    200: json(versionsSchema, 'the versions, oldest first'),
    ...errorResponses(404),
    ...goneResponse,
  },
});

const diffRoute = createRoute({
  method: 'get',
  path: '/calls/{id}/versions/diff',
  tags,
  summary: 'Which answers changed between two versions of a call (question, before, after, score)',
  request: {
    params: idParams,
    query: z.object({
      from: versionNumber('from').openapi({ description: 'a version number; default: the one before `to`' }),
      to: versionNumber('to').openapi({ description: 'a version number; default: the current results' }),
    }),
  },
  responses: { 200: json(diffSchema, 'the changed answers'), ...errorResponses(404), ...goneResponse },
});

const reviewRoute = createRoute({
  method: 'get',
  path: '/calls/{id}/review',
  tags,
  summary: "A call's review: overridden answers, the AI-changed flags, every override and confirmation",
  request: { params: idParams },
  responses: { 200: json(reviewSchema, 'the review'), ...errorResponses(404), ...goneResponse },
});

const overrideRoute = createRoute({
  method: 'post',
  path: '/calls/{id}/answers/{questionId}/override',
  tags,
  summary: "Overrides an answer with a reason (reviewer or operator key); the call's score is recomputed",
  request: {
    params: answerParams,
    body: { content: { 'application/json': { schema: overrideBody } }, required: true },
  },
  responses: {
    200: json(overrideResult, 'overridden: the effective answer and the new score'),
    ...errorResponses(403, 404, 409),
    ...goneResponse,
  },
});

const confirmRoute = createRoute({
  method: 'post',
  path: '/calls/{id}/answers/{questionId}/confirm',
  tags,
  summary:
    'Confirms an override flagged "AI answer changed since review", or acknowledges one flagged "override not carried" (reviewer or operator key)',
  request: {
    params: answerParams,
    body: {
      content: {
        'application/json': {
          schema: z.object({ reason: z.string().max(MAX_REASON).optional() }).openapi('AnswerConfirmRequest'),
        },
      },
      required: false,
    },
  },
  responses: {
    200: json(historySchema, 'confirmed: the flag is cleared'),
    ...errorResponses(403, 404, 409),
    ...goneResponse,
  },
});

const markRoute = createRoute({
  method: 'post',
  path: '/calls/{id}/review',
  tags,
  summary:
    'Marks a call reviewed: its answers not overridden count as agreed with (reviewer or operator key)',
  request: { params: idParams },
  responses: {
    200: json(
      z.object({ call_id: z.number().int(), reviewed_at: z.string(), reviewed_by: z.string() }),
      'reviewed',
    ),
    ...errorResponses(403, 404, 409),
    ...goneResponse,
  },
});

const flaggedRoute = createRoute({
  method: 'get',
  path: '/reviews/flagged',
  tags,
  summary:
    'Calls with an answer flagged "AI answer changed since review" or "override not carried", most recently flagged first',
  request: {
    query: z.object({
      process_id: idString('process_id').optional().openapi({ type: 'integer', minimum: 1, maximum: MAX_ID }),
      limit: limitQuery(100, 1000),
    }),
  },
  responses: {
    200: json(
      z.object({
        calls: z.array(
          z.object({
            call_id: z.number().int(),
            batch_id: z.number().int(),
            process_id: z.number().int(),
            audio_name: z.string(),
            score: z.number().nullable(),
            flagged_answers: z.number().int(),
            not_carried: z.number().int().openapi({ description: 'of which flagged "override not carried"' }),
            flagged_at: z.string().nullable(),
          }),
        ),
      }),
      'flagged calls',
    ),
    ...errorResponses(),
  },
});

const agreementRoute = createRoute({
  method: 'get',
  path: '/reports/agreement',
  tags: ['reports'],
  summary: 'How often reviewers overturned the AI: per process, per question and per week',
  request: {
    query: z.object({
      process_id: idString('process_id').optional().openapi({ type: 'integer', minimum: 1, maximum: MAX_ID }),
      from: day('from', false),
      to: day('to', true),
    }),
  },
  responses: { 200: json(agreementSchema, 'the agreement figures'), ...errorResponses() },
});

export function reviewRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  const gone = async (c: Context, row: CallRow) => {
    const tombstone = await tombstoneOf(db, row);
    return c.json({ detail: erasedDetail(tombstone), code: 'gone' as const, ...tombstone }, 410);
  };
  const reviewer = (c: Context): Reviewer => {
    const actor = c.get('actor');
    return { keyName: actor?.keyName ?? 'open', role: actor?.role ?? 'operator' };
  };
  return createRouter()
    .openapi(versionsRoute, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      const versions = await listVersions(db, row.id);
      return c.json(
        {
          call_id: row.id,
          versions: versions.map(({ transcript: _t, analysis: _a, answer_list: _l, lang: _g, ...v }) => v),
        },
        200,
      );
    })
    .openapi(diffRoute, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      const { from, to } = c.req.valid('query');
      const versions = await listVersions(db, row.id);
      const last = versions.length;
      const toN = to ?? last;
      const fromN = from ?? toN - 1;
      const a = versions[fromN - 1];
      const b = versions[toN - 1];
      if (!a || !b || fromN === toN)
        throw new ApiError(
          'not_found',
          last === 1
            ? `call ${row.id} has one version only (no reaudit has replaced its results): nothing to compare`
            : `call ${row.id} has versions 1 to ${last} (${last} is the current): ask for two different ones`,
        );
      return c.json(diffVersions(row.id, a, b), 200);
    })
    .openapi(reviewRoute, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      return c.json({ call_id: row.id, score: row.auditScore, ...(await reviewOf(db, row.id)) }, 200);
    })
    .openapi(overrideRoute, async (c) => {
      const { id, questionId } = c.req.valid('param');
      const body = c.req.valid('json');
      const row = await findCall(db, id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      const done = await overrideAnswer(db, {
        callId: id,
        questionId,
        answer: body.answer,
        reason: body.reason,
        by: reviewer(c),
      });
      const o = done.override;
      return c.json(
        {
          call_id: id,
          question_id: questionId,
          answer: o.answerAfter,
          score: done.score,
          critical_failure: done.critical_failure,
          override: historyOf(o),
        },
        200,
      );
    })
    .openapi(confirmRoute, async (c) => {
      const { id, questionId } = c.req.valid('param');
      const row = await findCall(db, id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      let reason: string | undefined;
      if (c.req.header('content-type')?.includes('json')) {
        const body = (await c.req.json().catch(() => ({}))) as { reason?: unknown };
        if (body.reason !== undefined && typeof body.reason !== 'string')
          throw new ApiError('validation_error', 'body field reason: expected a string');
        reason = body.reason as string | undefined;
      }
      const o = await confirmAnswer(db, { callId: id, questionId, reason, by: reviewer(c) });
      return c.json(historyOf(o), 200);
    })
    .openapi(markRoute, async (c) => {
      const row = await findCall(db, c.req.valid('param').id);
      noteAccess(c, { batchId: row.batchId });
      if (row.status === 'Erased') return gone(c, row);
      const mark = await markReviewed(db, row.id, reviewer(c));
      return c.json(
        { call_id: row.id, reviewed_at: mark.reviewed_at.toISOString(), reviewed_by: mark.reviewed_by },
        200,
      );
    })
    .openapi(flaggedRoute, async (c) => {
      const q = c.req.valid('query');
      return c.json({ calls: await flaggedCalls(db, { processId: q.process_id, limit: q.limit }) }, 200);
    })
    .openapi(agreementRoute, async (c) => {
      const q = c.req.valid('query');
      if (q.from && q.to && q.from > q.to)
        throw new ApiError('validation_error', 'query parameter from: after to');
      return c.json(await agreement(db, { processId: q.process_id, from: q.from, to: q.to }), 200);
    });
}

function historyOf(o: {
  id: number;
  questionId: number;
  kind: 'override' | 'confirm';
  aiAnswer: string;
  answerBefore: string;
  answerAfter: string;
  scoreBefore: number | null;
  scoreAfter: number | null;
  reason: string;
  keyName: string;
  role: string;
  at: Date;
}) {
  return {
    id: o.id,
    question_id: o.questionId,
    kind: o.kind,
    ai_answer: o.aiAnswer,
    before: o.answerBefore,
    after: o.answerAfter,
    score_before: o.scoreBefore,
    score_after: o.scoreAfter,
    reason: o.reason,
    by: o.keyName,
    role: o.role,
    at: o.at.toISOString(),
  };
}
