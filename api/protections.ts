// Protective middleware: secure headers, CORS only when CORS_ORIGINS is set, and for everything but the
// streamed upload a JSON body read with a size and a time limit, then a time limit on the answer.
import type { Context, MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../core/config.js';
import { ApiError } from './errors.js';

/** Routes that stream a large body and enforce their own limits while reading it. */
const STREAMED_UPLOADS = new Set(['/audit/upload']);
const isUpload = (method: string, path: string) => method === 'POST' && STREAMED_UPLOADS.has(path);

/** The dashboard and docs load only their own scripts, styles and media: no inline script, no CDN. */
export const pageHeaders = () =>
  secureHeaders({
    contentSecurityPolicy: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      mediaSrc: ["'self'"],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
    referrerPolicy: 'same-origin',
  });

export function corsFor(config: Pick<Config, 'CORS_ORIGINS'>): MiddlewareHandler | null {
  if (config.CORS_ORIGINS.length === 0) return null;
  return cors({
    origin: config.CORS_ORIGINS,
    allowMethods: ['GET', 'HEAD', 'POST', 'OPTIONS'],
    allowHeaders: ['Authorization', 'Content-Type', 'Range'],
    exposeHeaders: ['Content-Range', 'Accept-Ranges', 'Content-Length', 'X-Request-Id'],
    maxAge: 600,
  });
}

const DEADLINE = 'cofi.deadline';

/** When a request's answer is due (REQUEST_TIMEOUT_MS after it arrived); set for every request. */
export function deadlineOf(c: Context): number {
  return (c.get(DEADLINE as never) as number | undefined) ?? Date.now() + 30_000;
}

/**
 * A read that takes longer than `ms` gets 504 `{detail}`. A request that changes something is not cut off: it
 * gets its deadline instead and answers 504 only before its point of no return (having changed nothing), so a
 * 504 never hides a batch that was started anyway. The upload is exempt: its size sets its time.
 */
export function requestTimeout(ms: number): MiddlewareHandler {
  return async (c, next) => {
    c.set(DEADLINE as never, (Date.now() + ms) as never);
    if (isUpload(c.req.method, c.req.path)) return next();
    if (c.req.method !== 'GET' && c.req.method !== 'HEAD') return next();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ApiError('timeout', `no answer within ${ms} ms`)), ms);
    });
    try {
      await Promise.race([next(), expired]);
    } finally {
      clearTimeout(timer);
    }
  };
}

/**
 * Bodies of non-upload requests are JSON and small, so they are read here, before any handler: one larger than
 * `maxBytes` is refused with 413 and one that has not fully arrived within `ms` with 408, both while reading.
 */
export function jsonBody(maxBytes: number, ms: number): MiddlewareHandler {
  const tooLarge = () =>
    new ApiError('payload_too_large', `the request body is larger than ${maxBytes} bytes`);
  return async (c, next) => {
    const body = c.req.raw.body;
    if (!body || c.req.method === 'GET' || c.req.method === 'HEAD' || isUpload(c.req.method, c.req.path))
      return next();
    if (Number(c.req.header('content-length') ?? 0) > maxBytes) throw tooLarge();
    const reader = body.getReader();
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new ApiError('request_timeout', `the request body did not arrive within ${ms} ms`)),
        ms,
      );
    });
    const chunks: Uint8Array[] = [];
    let size = 0;
    try {
      for (;;) {
        const { done, value } = await Promise.race([reader.read(), expired]);
        if (done) break;
        size += value.byteLength;
        if (size > maxBytes) throw tooLarge();
        chunks.push(value);
      }
    } finally {
      clearTimeout(timer);
    }
    c.req.raw = new Request(c.req.raw, { body: Buffer.concat(chunks) });
    return next();
  };
}
