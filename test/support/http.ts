// HTTP helpers for tests that drive the API through `app.request()` (no network).
import type { Hono } from 'hono';

export type UploadFile = { name: string; bytes: Uint8Array; type?: string };

export function auditForm(
  files: UploadFile[],
  fields: Record<string, string | string[]> = { process_id: '1' },
): FormData {
  const form = new FormData();
  for (const f of files) form.append('files', new Blob([f.bytes], { type: f.type ?? 'audio/wav' }), f.name);
  for (const [k, v] of Object.entries(fields)) for (const value of [v].flat()) form.append(k, value);
  return form;
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

/** Polls a status URL until the batch is finished; returns every answer seen (for progress checks). */
export async function waitForBatch(app: Hono, statusUrl: string, timeoutMs = 120_000) {
  const seen: Record<string, unknown>[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await getJson(app, statusUrl);
    if (status !== 200) throw new Error(`${statusUrl} answered ${status}: ${JSON.stringify(body)}`);
    seen.push(body);
    if (TERMINAL.includes(String(body.status))) return { final: body, seen };
    if (Date.now() > deadline)
      throw new Error(`batch not finished after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
