// The CLI's HTTP client: bearer key, JSON answers, `{detail}` errors, and uploads streamed from disk.
import { openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';

export class ApiFailure extends Error {
  override name = 'ApiFailure';
  constructor(
    readonly status: number,
    readonly detail: string,
    readonly code?: string,
  ) {
    super(status ? `${detail} (HTTP ${status})` : detail);
  }
}

export type Client = ReturnType<typeof createClient>;

export function createClient(baseUrl: string, key: string | undefined) {
  const base = baseUrl.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}) =>
    key ? { ...extra, authorization: `Bearer ${key}` } : extra;

  async function send<T>(
    method: string,
    url: string,
    init: { json?: unknown; form?: FormData } = {},
  ): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${base}${url}`, {
        method,
        headers: headers(init.json === undefined ? {} : { 'content-type': 'application/json' }),
        body: init.form ?? (init.json === undefined ? undefined : JSON.stringify(init.json)),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string; message?: string } }).cause;
      throw new ApiFailure(
        0,
        `cannot reach the cofi API at ${base}: ${cause?.code ?? cause?.message ?? (err as Error).message}`,
      );
    }
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: keep the text for the error message
    }
    if (!res.ok) {
      const b = body as { detail?: string; code?: string } | null;
      throw new ApiFailure(res.status, b?.detail ?? (text.slice(0, 200) || res.statusText), b?.code);
    }
    return body as T;
  }

  return {
    base,
    get: <T>(url: string) => send<T>('GET', url),
    post: <T>(url: string, json?: unknown) => send<T>('POST', url, { json }),
    /** Files are read from disk as the request is sent (Blob from fs.openAsBlob), never held in memory. */
    async upload<T>(url: string, files: string[], fields: Record<string, string | undefined>): Promise<T> {
      const form = new FormData();
      for (const file of files) {
        const info = await stat(file).catch(() => null);
        if (!info?.isFile()) throw new ApiFailure(0, `not a file: ${file}`);
        form.append('files', await openAsBlob(file), path.basename(file));
      }
      for (const [name, value] of Object.entries(fields)) if (value !== undefined) form.append(name, value);
      return send<T>('POST', url, { form });
    },
  };
}
