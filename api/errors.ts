// One error type for the API and the one handler that turns it into `{detail, code}` with its status.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { Refusal } from '../lifecycle/admission.js';

export const ERROR_STATUS = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  method_not_allowed: 405,
  validation_error: 422,
  unavailable: 503,
  timeout: 504,
} as const satisfies Record<string, ContentfulStatusCode>;
export type ErrorCode = keyof typeof ERROR_STATUS;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

/** A client's value quoted for a `detail`: long ones are cut, so an answer never echoes a whole payload. */
export function quoted(value: string, max = 100): string {
  if (value.length <= max) return JSON.stringify(value);
  return `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
}

export const badRequest = (detail: string, extra?: Record<string, unknown>) =>
  new ApiError('bad_request', detail, extra);

/** What the validators of Hono and zod-openapi say, in the words the rest of the API uses. */
const FRAMEWORK_DETAIL: Record<string, string> = {
  'Unsupported Media Type': 'unsupported content type: expected an application/json body',
  'Malformed JSON in request body': 'the body is not valid JSON',
};

export function errorResponse(c: Context, err: Error) {
  if (err instanceof ApiError || err instanceof Refusal) {
    return c.json({ detail: err.detail, code: err.code, ...err.extra }, ERROR_STATUS[err.code]);
  }
  // Hono's own HTTP errors (e.g. bodyLimit, the body validators) carry a status.
  const status = (err as { status?: number }).status;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = (Object.keys(ERROR_STATUS) as ErrorCode[]).find((k) => ERROR_STATUS[k] === status);
    return c.json(
      {
        detail: FRAMEWORK_DETAIL[err.message] ?? (err.message || 'bad request'),
        code: code ?? 'bad_request',
      },
      status as ContentfulStatusCode,
    );
  }
  console.error('unhandled API error', err);
  return c.json({ detail: 'internal error', code: 'internal' }, 500);
}

/** An error's message with its causes (Temporal's client errors keep the reason in `cause`). */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  for (
    let e = err as { message?: string; cause?: unknown } | undefined;
    e && parts.length < 4;
    e = e.cause as typeof e
  ) {
    if (e.message && !parts.includes(e.message)) parts.push(e.message);
  }
  return parts.join(': ') || String(err);
}
