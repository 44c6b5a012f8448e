// Hostile-input checks: a refusal is a 4xx with a non-empty `detail`, and a refused request leaves no row,
// no audio file and no workflow behind; plus a real HTTP server and raw sockets for what app.request() cannot send.
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { WorkflowNotFoundError } from '@temporalio/client';
import { count, inArray, like, or, type SQL, sql } from 'drizzle-orm';
import type { MySqlColumn, MySqlTable } from 'drizzle-orm/mysql-core';
import type { Hono } from 'hono';
import { startServer } from '../../api/server.js';
import {
  analysis,
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  call,
  callLock,
  fileDistribution,
  lidResult,
  processingLogs,
  reauditCall,
  transcript,
} from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import type { Stack } from './stack.js';

/** Every file and folder under `dir` (the audio store's own `staging` folder excepted when given). */
export async function filesUnder(dir: string, options: { dirs?: boolean } = {}): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() || (options.dirs && e.isDirectory()))
    .map((e) => path.join(e.parentPath, e.name))
    .sort();
}

export type Answer = { status: number; body: Record<string, unknown> };

/** Status and JSON body of an answer; a body that is not JSON is kept as `{ text }` so the check names it. */
export async function answerOf(res: Response): Promise<Answer> {
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status: res.status, body: { text: text.slice(0, 200) } };
  }
}

/** A 4xx (one of `expected` when given) whose JSON body has a non-empty string `detail`. */
export function assertRefused(what: string, answer: Answer, expected?: number | readonly number[]) {
  const shown = `${what}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 300)}`;
  assert.ok(answer.status >= 400 && answer.status < 500, shown);
  if (expected !== undefined) assert.ok([expected].flat().includes(answer.status), shown);
  assert.equal(typeof answer.body.detail, 'string', shown);
  assert.ok(String(answer.body.detail).trim().length > 0, shown);
}

/** What a file's requests could touch: its stack, and the rows it seeded (other test files may share the database). */
export type Watch = { stack: Stack; batchIds: number[]; callIds: number[] };

const anyOf = (conditions: (SQL | undefined)[]) => or(...conditions.filter(Boolean)) ?? sql`false`;
const within = <T extends MySqlColumn>(column: T, values: (string | number)[]) =>
  values.length ? inArray(column, values) : undefined;

/**
 * What a request could leave behind, as flat keys: the batches of this stack's workflows (their workflow ids
 * carry its task-queue prefix) and the seeded ones, their calls, every row hanging off either, every file and
 * folder in the stack's audio store (staging included) and the workflows of the prefix.
 */
export async function residue({ stack, batchIds, callIds }: Watch): Promise<Residue> {
  const db = stack.db;
  const prefix = stack.config.COFI_TASK_QUEUE;
  const state: Residue = {};
  const batches = await db
    .select({ id: batchStatus.id, status: batchStatus.status, updated: batchStatus.updatedAt })
    .from(batchStatus)
    .where(anyOf([like(batchStatus.workflowId, `${prefix}/%`), within(batchStatus.id, batchIds)]));
  for (const b of batches) state[`batch ${b.id}`] = `${b.status} ${b.updated.toISOString()}`;
  const B = batches.map((b) => b.id);
  const calls = await db
    .select({ id: call.id, status: call.status, updated: call.updatedAt })
    .from(call)
    .where(anyOf([within(call.batchId, B), within(call.id, callIds)]));
  for (const c of calls) state[`call ${c.id}`] = `${c.status} ${c.updated.toISOString()}`;
  const C = [...new Set([...calls.map((c) => c.id), ...callIds])];
  const counted: [string, MySqlTable, SQL][] = [
    ['callLock', callLock, anyOf([within(callLock.callId, C), within(callLock.batchId, B)])],
    ['reauditCall', reauditCall, anyOf([within(reauditCall.callId, C), within(reauditCall.batchId, B)])],
    [
      'fileDistribution',
      fileDistribution,
      anyOf([within(fileDistribution.callId, C), within(fileDistribution.batchId, B)]),
    ],
    ['batchExecutionLog', batchExecutionLog, anyOf([within(batchExecutionLog.batchId, B)])],
    ['processingLogs', processingLogs, anyOf([within(processingLogs.batchId, B.map(String))])],
    ['lidResult', lidResult, anyOf([within(lidResult.callId, C)])],
    ['transcript', transcript, anyOf([within(transcript.callId, C)])],
    ['analysis', analysis, anyOf([within(analysis.callId, C)])],
    ['auditAnswer', auditAnswer, anyOf([within(auditAnswer.callId, C)])],
  ];
  for (const [name, table, where] of counted) {
    const [row] = await db.select({ n: count() }).from(table).where(where);
    state[`rows ${name}`] = row!.n;
  }
  const staging = path.join(stack.audio.root, 'staging');
  for (const f of await filesUnder(stack.audio.root, { dirs: true }))
    if (f !== staging) state[`file ${f}`] = 1;
  state.workflows = (await stack.client.workflow.count(`WorkflowId STARTS_WITH "${prefix}/"`)).count;
  try {
    const description = await stack.client.workflow.getHandle(workflowIds.auditUpload(prefix)).describe();
    state['upload workflow'] = description.status.name;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    state['upload workflow'] = 'none';
  }
  return state;
}
export type Residue = Record<string, string | number>;

