// GET /audit-log: the access trail (who read or changed which call or batch), newest first, paged and filtered.
// Operator keys only (requireKeys refuses a read key). A bad filter is a 400 naming the parameter.
import { createRoute, z } from '@hono/zod-openapi';
import { and, between, desc, eq, gte, lt, lte, type SQL } from 'drizzle-orm';
import { API_KEY_NAME, API_ROLES } from '../../core/config.js';
import { ACCESS_ACTIONS, ACCESS_TARGETS, type AccessLogRow, accessLog } from '../../drizzle/schema/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { createRouter, cursorQuery, errorResponses, idString, json, limitQuery, MAX_ID } from '../openapi.js';

const DAY_MS = 86_400_000;
const DATE = /^(\d{4}-\d{2}-\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO date or date-time with a zone; a date alone is its first millisecond, or (`to`) its last. */
const instant = (name: 'from' | 'to') =>
  z
    .string()
    .transform((text, ctx) => {
      const [, day] = DATE.exec(text) ?? DATE_TIME.exec(text) ?? [];
      const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
      if (!day || Number.isNaN(ms) || !new Date(`${day}T00:00:00Z`).toISOString().startsWith(day)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an ISO date (2026-12-01) or date-time with a zone (2026-12-01T09:30:00Z)`,
        });
        return z.NEVER;
      }
      return new Date(name === 'to' && DATE.test(text) ? ms + DAY_MS - 1 : ms);
    })
    .optional()
    .openapi({
      type: 'string',
      example: '2026-12-01',
      description:
        name === 'from'
          ? 'entries at or after this ISO date or date-time (with a zone)'
          : 'entries at or before this ISO date-time; a date includes its whole day (UTC)',
    });

const idFilter = (name: string, description: string) =>
  idString(name).optional().openapi({ type: 'integer', minimum: 1, maximum: MAX_ID, description });

export const auditLogQuery = z
  .object({
    key: z
      .string()
      .regex(API_KEY_NAME, 'key is a key name: 1 to 64 of A-Z a-z 0-9 _ . -')
      .optional()
      .openapi({ description: 'the key name (`open` without keys, `signed-link` for audio links)' }),
    role: z.enum(API_ROLES).optional(),
    action: z.enum(ACCESS_ACTIONS).optional(),
    target_type: z.enum(ACCESS_TARGETS).optional(),
    target_id: idFilter('target_id', 'the call or batch id (needs target_type)'),
    batch_id: idFilter('batch_id', 'entries about this batch or one of its calls'),
    status: z
      .string()
      .regex(/^[1-5](\d\d|xx)$/, 'status is a status code (403) or a class (4xx)')
      .optional()
      .openapi({ description: "the answer's status: a code (`403`) or a class (`2xx`, `4xx`)" }),
    from: instant('from'),
    to: instant('to'),
    limit: limitQuery(100, 500),
    before: cursorQuery('only entries with a smaller id (the `next_before` of the previous page)'),
  })
  .superRefine((q, ctx) => {
    if (q.target_id !== undefined && q.target_type === undefined)
      ctx.addIssue({ code: 'custom', path: ['target_id'], message: 'target_id needs target_type' });
    if (q.from && q.to && q.from > q.to)
      ctx.addIssue({ code: 'custom', path: ['from'], message: 'from is after to' });
  });
export type AuditLogQuery = z.infer<typeof auditLogQuery>;

const entrySchema = z
  .object({
    id: z.number().int(),
    at: z.string().openapi({ format: 'date-time' }),
    key_name: z.string().nullable().openapi({ description: 'null: no key, or one that is not configured' }),
    role: z.enum(API_ROLES).nullable(),
    action: z.enum(ACCESS_ACTIONS),
    target_type: z.enum(ACCESS_TARGETS),
    target_id: z.number().int().nullable(),
    batch_id: z.number().int().nullable(),
    task_id: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    status: z.number().int().openapi({ description: 'the HTTP status the request was answered with' }),
    request_id: z.string().nullable(),
  })
  .openapi('AccessLogEntry');

const { 422: _validation, ...errors } = errorResponses(400, 403);

const list = createRoute({
  method: 'get',
  path: '/audit-log',
  tags: ['audit-log'],
  summary:
    'The access trail, newest first: who (key name and role) read a call or changed something, when, and the answer',
  request: { query: auditLogQuery },
  responses: {
    200: json(
      z.object({ entries: z.array(entrySchema), next_before: z.number().int().nullable() }),
      'a page of the trail',
    ),
    ...errors,
  },
});

function whereOf(q: AuditLogQuery): SQL | undefined {
  const where: SQL[] = [];
  if (q.key) where.push(eq(accessLog.keyName, q.key));
  if (q.role) where.push(eq(accessLog.role, q.role));
  if (q.action) where.push(eq(accessLog.action, q.action));
  if (q.target_type) where.push(eq(accessLog.targetType, q.target_type));
  if (q.target_id !== undefined) where.push(eq(accessLog.targetId, q.target_id));
  if (q.batch_id !== undefined) where.push(eq(accessLog.batchId, q.batch_id));
  if (q.status) {
    const first = Number(q.status[0]) * 100;
    where.push(
      q.status.endsWith('xx')
        ? between(accessLog.status, first, first + 99)
        : eq(accessLog.status, Number(q.status)),
    );
  }
  if (q.from) where.push(gte(accessLog.at, q.from));
  if (q.to) where.push(lte(accessLog.at, q.to));
  if (q.before) where.push(lt(accessLog.id, q.before));
  return and(...where);
}

const entry = (r: AccessLogRow) => ({
  id: r.id,
  at: r.at.toISOString(),
  key_name: r.keyName,
  role: r.role,
  action: r.action,
  target_type: r.targetType,
  target_id: r.targetId,
  batch_id: r.batchId,
  task_id: r.taskId,
  method: r.method,
  path: r.path,
  status: r.status,
  request_id: r.requestId,
});

export function auditLogRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter().openapi(
    list,
    async (c) => {
      const q = c.req.valid('query');
      const rows = await db
        .select()
        .from(accessLog)
        .where(whereOf(q))
        .orderBy(desc(accessLog.id))
        .limit(q.limit + 1);
      const items = rows.slice(0, q.limit);
      const next = rows.length > q.limit ? (items.at(-1)?.id ?? null) : null;
      return c.json({ entries: items.map(entry), next_before: next }, 200);
    },
    // A filter the trail cannot apply is the client's malformed request: 400 naming the parameter.
    (result): undefined => {
      if (result.success) return undefined;
      const issue = result.error.issues[0];
      throw badRequest(
        `query parameter ${issue?.path.join('.') || '(query)'}: ${issue?.message ?? 'invalid'}`,
      );
    },
  );
}
