// The benchmark's search part: N calls with transcripts, analyses, answers, reviews and metadata written straight
// into a database of their own with multi-row INSERTs, then a realistic mix of searches through the API (p50/p95
// per kind of query and over all) and CSV exports of every call, with the heap and RSS they took: an export of
// N rows that takes no more memory than one of N/10 is bounded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Client, Connection } from '@temporalio/client';
import type mysql from 'mysql2/promise';
import { createApp } from '../api/app.js';
import { createAudioStore } from '../core/audioStore.js';
import { loadConfig } from '../core/config.js';
import { prepareDatabase } from '../drizzle/migrate.js';

/** The issue's target for search on 100,000 calls. */
export const SEARCH_TARGET_P95_MS = 200;

export type SearchQueryFigures = {
  query: string;
  runs: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  meanRows: number;
};
export type ExportFigures = {
  /** What was exported: `calls of the first 10 %`, `every call`, `every answer`. */
  of: string;
  rows: number;
  seconds: number;
  rowsPerSecond: number;
  megabytes: number;
  heapGrowthMiB: number;
  retainedMiB: number;
  rssGrowthMiB: number;
};
export type SearchBenchResult = {
  calls: number;
  seedSeconds: number;
  rowsPerCall: Record<string, number>;
  searches: number;
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
  perQuery: SearchQueryFigures[];
  exports: ExportFigures[];
};

