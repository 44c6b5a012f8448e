// The OpenAPI side of route modules: a router whose zod validation failures become `{detail, code}`,
// and the schemas every documented route shares (ids, cursors, the error body).
import { type OpenAPIHono as App, OpenAPIHono, type RouteConfig, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { ApiError } from './errors.js';

const WHERE = {
  param: 'path parameter',
  query: 'query parameter',
  json: 'body field',
  form: 'form field',
} as const;

/** A route module's app: validation runs before the handler, and a failure is a 422 naming the field. */
export function createRouter() {
  return new OpenAPIHono({
    defaultHook: (result) => {
      if (result.success) return;
      const issue = result.error.issues[0];
      const where = WHERE[result.target as keyof typeof WHERE] ?? result.target;
      const field = issue?.path.join('.') || '(body)';
      throw new ApiError('validation_error', `${where} ${field}: ${issue?.message ?? 'invalid'}`);
    },
  });
}

export const MAX_ID = 2_147_483_647;

/** A database id in a path or query: digits only, 1..2^31-1 (anything else is a 422, never a query). */
export const idString = (name: string) =>
  z
    .string()
    .regex(/^\d{1,10}$/, `${name} must be a positive integer`)
    .transform(Number)
    .pipe(z.number().int().min(1, `${name} must be at least 1`).max(MAX_ID, `${name} is out of range`));

export const idParams = z.object({
  id: idString('id').openapi({
    param: { name: 'id', in: 'path' },
    type: 'integer',
    minimum: 1,
    maximum: MAX_ID,
    example: 42,
  }),
});

export const limitQuery = (fallback: number, max: number) =>
  z.coerce
    .number()
    .int()
    .min(1)
    .max(max)
    .default(fallback)
    .openapi({ description: `page size, at most ${max}` });

export const cursorQuery = (description: string) =>
  idString('cursor').optional().openapi({ type: 'integer', minimum: 1, maximum: MAX_ID, description });

export const errorSchema = z
  .object({
    detail: z.string().openapi({ example: 'no batch with id 42' }),
    code: z.string().openapi({ example: 'not_found' }),
  })
  .openapi('Error');

const ERROR_TEXT = {
  400: 'malformed request',
  401: 'no API key, or an unknown one',
  403: 'the key may not do this (read key on an operator route)',
  404: 'no such resource',
  408: 'the request body did not arrive within REQUEST_TIMEOUT_MS (an upload: stalled that long)',
  409: 'conflicts with what is running',
  413: 'body too large',
  415: 'wrong content type',
  416: 'range not satisfiable',
  422: 'a parameter or field is invalid; `detail` names it',
  503: 'Temporal or the database is not reachable',
  504: 'the request took too long before anything was changed; nothing was started, send it again',
} as const;

/** Error answers for a route's documentation, all `{detail, code}`. */
export function errorResponses<S extends keyof typeof ERROR_TEXT>(...statuses: S[]) {
  const all = [...new Set<keyof typeof ERROR_TEXT>([401, 422, ...statuses])];
  return Object.fromEntries(
    all.map((s) => [
      s,
      { description: ERROR_TEXT[s], content: { 'application/json': { schema: errorSchema } } },
    ]),
  ) as Record<
    S | 401 | 422,
    { description: string; content: { 'application/json': { schema: typeof errorSchema } } }
  >;
}

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/**
 * A route whose body is streamed by its handler (an upload): documented from its `createRoute` definition like
 * every other, but without the body validator, which would read the whole body into memory first. Its handler
 * validates the fields with the same schema once they have arrived.
 */
export function streamedRoute<A extends App, R extends RouteConfig>(
  app: A,
  route: R,
  handler: (c: Context) => Promise<Response>,
): ReturnType<typeof app.openapi<R>> {
  app.openAPIRegistry.registerPath(route);
  app.on(route.method.toUpperCase(), route.path.replace(/\{(\w+)\}/g, ':$1'), handler);
  // Typed as `app.openapi(route, ...)` would be, so the typed client (api/client.ts) knows the route.
  return app as unknown as ReturnType<typeof app.openapi<R>>;
}
