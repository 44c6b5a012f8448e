// GET /reports/agents and GET /reports/questions: average score, fail rates, critical failures and their trend
// per agent and per question over a period (issue 15 item 8).
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import { process } from '../../drizzle/schema/index.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, idString, json, MAX_ID } from '../openapi.js';
import { agentReport, questionReport, REPORT_BUCKETS, type ReportFilter } from '../queries/reports.js';

/** The longest period a report covers: a year (and a day, for a leap year). */
export const MAX_REPORT_DAYS = 366;
export const DEFAULT_REPORT_DAYS = 30;
export const DEFAULT_PASS_MARK = 70;

const DAY_MS = 86_400_000;
const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const isCalendarDate = (d: string) =>
  !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);

const dateParam = (name: string, description: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, `${name} must be YYYY-MM-DD`)
    .refine(isCalendarDate, `${name} is not a calendar date`)
    .optional()
    .openapi({ format: 'date', example: '2026-11-01', description });

export const reportQuery = z
  .object({
    from: dateParam(
      'from',
      `first day of the period (UTC); default: ${DEFAULT_REPORT_DAYS - 1} days before \`to\``,
    ),
    to: dateParam('to', 'last day of the period, included (UTC); default today'),
    process: idString('process')
      .optional()
      .openapi({ type: 'integer', minimum: 1, maximum: MAX_ID, description: 'only calls of this process' }),
    bucket: z.enum(REPORT_BUCKETS).optional().openapi({
      description: 'trend per day or per ISO week (Monday first); default: day up to 31 days, else week',
    }),
    // A plain decimal 0..100: an empty or non-numeric value is refused, not coerced (`pass_mark=` is not 0).
    pass_mark: z
      .string()
      .regex(/^\d{1,3}(\.\d+)?$/, 'pass_mark is a score from 0 to 100')
      .transform(Number)
      .pipe(z.number().max(100, 'pass_mark is a score from 0 to 100'))
      .optional()
      .openapi({
        type: 'number',
        minimum: 0,
        maximum: 100,
        default: DEFAULT_PASS_MARK,
        description: `a scored call below this score is a failed call (default ${DEFAULT_PASS_MARK})`,
      }),
  })
  .strict();

const questionQuery = reportQuery.extend({
  agent: z.string().min(1).max(64).optional().openapi({ description: "only this agent's calls" }),
});

/** The period and filters of a report request, checked: from after to, or too long a period, is a 422. */
export async function reportFilter(
  db: Db,
  q: z.infer<typeof reportQuery> & { agent?: string | undefined },
): Promise<ReportFilter> {
  const to = q.to ?? day(Date.now());
  const from = q.from ?? day(Date.parse(`${to}T00:00:00Z`) - (DEFAULT_REPORT_DAYS - 1) * DAY_MS);
  if (from > to) throw new ApiError('validation_error', `query parameter from: ${from} is after to (${to})`);
  const days = (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;
  if (days > MAX_REPORT_DAYS)
    throw new ApiError(
      'validation_error',
      `query parameter from: the period is ${days} days, at most ${MAX_REPORT_DAYS} per report`,
    );
  if (q.process !== undefined) {
    const [found] = await db.select({ id: process.id }).from(process).where(eq(process.id, q.process));
    if (!found) throw new ApiError('not_found', `no process with id ${q.process}`);
  }
  return {
    from,
    to,
    processId: q.process,
    agentId: q.agent,
    bucket: q.bucket ?? (days <= 31 ? 'day' : 'week'),
    passMark: q.pass_mark ?? DEFAULT_PASS_MARK,
  };
}

const period = {
  from: z.string().openapi({ format: 'date' }),
  to: z.string().openapi({ format: 'date' }),
  process_id: z.number().int().nullable(),
  bucket: z.enum(REPORT_BUCKETS),
  pass_mark: z.number(),
};

const rateOf = (what: string) =>
  z
    .number()
    .nullable()
    .openapi({ description: `${what}, 0..1; null when none` });

const trendPoint = z
  .object({
    period: z.string().openapi({ format: 'date', description: 'first day of the day or week' }),
    calls: z.number().int(),
    scored: z.number().int(),
    average_score: z.number().nullable(),
    fail_rate: rateOf('scored calls below the pass mark'),
  })
  .openapi('ReportTrendPoint');

const agentRow = z
  .object({
    agent_id: z.string().nullable().openapi({ description: 'null: the calls without an agent' }),
    team: z.string().nullable(),
    calls: z.number().int().openapi({ description: 'completed calls in the period' }),
    scored: z.number().int().openapi({ description: 'of them, calls with a score (not no-speech ones)' }),
    average_score: z.number().nullable(),
    failed_calls: z.number().int().openapi({ description: 'scored calls below the pass mark' }),
    fail_rate: rateOf('failed_calls of scored'),
    critical_failures: z
      .number()
      .int()
      .openapi({ description: 'calls with a critical question answered `no` (their score is 0)' }),
    trend: z.array(trendPoint),
  })
  .openapi('AgentReport');

const questionRow = z
  .object({
    question_id: z.number().int(),
    process_id: z.number().int(),
    questionnaire_version: z.number().int().nullable(),
    code: z.string(),
    text: z.string(),
    critical: z.boolean(),
    answers: z.number().int(),
    not_applicable: z.number().int(),
    failed: z.number().int().openapi({ description: 'answers `no`, or 1 or 2 on a 1-5 scale' }),
    fail_rate: rateOf('failed of the answers that apply (N/A left out)'),
    average_score: z.number().nullable().openapi({ description: 'points earned of points possible, 0..100' }),
    critical_failures: z.number().int().openapi({ description: 'a critical question: its `no` answers' }),
    trend: z.array(
      z.object({
        period: z.string().openapi({ format: 'date' }),
        answers: z.number().int(),
        failed: z.number().int(),
        fail_rate: z.number().nullable(),
      }),
    ),
  })
  .openapi('QuestionReport');

const agents = createRoute({
  method: 'get',
  path: '/reports/agents',
  tags: ['reports'],
  summary:
    'Per agent over a period: calls, average score, fail rate, critical failures and the trend per day or week',
  request: { query: reportQuery },
  responses: {
    200: json(z.object({ ...period, agents: z.array(agentRow), trend: z.array(trendPoint) }), 'the report'),
    ...errorResponses(404),
  },
});

const questions = createRoute({
  method: 'get',
  path: '/reports/questions',
  tags: ['reports'],
  summary: 'Per question over a period: answers, fail rate, average points, critical failures and the trend',
  request: { query: questionQuery },
  responses: {
    200: json(
      z.object({ ...period, agent_id: z.string().nullable(), questions: z.array(questionRow) }),
      'the report',
    ),
    ...errorResponses(404),
  },
});

const periodOf = (f: ReportFilter) => ({
  from: f.from,
  to: f.to,
  process_id: f.processId ?? null,
  bucket: f.bucket,
  pass_mark: f.passMark,
});

export function reportRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(agents, async (c) => {
      const f = await reportFilter(db, c.req.valid('query'));
      return c.json({ ...periodOf(f), ...(await agentReport(db, f)) }, 200);
    })
    .openapi(questions, async (c) => {
      const f = await reportFilter(db, c.req.valid('query'));
      return c.json(
        { ...periodOf(f), agent_id: f.agentId ?? null, questions: await questionReport(db, f) },
        200,
      );
    });
}
