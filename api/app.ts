// createApp(deps): the Hono app with every route and the one error handler; no network of its own.
import { OpenAPIHono } from '@hono/zod-openapi';
import { requestId } from 'hono/request-id';
import type { BlankEnv } from 'hono/types';
import type { Registry } from 'prom-client';
import { accessTrail } from './accessTrail.js';
import { type AudioLinks, createAudioLinks } from './audioLink.js';
import { requireKeys } from './auth.js';
import { dashboardRoutes } from './dashboard/routes.js';
import type { ApiDeps } from './deps.js';
import { ApiError, errorResponse, quoted } from './errors.js';
import { createRouter } from './openapi.js';
import { corsFor, jsonBody, pageHeaders, requestTimeout } from './protections.js';
import { requestLog } from './requestLog.js';
import { auditRoutes } from './routes/audit.js';
import { auditLogRoutes } from './routes/auditLog.js';
import { batchRoutes } from './routes/batches.js';
import { callRoutes } from './routes/calls.js';
import { dailyBatchRoutes } from './routes/dailyBatch.js';
import { documentApi } from './routes/docs.js';
import { fleetRoutes } from './routes/fleet.js';
import { healthRoutes } from './routes/health.js';
import { metricsRoutes } from './routes/metrics.js';
import { policyRoutes } from './routes/policy.js';
import { questionnaireRoutes } from './routes/questionnaires.js';
import { reauditRoutes } from './routes/reaudit.js';
import { referenceRoutes } from './routes/reference.js';
import { reportRoutes } from './routes/reports.js';
import { retentionRoutes } from './routes/retention.js';
import { reviewRoutes } from './routes/review.js';
import { searchRoutes } from './routes/search.js';
import { stuckRoutes } from './routes/stuck.js';
import { createApiMetrics } from './tableMetrics.js';

export const API_VERSION = '0.1.0';

export function createApp(deps: ApiDeps) {
  // BlankEnv: the app is a plain Hono app to its callers (tests pass it where `Hono` is expected).
  const app = new OpenAPIHono<BlankEnv>();
  const links = createAudioLinks(deps.config);
  const metrics = createApiMetrics(deps.database.db);
  // Order matters: ids and logs first, CORS answers preflights before keys are asked for.
  app.use(requestId());
  if (deps.logger) app.use(requestLog(deps.logger));
  app.use(metrics.httpMetrics);
  app.use(pageHeaders());
  const cors = corsFor(deps.config);
  if (cors) app.use(cors);
  // The access trail wraps the key check, so it records refused attempts with their status too.
  app.use(accessTrail(deps.database.db, deps.logger));
  app.use(requireKeys(deps.config, links));
  // The body has its own time limit (408, the client's fault), the answer then another (504, ours).
  app.use(jsonBody(deps.config.JSON_BODY_LIMIT, deps.config.REQUEST_TIMEOUT_MS));
  app.use(requestTimeout(deps.config.REQUEST_TIMEOUT_MS));

  app.route('/', apiRoutes(deps, links, metrics.registry));
  app.route('/', dashboardRoutes(deps, links));
  documentApi(app, API_VERSION);
  const allowed = allowedMethods(app.routes);
  app.notFound((c) => {
    const allow = allowed(c.req.path);
    if (allow.length && !allow.includes(c.req.method)) {
      c.header('Allow', allow.join(', '));
      return errorResponse(
        c,
        new ApiError(
          'method_not_allowed',
          `${c.req.method} is not allowed on ${quoted(c.req.path, 200)}: use ${allow.join(' or ')}`,
        ),
      );
    }
    return errorResponse(
      c,
      new ApiError('not_found', `no route for ${c.req.method} ${quoted(c.req.path, 200)}`),
    );
  });
  app.onError((err, c) => errorResponse(c, err));
  return app;
}

/** The API's documented routes, chained so their types add up: `ApiRoutes` is what api/client.ts is typed by. */
function apiRoutes(deps: ApiDeps, links: AudioLinks, registry: Registry) {
  return createRouter()
    .route('/', healthRoutes(deps))
    .route('/', auditRoutes(deps))
    .route('/', reauditRoutes(deps))
    .route('/', batchRoutes(deps))
    .route('/', dailyBatchRoutes(deps))
    .route('/', searchRoutes(deps))
    .route('/', callRoutes(deps, links))
    .route('/', reviewRoutes(deps))
    .route('/', referenceRoutes(deps))
    .route('/', questionnaireRoutes(deps))
    .route('/', reportRoutes(deps))
    .route('/', stuckRoutes(deps))
    .route('/', fleetRoutes(deps))
    .route('/', auditLogRoutes(deps))
    .route('/', policyRoutes(deps))
    .route('/', retentionRoutes(deps))
    .route('/', metricsRoutes(registry));
}
export type ApiRoutes = ReturnType<typeof apiRoutes>;

/** For a path, the methods some route answers on it (a known path with another method is a 405, not a 404). */
function allowedMethods(routes: readonly { method: string; path: string }[]) {
  const patterns = routes
    .filter((r) => r.method !== 'ALL' && !r.path.includes('*'))
    .map((r) => ({
      method: r.method,
      re: new RegExp(`^${r.path.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/:[A-Za-z_]\w*/g, '[^/]+')}$`),
    }));
  return (path: string): string[] => {
    const methods = new Set(patterns.filter((p) => p.re.test(path)).map((p) => p.method));
    if (methods.has('GET')) methods.add('HEAD');
    return [...methods].sort();
  };
}
