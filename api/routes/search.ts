// GET /calls/search (calls across batches by filters, keyset-paged) and GET /calls/export.csv (the same filters,
// every matching call or answer as CSV, streamed a page at a time so memory stays bounded however many rows).
// Registered before /calls/{id}, which would otherwise take `search` and `export.csv` for an id.
import { createRoute, z } from '@hono/zod-openapi';
import { CALL_DIRECTIONS } from '../../core/stages.js';
import type { Db } from '../../drizzle/client.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, json, limitQuery } from '../openapi.js';
import {
  answersOf,
  type Cursor,
  checkRanges,
  decodeCursor,
  type FoundAnswer,
  type FoundCall,
  filterFields,
  SEARCH_STATUSES,
  type SearchFilters,
  searchCalls,
} from '../queries/search.js';

const tags = ['search'];
export const MAX_PAGE = 200;
/** Calls read from the database per step of an export. */
export const EXPORT_PAGE = 1000;

const cursorField = z
  .string()
  .max(512, 'cursor is not valid')
  .optional()
  .openapi({ description: 'the `next_cursor` of the previous page (only with the same sort)' });

export const searchQuery = z
  .object({ ...filterFields, limit: limitQuery(50, MAX_PAGE), cursor: cursorField })
  .superRefine(checkRanges);

export const EXPORT_ROWS = ['calls', 'answers'] as const;
export const exportQuery = z
  .object({
    ...filterFields,
    rows: z
      .enum(EXPORT_ROWS, { message: 'rows must be calls or answers' })
      .default('calls')
      .openapi({ description: '`calls`: one line per call; `answers`: one line per questionnaire answer' }),
  })
  .superRefine(checkRanges);

const foundCallSchema = z
  .object({
    call_id: z.number().int(),
    batch_id: z.number().int(),
    audio_name: z.string(),
    process_id: z.number().int(),
    status: z.enum(SEARCH_STATUSES as [string, ...string[]]),
    language: z.string().nullable(),
    category: z.string().nullable(),
    sub_category: z.string().nullable(),
    score: z.number().nullable().openapi({ description: 'weighted questionnaire score, 0..100' }),
    agent_id: z.string().nullable(),
    team: z.string().nullable(),
    direction: z.enum(CALL_DIRECTIONS).nullable(),
    call_started_at: z.string().nullable().openapi({ format: 'date-time' }),
    created_at: z.string().openapi({ format: 'date-time' }),
    reviewed: z.boolean().openapi({ description: 'a reviewer has looked at the call' }),
  })
  .openapi('FoundCall');

const search = createRoute({
  method: 'get',
  path: '/calls/search',
  tags,
  summary:
    'Calls across batches by received or start date, process, category, language, score, agent, team, direction, status and words in the transcript; keyset pages in a chosen order. Erased calls are never found',
  request: { query: searchQuery },
  responses: {
    200: json(
      z.object({
        calls: z.array(foundCallSchema),
        next_cursor: z
          .string()
          .nullable()
          .openapi({ description: 'pass as `cursor` for the next page; null on the last' }),
        words: z
          .array(z.string())
          .openapi({ description: 'the words of `q` searched for (empty without `q`)' }),
      }),
      'a page of matching calls, no transcript text',
    ),
    ...errorResponses(),
  },
});

const exportCsv = createRoute({
  method: 'get',
  path: '/calls/export.csv',
  tags,
  summary:
    "Every call (rows=calls) or answer (rows=answers) a search with the same filters finds, as CSV in the search's order; streamed",
  request: { query: exportQuery },
  responses: {
    200: {
      description:
        'RFC 4180 CSV with a header line, UTF-8, CRLF line ends; a text field starting with = + - or @ gets a leading apostrophe (spreadsheets would run it as a formula)',
      content: { 'text/csv': { schema: z.string() } },
    },
    ...errorResponses(),
  },
});

/** One CSV field: quoted when it holds a quote, comma or line break; a would-be formula is defused. */
export function csvField(value: string | number | boolean | null | undefined): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') return String(value);
  const text = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvLine = (fields: (string | number | boolean | null | undefined)[]) =>
  `${fields.map(csvField).join(',')}\r\n`;

const CALL_COLUMNS = [
  'call_id',
  'batch_id',
  'audio_name',
  'process_id',
  'status',
  'language',
  'category',
  'sub_category',
  'score',
  'agent_id',
  'team',
  'direction',
  'call_started_at',
  'created_at',
  'reviewed',
] as const satisfies readonly (keyof FoundCall)[];

