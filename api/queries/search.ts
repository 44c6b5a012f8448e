// Search across calls (GET /calls/search, the CSV export and the dashboard's search page): the filters, their
// validation, and keyset pages in a whitelisted sort order. Erased calls are never found: a tombstone has no
// results to match, and its metadata is not shown by search.
import { z } from '@hono/zod-openapi';
import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { MySqlColumn } from 'drizzle-orm/mysql-core';
import { CALL_DIRECTIONS, CALL_STATUSES, type CallDirection } from '../../core/stages.js';
import type { Db } from '../../drizzle/client.js';
import {
  analysis,
  auditAnswer,
  auditQuestion,
  call,
  callReview,
  transcript,
} from '../../drizzle/schema/index.js';
import { MAX_ID } from '../openapi.js';

const DAY_MS = 86_400_000;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** An ISO date or a date-time with a zone; a date alone is its first millisecond (UTC), or for an upper bound its last. */
const instant = (name: string, upper: boolean, what: string) =>
  z
    .string()
    .transform((text, ctx) => {
      const day = DATE.test(text) ? text : DATE_TIME.exec(text)?.[1];
      const ms = Date.parse(DATE.test(text) ? `${text}T00:00:00Z` : text);
      if (!day || Number.isNaN(ms) || !new Date(`${day}T00:00:00Z`).toISOString().startsWith(day)) {
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be an ISO date (2026-12-01) or a date-time with a zone (2026-12-01T09:30:00Z)`,
        });
        return z.NEVER;
      }
      return new Date(upper && DATE.test(text) ? ms + DAY_MS - 1 : ms);
    })
    .optional()
    .openapi({
      type: 'string',
      example: '2026-12-01',
      description: upper
        ? `${what} at or before this ISO date-time; a date includes its whole day (UTC)`
        : `${what} at or after this ISO date or date-time (with a zone)`,
    });

/** A score bound: a plain decimal number (an empty value is refused, not read as 0), 0..100. */
const score = (name: string, description: string) =>
  z
    .string()
    .regex(/^\d{1,3}(\.\d+)?$/, `${name} must be a number from 0 to 100`)
    .transform(Number)
    .pipe(z.number().max(100, `${name} must be from 0 to 100`))
    .optional()
    .openapi({ type: 'number', minimum: 0, maximum: 100, description });

/** A free-text filter on an exact value (agent, team, category): 1..128 characters, no control characters. */
const exact = (name: string, max: number, description: string) =>
  z
    .string()
    .min(1, `${name} must not be empty`)
    .max(max, `${name} is longer than ${max} characters`)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .regex(/^[^\u0000-\u001f\u007f]*$/, `${name} must not contain control characters`)
    .optional()
    .openapi({ description });

/** Statuses a search can ask for: an erased call is never found. */
export const SEARCH_STATUSES = CALL_STATUSES.filter((s) => s !== 'Erased') as Exclude<
  (typeof CALL_STATUSES)[number],
  'Erased'
>[];

/** Sort keys (a `-` in front: descending). Calls without the value (no score, no start time) sort lowest. */
export const SORT_KEYS = ['created_at', 'started_at', 'score', 'id'] as const;
export type SortKey = (typeof SORT_KEYS)[number];
export const SORTS = SORT_KEYS.flatMap((k) => [k, `-${k}`]) as readonly string[];

export const MAX_WORDS = 10;
export const MIN_WORD = 3;
/**
 * InnoDB's built-in full-text stopwords (INFORMATION_SCHEMA.INNODB_FT_DEFAULT_STOPWORD): the index does not
 * hold them, so a word among them could never be found.
 */
const STOPWORDS = new Set(
  'a about an are as at be by com de en for from how i in is it la of on or that the this to was what when where who will with und www'.split(
    ' ',
  ),
);

/** The words of `q` the full-text index can find: letters and digits, at least MIN_WORD long, no stopwords. */
export function searchWords(q: string): { words: string[]; ignored: string[] } {
  const all = q.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const words: string[] = [];
  const ignored: string[] = [];
  for (const w of all) {
    const target = [...w].length >= MIN_WORD && !STOPWORDS.has(w) ? words : ignored;
    if (!target.includes(w)) target.push(w);
  }
  return { words, ignored };
}

/** The filters' fields, for schemas that add their own (paging, rows) before the range checks. */
export const filterFields = {
  from: instant('from', false, 'calls received (created) '),
  to: instant('to', true, 'calls received (created)'),
  started_from: instant('started_from', false, 'calls that started (call metadata `call_started_at`)'),
  started_to: instant('started_to', true, 'calls that started (call metadata `call_started_at`)'),
  process_id: z.coerce
    .number({ message: 'process_id must be a positive integer' })
    .int('process_id must be a positive integer')
    .min(1, 'process_id must be a positive integer')
    .max(MAX_ID, 'process_id is out of range')
    .optional()
    .openapi({ type: 'integer', minimum: 1, description: 'the business process' }),
  batch_id: z.coerce
    .number({ message: 'batch_id must be a positive integer' })
    .int('batch_id must be a positive integer')
    .min(1, 'batch_id must be a positive integer')
    .max(MAX_ID, 'batch_id is out of range')
    .optional()
    .openapi({ type: 'integer', minimum: 1, description: 'the batch the call was uploaded or ingested in' }),
  category: exact('category', 128, "the analysis's category, exactly"),
  language: z
    .string()
    .regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$/, 'language must be a language code such as en or de')
    .optional()
    .openapi({ description: 'the detected language (ISO 639-1), e.g. `en`' }),
  score_min: score('score_min', 'calls scored at least this (0..100); unscored calls are left out'),
  score_max: score('score_max', 'calls scored at most this (0..100); unscored calls are left out'),
  agent_id: exact('agent_id', 64, 'the agent (call metadata), exactly'),
  team: exact('team', 64, 'the team (call metadata), exactly'),
  customer_reference: exact(
    'customer_reference',
    128,
    "the customer's reference (call metadata), exactly: every call of one customer",
  ),
  direction: z.enum(CALL_DIRECTIONS).optional(),
  reviewed: z
    .enum(['true', 'false'], { message: 'reviewed must be true or false' })
    .transform((v) => v === 'true')
    .optional()
    .openapi({
      type: 'boolean',
      description:
        'true: calls a reviewer has looked at (overrode or confirmed an answer); false: the others',
    }),
  status: z
    .enum(SEARCH_STATUSES as [string, ...string[]], {
      message: `status must be one of ${SEARCH_STATUSES.join(', ')} (erased calls are never found)`,
    })
    .optional(),
  q: z
    .string()
    .max(200, 'q is longer than 200 characters')
    .transform((text, ctx) => {
      const { words } = searchWords(text);
      if (words.length === 0) {
        ctx.addIssue({
          code: 'custom',
          message: `q has no word the full-text index holds: words need ${MIN_WORD} or more letters and must not be among the most common ones (the, and, of…)`,
        });
        return z.NEVER;
      }
      if (words.length > MAX_WORDS) {
        ctx.addIssue({ code: 'custom', message: `q has more than ${MAX_WORDS} words` });
        return z.NEVER;
      }
      return words;
    })
    .optional()
    .openapi({
      type: 'string',
      example: 'refund cancel',
      description: `words in the transcript, all of them (whole words, any case; words under ${MIN_WORD} letters and the most common ones are ignored)`,
    }),
  sort: z
    .enum(SORTS as [string, ...string[]], {
      message: `sort must be one of ${SORTS.join(', ')}`,
    })
    .default('-created_at')
    .openapi({
      description:
        'the order: created_at, started_at, score or id; `-` in front for descending. Calls without the value sort lowest. Ties are broken by id.',
    }),
};

type Ranged = {
  [K in 'from' | 'to' | 'started_from' | 'started_to' | 'score_min' | 'score_max']?: Date | number;
};

/** A range's lower end above its upper end is refused, naming the lower one. */
export function checkRanges(f: Ranged, ctx: z.RefinementCtx): void {
  const pairs = [
    ['from', 'to'],
    ['started_from', 'started_to'],
    ['score_min', 'score_max'],
  ] as const;
  for (const [low, high] of pairs) {
    const a = f[low];
    const b = f[high];
    if (a !== undefined && b !== undefined && a > b)
      ctx.addIssue({ code: 'custom', path: [low], message: `${low} is greater than ${high}` });
  }
}

export const searchFilters = z.object(filterFields).superRefine(checkRanges);
export type SearchFilters = z.infer<typeof searchFilters>;

/** A search cursor: the sort it was made for, and the last row's sort value and id. Opaque to clients. */
export type Cursor = { s: string; v: string | number | null; id: number };

export const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify(c)).toString('base64url');

/** The cursor, or a message for its 4xx (it was made for another sort, or is not one of ours). */
export function decodeCursor(text: string, sort: string): Cursor | string {
  try {
    const c = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor;
    const valueOk = c.v === null || typeof c.v === 'number' || typeof c.v === 'string';
    if (!c || typeof c.s !== 'string' || !Number.isInteger(c.id) || !valueOk) return 'cursor is not valid';
    if (c.s !== sort) return `cursor was made for sort ${c.s}, not ${sort}: start again without it`;
    if (typeof c.v === 'string' && Number.isNaN(Date.parse(c.v))) return 'cursor is not valid';
    return c;
  } catch {
    return 'cursor is not valid';
  }
}

const SORT_COLUMNS: Record<SortKey, MySqlColumn> = {
  created_at: call.createdAt,
  started_at: call.callStartedAt,
  score: call.auditScore,
  id: call.id,
};

function sortOf(sort: string) {
  const descending = sort.startsWith('-');
  const key = (descending ? sort.slice(1) : sort) as SortKey;
  return { key, column: SORT_COLUMNS[key], descending };
}

/** Rows after the cursor in the sort's order; NULL is lower than any value, as MariaDB orders it. */
function after(sort: string, cursor: Cursor): SQL | undefined {
  const { key, column, descending } = sortOf(sort);
  if (key === 'id') return descending ? lt(call.id, cursor.id) : gt(call.id, cursor.id);
  const v = typeof cursor.v === 'string' ? new Date(cursor.v) : cursor.v;
  if (v === null)
    return descending
      ? and(isNull(column), lt(call.id, cursor.id))
      : or(isNotNull(column), and(isNull(column), gt(call.id, cursor.id)));
  return descending
    ? or(lt(column, v), and(eq(column, v), lt(call.id, cursor.id)), isNull(column))
    : or(gt(column, v), and(eq(column, v), gt(call.id, cursor.id)));
}

/** BOOLEAN MODE with every word required; the words are letters and digits only (searchWords). */
const against = (words: string[]) => words.map((w) => `+${w}`).join(' ');

function whereOf(f: SearchFilters, cursor: Cursor | undefined): SQL | undefined {
  const where: (SQL | undefined)[] = [ne(call.status, 'Erased')];
  if (f.from) where.push(gte(call.createdAt, f.from));
  if (f.to) where.push(lte(call.createdAt, f.to));
  if (f.started_from) where.push(gte(call.callStartedAt, f.started_from));
  if (f.started_to) where.push(lte(call.callStartedAt, f.started_to));
  if (f.process_id !== undefined) where.push(eq(call.processId, f.process_id));
  if (f.batch_id !== undefined) where.push(eq(call.batchId, f.batch_id));
  if (f.category !== undefined) where.push(eq(analysis.category, f.category));
  if (f.language !== undefined) where.push(eq(call.lang, f.language));
  if (f.score_min !== undefined) where.push(gte(call.auditScore, f.score_min));
  if (f.score_max !== undefined) where.push(lte(call.auditScore, f.score_max));
  if (f.agent_id !== undefined) where.push(eq(call.agentId, f.agent_id));
  if (f.team !== undefined) where.push(eq(call.team, f.team));
  if (f.customer_reference !== undefined) where.push(eq(call.customerReference, f.customer_reference));
  if (f.direction !== undefined) where.push(eq(call.direction, f.direction));
  if (f.reviewed !== undefined)
    where.push(f.reviewed ? isNotNull(callReview.callId) : isNull(callReview.callId));
  if (f.status !== undefined) where.push(eq(call.status, f.status as (typeof SEARCH_STATUSES)[number]));
  if (f.q)
    where.push(
      sql`${call.id} IN (SELECT ${transcript.callId} FROM ${transcript} WHERE MATCH(${transcript.text}) AGAINST (${against(f.q)} IN BOOLEAN MODE))`,
    );
  if (cursor) where.push(after(f.sort, cursor));
  return and(...where);
}

export type FoundCall = {
  call_id: number;
  batch_id: number;
  audio_name: string;
  process_id: number;
  status: string;
  language: string | null;
  category: string | null;
  sub_category: string | null;
  score: number | null;
  agent_id: string | null;
  team: string | null;
  direction: CallDirection | null;
  call_started_at: string | null;
  created_at: string;
  reviewed: boolean;
};

/** One page of calls matching the filters, in the sort's order, and the cursor of the next page (null: last). */
export async function searchCalls(
  db: Db,
  f: SearchFilters,
  limit: number,
  cursor?: Cursor,
): Promise<{ calls: FoundCall[]; next: string | null }> {
  const { key, column, descending } = sortOf(f.sort);
  const order = descending ? desc : asc;
  const rows = await db
    .select({
      id: call.id,
      batchId: call.batchId,
      audioName: call.audioName,
      processId: call.processId,
      status: call.status,
      lang: call.lang,
      category: analysis.category,
      subCategory: analysis.subCategory,
      score: call.auditScore,
      agentId: call.agentId,
      team: call.team,
      direction: call.direction,
      callStartedAt: call.callStartedAt,
      createdAt: call.createdAt,
      reviewedCall: callReview.callId,
    })
    .from(call)
    .leftJoin(analysis, eq(analysis.callId, call.id))
    .leftJoin(callReview, eq(callReview.callId, call.id))
    .where(whereOf(f, cursor))
    .orderBy(...(key === 'id' ? [order(call.id)] : [order(column), order(call.id)]))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const calls = page.map((r) => ({
    call_id: r.id,
    batch_id: r.batchId,
    audio_name: r.audioName,
    process_id: r.processId,
    status: r.status,
    language: r.lang,
    category: r.category,
    sub_category: r.subCategory,
    score: r.score,
    agent_id: r.agentId,
    team: r.team,
    direction: r.direction,
    call_started_at: r.callStartedAt?.toISOString() ?? null,
    created_at: r.createdAt.toISOString(),
    reviewed: r.reviewedCall !== null,
  }));
  const last = calls.at(-1);
  const next =
    rows.length > limit && last
      ? encodeCursor({ s: f.sort, v: sortValue(key, last), id: last.call_id })
      : null;
  return { calls, next };
}

function sortValue(key: SortKey, c: FoundCall): string | number | null {
  if (key === 'created_at') return c.created_at;
  if (key === 'started_at') return c.call_started_at;
  if (key === 'score') return c.score;
  return c.call_id;
}

export type FoundAnswer = {
  call_id: number;
  question_id: number;
  question_code: string;
  question_position: number;
  answer: string;
  points: number;
  max_points: number;
};

/** The answers of some calls, by call and then question position (evidence is left out: it quotes the call). */
export async function answersOf(db: Db, callIds: number[]): Promise<Map<number, FoundAnswer[]>> {
  const byCall = new Map<number, FoundAnswer[]>();
  if (callIds.length === 0) return byCall;
  const rows = await db
    .select({
      callId: auditAnswer.callId,
      questionId: auditAnswer.questionId,
      code: auditQuestion.code,
      position: auditQuestion.position,
      answer: auditAnswer.answer,
      score: auditAnswer.score,
      maxScore: auditAnswer.maxScore,
    })
    .from(auditAnswer)
    .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
    .where(inArray(auditAnswer.callId, callIds))
    .orderBy(asc(auditAnswer.callId), asc(auditQuestion.position), asc(auditAnswer.questionId));
  for (const r of rows) {
    const list = byCall.get(r.callId) ?? [];
    list.push({
      call_id: r.callId,
      question_id: r.questionId,
      question_code: r.code,
      question_position: r.position,
      answer: r.answer,
      points: r.score,
      max_points: r.maxScore,
    });
    byCall.set(r.callId, list);
  }
  return byCall;
}