/** The keys whose value differs, as `key: before -> now`. */
export function changes(before: Residue, now: Residue): string[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(now)])].sort();
  return keys.filter((k) => before[k] !== now[k]).map((k) => `${k}: ${before[k] ?? '-'} -> ${now[k] ?? '-'}`);
}

/** Waits (bounded) for the state to equal `before`: a refused upload may still be removing its staging folder. */
export async function assertNothingLeft(watch: Watch, before: Residue, what: string, withinMs = 2000) {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const left = changes(before, await residue(watch));
    if (left.length === 0) return;
    if (Date.now() > deadline) assert.fail(`${what}: left behind\n  ${left.slice(0, 20).join('\n  ')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The app on a loopback port, served as api/main.ts serves it. */
export async function listen(app: Hono): Promise<{ port: number; url: string; close(): Promise<void> }> {
  const server = await startServer(app, { hostname: '127.0.0.1', port: 0 });
  const { port } = server;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type RawExchange = {
  /** The answer, when one arrived. */
  answer: Answer | null;
  /** Whether the server closed the connection (within the wait, or at most 5 s after answering). */
  closed: boolean;
};

/**
 * Sends `chunks` on a raw socket (a number is a pause in ms, 'destroy' aborts) and reads what comes back for at
 * most `waitMs`, never finishing a body the server is waiting for. Once an answer has arrived it waits at most
 * 5 s more for the server to close the connection.
 */
export async function rawExchange(
  port: number,
  chunks: (string | Uint8Array | number | 'destroy')[],
  waitMs: number,
): Promise<RawExchange> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const received: Buffer[] = [];
  let closed = false;
  let answered: () => void = () => {};
  const answer = new Promise<void>((resolve) => {
    answered = resolve;
  });
  socket.on('error', () => {});
  socket.on('data', (d: Buffer) => {
    received.push(d);
    if (parseAnswer(Buffer.concat(received))) answered();
  });
  const closing = new Promise<void>((resolve) =>
    socket.once('close', () => {
      closed = true;
      resolve();
    }),
  );
  for (const chunk of chunks) {
    if (closed) break;
    if (typeof chunk === 'number') await new Promise((r) => setTimeout(r, chunk));
    else if (chunk === 'destroy') socket.destroy();
    else socket.write(chunk);
  }
  const timers: NodeJS.Timeout[] = [];
  const after = (ms: number) => new Promise<void>((r) => timers.push(setTimeout(r, ms)));
  await Promise.race([closing, after(waitMs), answer.then(() => Promise.race([closing, after(5000)]))]);
  for (const t of timers) clearTimeout(t);
  socket.destroy();
  return { answer: parseAnswer(Buffer.concat(received)), closed };
}

/** An HTTP/1.1 answer with a Content-Length or chunked body, once it has fully arrived. */
function parseAnswer(raw: Buffer): Answer | null {
  const end = raw.indexOf('\r\n\r\n');
  if (end < 0) return null;
  const head = raw.subarray(0, end).toString('latin1');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1]);
  let body = raw.subarray(end + 4);
  const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
  if (length !== undefined) {
    if (body.length < Number(length)) return null;
    body = body.subarray(0, Number(length));
  } else if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const line = body.indexOf('\r\n', at);
      if (line < 0) return null;
      const size = Number.parseInt(body.subarray(at, line).toString('latin1'), 16);
      if (size === 0) break;
      if (body.length < line + 2 + size) return null;
      parts.push(body.subarray(line + 2, line + 2 + size));
      at = line + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  const text = body.toString('utf8');
  try {
    return { status, body: JSON.parse(text) as Record<string, unknown> };
  } catch {
    return { status, body: { text: text.slice(0, 200) } };
  }
}

export type Part = {
  field: string;
  /** Raw bytes are sent as they are (for names that are not UTF-8). */
  filename?: string | Uint8Array;
  /** Sent as `filename*=` (RFC 5987, e.g. `UTF-8''call%00.wav`): decoded by the parser, not by the header. */
  filenameStar?: string;
  type?: string;
  body: string | Uint8Array;
};

export const BOUNDARY = 'hostile-7f3a9c';

/** A multipart/form-data body written byte by byte, so names and framing can be anything. */
export function multipart(parts: Part[], boundary = BOUNDARY): Buffer {
  const chunks: Buffer[] = [];
  for (const p of parts) {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${p.field}"`));
    if (p.filename !== undefined) {
      chunks.push(Buffer.from('; filename="'), Buffer.from(p.filename), Buffer.from('"'));
    }
    if (p.filenameStar !== undefined) chunks.push(Buffer.from(`; filename*=${p.filenameStar}`));
    const isFile = p.filename !== undefined || p.filenameStar !== undefined;
    chunks.push(Buffer.from(`\r\nContent-Type: ${p.type ?? (isFile ? 'audio/wav' : 'text/plain')}\r\n\r\n`));
    chunks.push(Buffer.from(p.body), Buffer.from('\r\n'));
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return Buffer.concat(chunks);
}

export const multipartType = (boundary = BOUNDARY) => `multipart/form-data; boundary=${boundary}`;