/** mulberry32: the same data every run. */
function random(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Spoken English's most frequent words come first, as in any transcript (Zipf): they take most of the text, so the
 * words a QA team searches for are in a realistic share of calls (a few percent to a third), not in nearly all.
 */
const FUNCTION = `the you and to i a it that is yes okay so for of we your can in on have be just this what
my me do with not no but all will at there are was right if they like um uh well get one know oh would
about then now can't don't it's that's i'm you're we'll let see go our from up out or how when time`
  .split(/\s+/)
  .filter(Boolean);
/** Words of a contact centre's calls, most frequent first; a long tail of made-up words follows them. */
const COMMON = `customer agent account please thank help order number payment invoice refund card address
delivery problem calling today speak check moment again service email contract phone internet bill charge
cancel change month price offer tariff confirm details name date birth postcode security question sorry
understand issue ticket technician appointment router connection signal password reset login parcel
return replacement warranty complaint manager transfer hold minute week credit debit bank transfer direct
discount upgrade renewal notice letter reference balance overdue reminder late fee waive escalate callback`
  .split(/\s+/)
  .filter(Boolean);
const SYLLABLES = [
  'ka',
  'lo',
  'mi',
  'ter',
  'sun',
  'bra',
  'vel',
  'dor',
  'pix',
  'nu',
  'qua',
  'ren',
  'sto',
  'fy',
];

function vocabulary(size: number): string[] {
  const words = [...new Set([...FUNCTION, ...COMMON].flatMap((w) => w.split("'")))];
  const rand = random(7);
  const seen = new Set(words);
  while (words.length < size) {
    const n = 2 + Math.floor(rand() * 3);
    let w = '';
    for (let i = 0; i < n; i++) w += SYLLABLES[Math.floor(rand() * SYLLABLES.length)];
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

/** Zipf-like sampling (s = 1): word i is drawn with weight 1/(i+1). */
function zipf(words: string[], rand: () => number) {
  const cdf: number[] = [];
  let sum = 0;
  for (let i = 0; i < words.length; i++) {
    sum += 1 / (i + 1);
    cdf.push(sum);
  }
  return () => {
    const x = rand() * sum;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((cdf[mid] ?? 0) < x) lo = mid + 1;
      else hi = mid;
    }
    return words[lo] ?? '';
  };
}

const CATEGORIES = ['billing', 'orders', 'technical_support', 'account', 'complaint', 'general_enquiry'];
const LANGS = ['en', 'en', 'en', 'de', 'de', 'fr', 'es'];
const QUESTIONS = [101, 102, 103, 104, 105, 106, 107, 108, 109];
export const AGENTS = 400;
export const TEAMS = 25;
const DAYS = 90;
const DAY_MS = 86_400_000;
/** The newest call's creation time: fixed, so query windows mean the same every run. */
export const NEWEST = Date.parse('2026-11-30T18:00:00Z');
const CHUNK = 2000;
/** Three processes: 60 %, 25 % and 15 % of the calls. */
const processOf = (r: number) => (r < 0.6 ? 1 : r < 0.85 ? 2 : 3);
const PER_BATCH = 1000;

async function insertRows(pool: mysql.Pool, table: string, columns: string[], rows: unknown[][]) {
  for (let i = 0; i < rows.length; i += CHUNK)
    await pool.query(`INSERT INTO \`${table}\` (${columns.map((c) => `\`${c}\``).join(',')}) VALUES ?`, [
      rows.slice(i, i + CHUNK),
    ]);
}

/** Writes n calls (ids 1..n) with everything search and export read; returns the seconds it took. */
export async function seedCalls(pool: mysql.Pool, n: number): Promise<number> {
  const started = Date.now();
  const rand = random(42);
  const word = zipf(vocabulary(3000), random(43));
  await pool.query(
    "INSERT IGNORE INTO process (id, name, description) VALUES (2, 'Outbound sales', 'bench'), (3, 'Collections', 'bench')",
  );
  const batches = Math.ceil(n / PER_BATCH);
  await insertRows(
    pool,
    'batchStatus',
    ['id', 'batchDate', 'kind', 'status', 'taskId', 'workflowId', 'stages', 'totalFiles', 'completedFiles'],
    Array.from({ length: batches }, (_, b) => [
      b + 1,
      new Date(NEWEST - (DAYS - (b * DAYS) / batches) * DAY_MS).toISOString().slice(0, 10),
      'daily',
      'Completed',
      `bench-search-${b + 1}`,
      `bench/search-${b + 1}`,
      JSON.stringify(['distribute', 'lid', 'stt', 'llm1', 'llm2']),
      PER_BATCH,
      PER_BATCH,
    ]),
  );
  for (let from = 1; from <= n; from += 10_000) {
    const ids = Array.from({ length: Math.min(10_000, n - from + 1) }, (_, i) => from + i);
    const calls: unknown[][] = [];
    const transcripts: unknown[][] = [];
    const analyses: unknown[][] = [];
    const answers: unknown[][] = [];
    const reviews: unknown[][] = [];
    for (const id of ids) {
      const failed = rand() < 0.03;
      const lang = LANGS[Math.floor(rand() * LANGS.length)] ?? 'en';
      const created = new Date(NEWEST - ((n - id) / n) * DAYS * DAY_MS);
      const startedAt = rand() < 0.8 ? new Date(created.getTime() - rand() * 6 * 3600_000) : null;
      let points = 0;
      let max = 0;
      const answerRows: unknown[][] = [];
      if (!failed)
        for (const q of QUESTIONS) {
          const weight = 5 + (q % 4) * 5;
          const r = rand();
          const answer = r < 0.72 ? 'yes' : r < 0.93 ? 'no' : 'n/a';
          if (answer !== 'n/a') {
            max += weight;
            if (answer === 'yes') points += weight;
          }
          answerRows.push([id, q, answer, answer === 'yes' ? weight : 0, answer === 'n/a' ? 0 : weight]);
        }
      answers.push(...answerRows);
      const agent = Math.floor(rand() * AGENTS);
      calls.push([
        id,
        Math.ceil(id / PER_BATCH),
        `call-${String(id).padStart(6, '0')}.wav`,
        `batch-${Math.ceil(id / PER_BATCH)}/${id}.wav`,
        processOf(rand()),
        failed ? 'Failed' : 'Completed',
        failed ? 'stt' : 'llm2',
        lang,
        60 + Math.floor(rand() * 540),
        failed || max === 0 ? null : Math.round((points / max) * 1000) / 10,
        `agent-${String(agent).padStart(3, '0')}`,
        `team-${String(agent % TEAMS).padStart(2, '0')}`,
        startedAt,
        rand() < 0.7 ? 'inbound' : 'outbound',
        created,
      ]);
      if (failed) continue;
      const words: string[] = [];
      const length = 60 + Math.floor(rand() * 80);
      for (let i = 0; i < length; i++) words.push(word());
      transcripts.push([id, lang, words.join(' '), '[]']);
      analyses.push([
        id,
        'The customer called about their account; the agent helped.',
        CATEGORIES[Math.floor(rand() * CATEGORIES.length)],
      ]);
      if (rand() < 0.02) reviews.push([id, 'bench-reviewer', created]);
    }
    await insertRows(
      pool,
      'call',
      [
        'id',
        'batchId',
        'audioName',
        'storedPath',
        'processId',
        'status',
        'stage',
        'lang',
        'audioDuration',
        'auditScore',
        'agentId',
        'team',
        'callStartedAt',
        'direction',
        'createdAt',
      ],
      calls,
    );
    await insertRows(pool, 'transcript', ['callId', 'lang', 'text', 'segments'], transcripts);
    await insertRows(pool, 'analysis', ['callId', 'summary', 'category'], analyses);
    await insertRows(pool, 'auditAnswer', ['callId', 'questionId', 'answer', 'score', 'maxScore'], answers);
    await insertRows(pool, 'callReview', ['callId', 'reviewedBy', 'reviewedAt'], reviews);
  }
  await pool.query('ANALYZE TABLE `call`, transcript, analysis, auditAnswer, callReview');
  return (Date.now() - started) / 1000;
}

const day = (daysBack: number) => new Date(NEWEST - daysBack * DAY_MS).toISOString().slice(0, 10);
const pad = (x: number, n: number) => String(x).padStart(n, '0');

/** The mix: what a QA team asks of a day's, a week's or a quarter's calls. Each kind runs `runs` times with varied values. */
export function queryMix(rand: () => number): { kind: string; url: (i: number) => string }[] {
  const agent = () => `agent-${pad(Math.floor(rand() * AGENTS), 3)}`;
  const team = () => `team-${pad(Math.floor(rand() * TEAMS), 2)}`;
  /** A window of `width` days ending some day of the quarter. */
  const days = (width: number, prefix = '') => {
    const end = Math.floor(rand() * 80);
    return `${prefix}from=${day(end + width)}&${prefix}to=${day(end)}`;
  };
  const cat = () => CATEGORIES[Math.floor(rand() * CATEGORIES.length)];
  return [
    { kind: 'newest, no filter', url: () => '/calls/search' },
    { kind: 'a week (received)', url: () => `/calls/search?${days(7)}` },
    { kind: 'an agent', url: () => `/calls/search?agent_id=${agent()}` },
    {
      kind: 'an agent, a month, lowest score first',
      url: () => `/calls/search?agent_id=${agent()}&from=${day(30)}&sort=score`,
    },
    { kind: 'a team, score under 50', url: () => `/calls/search?team=${team()}&score_max=50` },
    {
      kind: 'process and category',
      url: () => `/calls/search?process_id=${1 + Math.floor(rand() * 3)}&category=${cat()}`,
    },
    { kind: 'language, failed', url: () => `/calls/search?language=fr&status=Failed` },
    { kind: 'lowest scores of all', url: () => '/calls/search?sort=score&score_min=0' },
    { kind: 'reviewed', url: () => '/calls/search?reviewed=true' },
    {
      kind: 'not reviewed, a team, a week',
      url: () => `/calls/search?reviewed=false&team=${team()}&${days(7)}`,
    },
    {
      kind: 'call start range, by start',
      url: () => `/calls/search?${days(2, 'started_')}&sort=-started_at`,
    },
    { kind: 'a common word', url: () => '/calls/search?q=refund' },
    { kind: 'two words and a month', url: () => `/calls/search?q=cancel%20contract&from=${day(30)}` },
    {
      kind: 'a rare word',
      url: () => `/calls/search?q=${['kalomi', 'terbra', 'sunvel', 'dorpix'][Math.floor(rand() * 4)]}`,
    },
    { kind: 'a word and an agent', url: () => `/calls/search?q=invoice&agent_id=${agent()}` },
    { kind: 'score range, highest first', url: () => '/calls/search?score_min=40&score_max=60&sort=-score' },
  ];
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? 0;
const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

type App = ReturnType<typeof createApp>;

async function timeQueries(
  app: App,
  runs: number,
): Promise<{ all: number[]; perQuery: SearchQueryFigures[] }> {
  const rand = random(99);
  const mix = queryMix(rand);
  const all: number[] = [];
  const perQuery: SearchQueryFigures[] = [];
  // Warm-up: the first query of each kind pays for the buffer pool's cold pages, as a server that just started would.
  for (const q of mix) await (await app.request(q.url(0))).arrayBuffer();
  for (const q of mix) {
    const times: number[] = [];
    let rows = 0;
    for (let i = 0; i < runs; i++) {
      const url = q.url(i);
      // Every other run asks for the second page too, with the cursor of the first.
      const t0 = performance.now();
      const res = await app.request(url);
      const body = (await res.json()) as { calls: unknown[]; next_cursor: string | null; detail?: string };
      times.push(performance.now() - t0);
      if (res.status !== 200) throw new Error(`${url}: ${res.status} ${body.detail}`);
      rows += body.calls.length;
      if (i % 2 === 1 && body.next_cursor) {
        const t1 = performance.now();
        const next = await app.request(`${url}${url.includes('?') ? '&' : '?'}cursor=${body.next_cursor}`);
        await next.arrayBuffer();
        times.push(performance.now() - t1);
        if (next.status !== 200) throw new Error(`${url} page 2: ${next.status}`);
      }
    }
    all.push(...times);
    const sorted = [...times].sort((a, b) => a - b);
    perQuery.push({
      query: q.kind,
      runs: times.length,
      p50Ms: round(percentile(sorted, 0.5)),
      p95Ms: round(percentile(sorted, 0.95)),
      maxMs: round(sorted.at(-1) ?? 0),
      meanRows: round(rows / runs),
    });
  }
  return { all, perQuery };
}

/**
 * Reads a whole export, keeping only its size, while sampling the heap and RSS every 10 ms (`heapGrowthMiB`: garbage
 * included, as the process sees it) and, every 5 chunks (5,000 rows), the heap left after a full collection (`retainedMiB`:
 * what the export holds on to; flat from 10,000 to 100,000 rows means bounded).
 */
async function timeExport(app: App, of: string, url: string, gc: () => void): Promise<ExportFigures> {
  gc();
  const base = process.memoryUsage();
  let peakHeap = base.heapUsed;
  let peakRss = base.rss;
  let retained = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakRss = Math.max(peakRss, m.rss);
  }, 10);
  const t0 = performance.now();
  let collecting = 0;
  const res = await app.request(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  let bytes = 0;
  let lines = 0;
  let chunks = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const b of value) if (b === 10) lines++;
    if (++chunks % 5 === 0) {
      const c0 = performance.now();
      gc();
      retained = Math.max(retained, process.memoryUsage().heapUsed - base.heapUsed);
      collecting += performance.now() - c0;
    }
  }
  // The collections are the bench's, not the export's: their time is not counted.
  const seconds = (performance.now() - t0 - collecting) / 1000;
  clearInterval(sample);
  const m = process.memoryUsage();
  peakHeap = Math.max(peakHeap, m.heapUsed);
  peakRss = Math.max(peakRss, m.rss);
  const rows = lines - 1;
  return {
    of,
    rows,
    seconds: round(seconds, 2),
    rowsPerSecond: Math.round(rows / seconds),
    megabytes: round(bytes / 1e6),
    heapGrowthMiB: round((peakHeap - base.heapUsed) / 2 ** 20),
    retainedMiB: round(retained / 2 ** 20),
    rssGrowthMiB: round((peakRss - base.rss) / 2 ** 20),
  };
}

/** The bench's search part, on `databaseUrl`'s server in a database of its own (`<name>_search`). */
export async function runSearchBench(n: number, databaseUrl: string, runs = 30): Promise<SearchBenchResult> {
  const url = new URL(databaseUrl);
  url.pathname = `${url.pathname}_search`;
  const audioDir = mkdtempSync(path.join(tmpdir(), 'cofi-bench-search-'));
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    TEMPORAL_ADDRESS: '127.0.0.1:1',
    AUDIO_DIR: audioDir,
    LOG_LEVEL: 'warn',
  });
  const database = await prepareDatabase(config.DATABASE_URL);
  // Search and export never reach Temporal: a lazy connection that is never opened.
  const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
  const app = createApp({
    database,
    temporal,
    config,
    audio: createAudioStore(audioDir),
    probeAudio: async () => {
      throw new Error('no uploads in the search bench');
    },
  });
  try {
    const [[existing]] = (await database.pool.query('SELECT COUNT(*) n FROM `call`')) as unknown as [
      { n: number }[],
    ];
    const seedSeconds = Number(existing?.n) === n ? 0 : await seedCalls(database.pool, n);
    const rowsPerCall: Record<string, number> = {};
    for (const table of ['transcript', 'analysis', 'auditAnswer', 'callReview']) {
      const [[row]] = (await database.pool.query(`SELECT COUNT(*) n FROM \`${table}\``)) as unknown as [
        { n: number }[],
      ];
      rowsPerCall[table] = round(Number(row?.n) / n, 2);
    }
    console.log(`[bench] search: ${n} calls seeded in ${seedSeconds.toFixed(0)} s`, rowsPerCall);
    const { all, perQuery } = await timeQueries(app, runs);
    const sorted = [...all].sort((a, b) => a - b);
    for (const q of perQuery) console.log('[bench] search', q);
    setFlagsFromString('--expose_gc');
    const gc = runInNewContext('gc') as () => void;
    const exports = [
      await timeExport(app, 'calls of the first 10%', `/calls/export.csv?to=${day(DAYS * 0.9)}`, gc),
      await timeExport(app, 'every call', '/calls/export.csv', gc),
      await timeExport(app, 'every answer', '/calls/export.csv?rows=answers', gc),
    ];
    console.log('[bench] export', exports);
    return {
      calls: n,
      seedSeconds: round(seedSeconds, 0),
      rowsPerCall,
      searches: all.length,
      p50Ms: round(percentile(sorted, 0.5)),
      p95Ms: round(percentile(sorted, 0.95)),
      maxMs: round(sorted.at(-1) ?? 0),
      perQuery,
      exports,
    };
  } finally {
    await temporal.connection.close().catch(() => undefined);
    await database.close();
    rmSync(audioDir, { recursive: true, force: true });
  }
}