const ANSWER_COLUMNS = [
  'question_id',
  'question_code',
  'question_position',
  'answer',
  'points',
  'max_points',
] as const satisfies readonly (keyof FoundAnswer)[];
/** An answer line carries its call's identity and metadata, so a spreadsheet can group it without a join. */
const ANSWER_CALL_COLUMNS = [
  'call_id',
  'batch_id',
  'audio_name',
  'process_id',
  'agent_id',
  'team',
  'call_started_at',
  'score',
] as const satisfies readonly (keyof FoundCall)[];

export const csvHeader = (rows: (typeof EXPORT_ROWS)[number]) =>
  csvLine(
    rows === 'calls'
      ? [...CALL_COLUMNS]
      : [...ANSWER_CALL_COLUMNS.map((c) => (c === 'score' ? 'call_score' : c)), ...ANSWER_COLUMNS],
  );

/** A request's cursor for the filters' sort; a bad one is a 422 naming it. */
export function cursorOf(f: SearchFilters, text: string | undefined) {
  if (text === undefined) return undefined;
  const cursor = decodeCursor(text, f.sort);
  if (typeof cursor === 'string') throw new ApiError('validation_error', `query parameter cursor: ${cursor}`);
  return cursor;
}

/** The export's text, a header and then one piece per keyset page of calls (with their answers for rows=answers). */
export async function* exportText(
  db: Db,
  f: SearchFilters,
  rows: (typeof EXPORT_ROWS)[number],
): AsyncGenerator<string> {
  yield csvHeader(rows);
  let cursor: Cursor | undefined;
  for (;;) {
    const page = await searchCalls(db, f, EXPORT_PAGE, cursor);
    let text = '';
    if (rows === 'calls') {
      for (const c of page.calls) text += csvLine(CALL_COLUMNS.map((k) => c[k]));
    } else {
      const answers = await answersOf(
        db,
        page.calls.map((c) => c.call_id),
      );
      for (const c of page.calls) {
        const head = ANSWER_CALL_COLUMNS.map((k) => c[k]);
        for (const a of answers.get(c.call_id) ?? [])
          text += csvLine([...head, ...ANSWER_COLUMNS.map((k) => a[k])]);
      }
    }
    if (text) yield text;
    const next = page.next ? decodeCursor(page.next, f.sort) : null;
    if (!next || typeof next === 'string') return;
    cursor = next;
  }
}

/**
 * The export as a pull stream: a page is read only when the client has taken the previous one, so at most a page
 * is in memory however many rows match, and a slow client slows the reads. A client that goes away cancels it
 * between pages.
 */
export function exportStream(
  db: Db,
  f: SearchFilters,
  rows: (typeof EXPORT_ROWS)[number],
  onError: (err: unknown) => void,
): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  const text = exportText(db, f, rows);
  let pending: Promise<unknown> | undefined;
  let cancelled = false;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const step = text.next();
        pending = step;
        try {
          const { done, value } = await step;
          if (cancelled) return;
          if (done) controller.close();
          else controller.enqueue(encoder.encode(value));
        } catch (err) {
          if (cancelled) return;
          // The status line has gone out: the client sees the body end early (without its last line break).
          onError(err);
          controller.error(err);
        }
      },
      async cancel() {
        cancelled = true;
        await pending?.catch(() => undefined);
        await text.return(undefined);
      },
    },
    { highWaterMark: 1 },
  );
}

export function searchRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(search, async (c) => {
      const { limit, cursor, ...filters } = c.req.valid('query');
      const page = await searchCalls(db, filters, limit, cursorOf(filters, cursor));
      return c.json({ calls: page.calls, next_cursor: page.next, words: filters.q ?? [] }, 200);
    })
    .openapi(exportCsv, async (c) => {
      const { rows, ...filters } = c.req.valid('query');
      const day = new Date().toISOString().slice(0, 10);
      const stream = exportStream(db, filters, rows, (err) =>
        deps.logger
          ? deps.logger.error({ err }, 'CSV export failed mid-stream')
          : console.error('[cofi] CSV export failed mid-stream', err),
      );
      return c.body(stream, 200, {
        'content-type': 'text/csv; charset=utf-8',
        'content-disposition': `attachment; filename="cofi-${rows}-${day}.csv"`,
        'cache-control': 'no-store',
      });
    });
}
