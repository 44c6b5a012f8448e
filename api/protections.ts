// Protective middleware: secure headers, CORS only when CORS_ORIGINS is set, a time limit and a JSON
// body limit for everything but the streamed upload.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { secureHeaders } from 'hono/secure-headers';
import type { Config } from '../core/config.js';
import { ApiError, errorResponse } from './errors.js';

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

/** A request that takes longer than `ms` gets 504 `{detail}` (the upload is exempt: its size sets its time). */
export function requestTimeout(ms: number): MiddlewareHandler {
  return async (c, next) => {
    if (isUpload(c.req.method, c.req.path)) return next();
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

/** Bodies of non-upload requests are JSON and small: a larger one is refused with 413 while reading. */
export function jsonBodyLimit(maxBytes: number): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: (c) =>
      errorResponse(
        c,
        new ApiError('payload_too_large', `the request body is larger than ${maxBytes} bytes`),
      ),
  });
  return async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'HEAD' || isUpload(c.req.method, c.req.path))
      return next();
    return limit(c, next);
  };
}
