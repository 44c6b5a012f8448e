// HTTP helpers for tests that drive the API through `app.request()` (no network). Requests the API should
// answer go through the typed client (api/client.ts), so a renamed route or field fails the typecheck; the raw
// helpers are for what the typed client cannot send: malformed bodies, unknown fields, wrong methods.
import type { Hono } from 'hono';
import type { ClientResponse } from 'hono/client';
import { type ApiClient, appClient } from '../../api/client.js';

export type UploadFile = { name: string; bytes: Uint8Array; type?: string };

const clients = new WeakMap<object, ApiClient>();
/** The typed client of this app (one per app). */
export function api(app: Hono): ApiClient {
  const known = clients.get(app);
  if (known) return known;
  const client = appClient(app);
  clients.set(app, client);
  return client;
}

/** Any answer with its status; the body is the route's success body (an error's holds only `detail`, `code`). */
export type Reply<T> = { status: number; body: T & { detail?: string; code?: string } };

export async function reply<R extends ClientResponse<unknown>>(
  pending: R | Promise<R>,
): Promise<Reply<SuccessBody<R>>> {
  const res = await pending;
  return { status: res.status, body: (await res.json()) as Reply<SuccessBody<R>>['body'] };
}
type SuccessBody<R> =
  R extends ClientResponse<infer T, infer S, 'json'> ? (S extends 200 | 201 | 202 ? T : never) : never;

export function auditForm(
  files: UploadFile[],
  fields: Record<string, string | string[]> = { process_id: '1' },
): FormData {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.bytes], { type: f.type ?? 'audio/wav' }), f.name);
  for (const [k, v] of Object.entries(fields)) for (const value of [v].flat()) form.append(k, value);
  return form;
}

/** POST /audit/upload with a form as built (the tests' forms may hold what the typed form type refuses). */
export function uploadAudit(app: Hono, form: FormData) {
  return reply(api(app).audit.upload.$post({ form: {} as never }, { init: { body: form } }));
}

/** POST /reaudit, typed. */
export function postReaudit(app: Hono, body: Parameters<ApiClient['reaudit']['$post']>[0]['json']) {
  return reply(api(app).reaudit.$post({ json: body }));
}

/** POST /batches (the daily batch of a date), typed. */
export function postDay(app: Hono, body: Parameters<ApiClient['batches']['$post']>[0]['json']) {
  return reply(api(app).batches.$post({ json: body }));
}

type Answer<F extends (...args: never[]) => unknown> = SuccessBody<Awaited<ReturnType<F>>>;
type AuditStatus = Answer<ApiClient['audit']['status'][':task_id']['$get']>;
type ReauditStatus = Answer<ApiClient['reaudit']['status'][':task_id']['$get']>;
/** Any batch's status: a reaudit's adds what it asked for and what its cleanup deleted. */
export type BatchStatus = AuditStatus & Partial<Omit<ReauditStatus, keyof AuditStatus>>;

/** The status of a batch by task id, from the route of its kind (`audit-…`, `reaudit-…`, `daily-…`). */
export function statusOf(app: Hono, taskId: string): Promise<Reply<BatchStatus>> {
  const param = { param: { task_id: taskId } };
  const client = api(app);
  if (taskId.startsWith('reaudit-')) return reply(client.reaudit.status[':task_id'].$get(param));
  if (taskId.startsWith('daily-')) return reply(client.daily.status[':task_id'].$get(param));
  return reply(client.audit.status[':task_id'].$get(param));
}

export async function postForm(app: Hono, url: string, form: FormData) {
  const res = await app.request(url, { method: 'POST', body: form });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function postJson(app: Hono, url: string, body: unknown) {
  const res = await app.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

export async function getJson(app: Hono, url: string) {
  const res = await app.request(url);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { status?: string } };
}

const TERMINAL = ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'];

/** Polls a batch's status by task id until it is finished; returns every answer seen (for progress checks). */
export async function waitForBatch(app: Hono, taskId: string, timeoutMs = 120_000) {
  const seen: Reply<BatchStatus>['body'][] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await statusOf(app, taskId);
    if (status !== 200) throw new Error(`status of ${taskId} answered ${status}: ${JSON.stringify(body)}`);
    seen.push(body);
    if (TERMINAL.includes(String(body.status))) return { final: body, seen };
    if (Date.now() > deadline)
      throw new Error(`batch not finished after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
