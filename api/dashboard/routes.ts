// The dashboard: page shells at /, /ui/batches/{id}, /ui/calls/{id}, /ui/fleet and /docs, server-rendered
// fragments under /ui/f/ (read key), and its own static assets (no CDN, no build step).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { type Context, Hono } from 'hono';
import { simulatedStages } from '../../core/fleet.js';
import { BATCH_KINDS, BATCH_STATUSES, isTerminal } from '../../core/stages.js';
import { stuckCalls } from '../../lifecycle/stuck.js';
import { noteAccess } from '../accessTrail.js';
import type { AudioLinks } from '../audioLink.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, quoted } from '../errors.js';
import { idString } from '../openapi.js';
import {
  batchCalls,
  batchDetail,
  batchEvents,
  batchFailures,
  findBatch,
  listBatches,
} from '../queries/batches.js';
import { callDetail, findCall } from '../queries/calls.js';
import { readFleet } from '../queries/fleet.js';
import { listCategoryMappings, listProcesses } from '../queries/reference.js';
import { temporalLinks } from '../temporalLinks.js';
import { agreementDashboard } from './agreement.js';
import { batchList, uploadForm } from './batchList.js';
import { batchSummaryView, callsView, eventsView, failuresView } from './batchPage.js';
import { callView, playerView } from './callPage.js';
import { dataProtectionDashboard } from './dataProtection.js';
import { fleetShell, fleetView } from './fleet.js';
import type { Html } from './html.js';
import { batchesShell, batchShell, callShell, docsShell, type Shell } from './layout.js';
import { questionnaireDashboard } from './questionnaires.js';
import { reportsDashboard } from './reports.js';
import { reviewDashboard } from './review.js';
import { searchDashboard } from './search.js';

const ASSETS: Record<string, string> = {
  'app.js': 'text/javascript; charset=utf-8',
  'docs.js': 'text/javascript; charset=utf-8',
  'questionnaires.js': 'text/javascript; charset=utf-8',
  'review.js': 'text/javascript; charset=utf-8',
  'search.js': 'text/javascript; charset=utf-8',
  'search.css': 'text/css; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};
const assetText = Object.fromEntries(
  Object.keys(ASSETS).map((name) => [
    name,
    readFileSync(new URL(`./assets/${name}`, import.meta.url), 'utf8'),
  ]),
);

/** Swagger UI's own files from its npm package (swagger-ui-dist), read once: /docs works offline. */
const SWAGGER_UI: Record<string, string> = {
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'swagger-ui.css': 'text/css; charset=utf-8',
};
const swaggerDir = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
// The files end by naming their source maps, which are not served: drop that so browsers ask for nothing.
const swaggerText = Object.fromEntries(
  Object.keys(SWAGGER_UI).map((name) => [
    name,
    readFileSync(path.join(swaggerDir, name), 'utf8').replace(/\/[/*]# sourceMappingURL=\S+?(\*\/)?\s*$/, ''),
  ]),
);

function pageId(raw: string): number {
  const parsed = idString('id').safeParse(raw);
  if (!parsed.success)
    throw new ApiError('validation_error', `path parameter id: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

const oneOf = <T extends string>(values: readonly T[], raw: string | undefined): T | undefined =>
  values.find((v) => v === raw);

export function dashboardRoutes(deps: ApiDeps, links: AudioLinks) {
  const app = new Hono();
  const db = deps.database.db;
  const temporal = temporalLinks(deps.config);
  const shell: Shell = {
    open: deps.config.API_KEYS.length === 0,
    simulated: simulatedStages(deps.config.fleet),
  };
  const send = (c: Context, body: Html) => c.html(body.value);

  app.get('/', (c) => send(c, batchesShell(shell)));
  app.get('/docs', (c) => send(c, docsShell(shell)));
  app.get('/ui/batches/:id', (c) => send(c, batchShell(shell, pageId(c.req.param('id')))));
  app.get('/ui/calls/:id', (c) => send(c, callShell(shell, pageId(c.req.param('id')))));
  app.get('/ui/fleet', (c) => send(c, fleetShell(shell)));
  app.route('/', dataProtectionDashboard(deps, shell));
  app.route('/', questionnaireDashboard(deps, shell));
  app.route('/', reviewDashboard(deps, links));
  app.route('/', agreementDashboard(deps, shell));
  app.route('/', reportsDashboard(deps, shell));
  app.route('/', searchDashboard(deps, shell));
  app.get('/favicon.ico', (c) => c.body(null, 204));
  app.get('/ui/assets/:name', (c) => {
    const name = c.req.param('name');
    const type = ASSETS[name] ?? SWAGGER_UI[name];
    if (!type) throw new ApiError('not_found', `no asset ${quoted(name)}`);
    const text = assetText[name] ?? swaggerText[name] ?? '';
    return c.body(text, 200, { 'content-type': type, 'cache-control': 'no-cache' });
  });

  app.get('/ui/f/upload-form', async (c) => {
    const [processes, mappings] = await Promise.all([listProcesses(db), listCategoryMappings(db)]);
    return send(c, uploadForm(processes, mappings));
  });
  app.get('/ui/f/batches', async (c) => {
    const kind = oneOf(BATCH_KINDS, c.req.query('kind'));
    const status = oneOf(BATCH_STATUSES, c.req.query('status'));
    const before = c.req.query('before') ? pageId(c.req.query('before') ?? '') : undefined;
    const { items, next } = await listBatches(deps, { kind, status, before, limit: 25 });
    return send(c, batchList(items, next, kind || status ? 'filtered' : ''));
  });
  app.get('/ui/f/batches/:id/summary', async (c) => {
    const batch = await findBatch(db, pageId(c.req.param('id')));
    const stuck = isTerminal(batch.status) ? [] : await stuckCalls(db, { batchId: batch.id });
    return send(c, batchSummaryView(await batchDetail(deps, batch), stuck));
  });
  app.get('/ui/f/batches/:id/calls', async (c) => {
    const batch = await findBatch(db, pageId(c.req.param('id')));
    const { items } = await batchCalls(db, batch, 0, 2000);
    return send(c, callsView(items, !isTerminal(batch.status)));
  });
  app.get('/ui/f/batches/:id/events', async (c) => {
    const batch = await findBatch(db, pageId(c.req.param('id')));
    const { items } = await batchEvents(db, batch.id, 0, 2000);
    return send(c, eventsView(items, !isTerminal(batch.status)));
  });
  app.get('/ui/f/batches/:id/failures', async (c) => {
    const batch = await findBatch(db, pageId(c.req.param('id')));
    const { items } = await batchFailures(db, batch.id, 0, 500, temporal);
    return send(c, failuresView(items, !isTerminal(batch.status)));
  });
  app.get('/ui/f/fleet', async (c) => send(c, fleetView(await readFleet(deps))));
  app.get('/ui/f/calls/:id/player', async (c) => {
    const row = await findCall(db, pageId(c.req.param('id')));
    return send(c, playerView(await callDetail(db, row, links.url(row.id), temporal)));
  });
  app.get('/ui/f/calls/:id', async (c) => {
    const row = await findCall(db, pageId(c.req.param('id')));
    noteAccess(c, { batchId: row.batchId });
    return send(c, callView(await callDetail(db, row, links.url(row.id), temporal)));
  });
  return app;
}
