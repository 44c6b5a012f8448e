// The one HTTP client of cofi's API: Hono's `hc` typed by the API's own routes (`ApiRoutes`), used by the CLI,
// the tests and the benchmark, so a renamed route, parameter or field fails the typecheck instead of a run.
import { type ClientResponse, DetailedError, hc, parseResponse } from 'hono/client';
import type { ApiRoutes } from './app.js';

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

export type ApiClientOptions = {
  /** A bearer key; none for an open API. */
  key?: string;
  /** Another transport, e.g. a Hono app's `request` for tests without a network. */
  fetch?: (input: string | URL | Request, init?: RequestInit) => Response | Promise<Response>;
};

export function createApiClient(baseUrl: string, { key, fetch = globalThis.fetch }: ApiClientOptions = {}) {
  const base = baseUrl.replace(/\/+$/, '');
  return hc<ApiRoutes>(base, {
    ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
    fetch: async (input: string | URL | Request, init?: RequestInit) => {
      try {
        return await fetch(input, init);
      } catch (err) {
        const cause = (err as { cause?: { code?: string; message?: string } }).cause;
        const why = cause?.code ?? cause?.message ?? (err as Error).message;
        throw new ApiFailure(0, `cannot reach the cofi API at ${base}: ${why}`);
      }
    },
  });
}
export type ApiClient = ReturnType<typeof createApiClient>;

/** A client over a Hono app's `request` (no network): what the tests drive `createApp(deps)` with. */
export function appClient(app: {
  request: (url: string, init?: RequestInit) => Response | Promise<Response>;
}) {
  return createApiClient('http://cofi.test', {
    fetch: (input, init) => app.request(input instanceof Request ? input.url : String(input), init),
  });
}

/**
 * The success body of an answer, typed by its route; any other answer throws ApiFailure with the API's `detail`
 * and `code` (a request that reached nobody threw ApiFailure with status 0 already).
 */
export async function answer<T extends ClientResponse<unknown>>(pending: T | Promise<T>) {
  const res = await pending;
  try {
    return await parseResponse(res);
  } catch (err) {
    if (!(err instanceof DetailedError)) throw err;
    const data = (err.detail as { data?: unknown } | undefined)?.data;
    const body = typeof data === 'object' && data ? (data as { detail?: string; code?: string }) : {};
    const text = typeof data === 'string' ? data.slice(0, 200) : '';
    throw new ApiFailure(res.status, body.detail ?? (text || res.statusText), body.code);
  }
}

/**
 * Recordings as upload parts. The route documents `files` as binary strings (OpenAPI's way); a File is what a
 * form part with a filename is, so this is the one place the two are said to be the same.
 */
export const fileParts = (files: File[]) => files as unknown as string[];
