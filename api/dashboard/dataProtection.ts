// The data-protection page, /ui/data-protection: each process's redaction and retention policy (read-only; PUT
// /processes/{id}/policy changes it) and the latest retention runs with what they expired (operator key).
import { type Context, Hono } from 'hono';
import { loadProcessPolicy } from '../../lifecycle/processPolicy.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { listProcesses } from '../queries/reference.js';
import { type RetentionRunView, retentionRuns } from '../routes/retention.js';
import { timestamp } from './format.js';
import { type Html, html } from './html.js';
import { page, type Shell } from './layout.js';

export function dataProtectionShell(shell: Shell): Html {
  return page({
    title: 'Data protection',
    ...shell,
    main: html`
<section class="card" id="policies" data-src="/ui/f/policies"><p class="muted">loading the policies…</p></section>
<section class="card" id="retention-runs" data-src="/ui/f/retention-runs" data-poll="10000"><p class="muted">loading the retention runs…</p></section>`,
  });
}

const days = (n: number | null) => (n == null ? html`<span class="muted">until erased</span>` : `${n} days`);

type PolicyRow = { id: number; name: string; policy: Awaited<ReturnType<typeof loadProcessPolicy>> };

function policiesView(rows: PolicyRow[]): Html {
  return html`<h2>Policies per process</h2>
<p class="muted">What the redaction stage removes before any LLM sees a transcript, and how long each kind of a call's data is kept after cofi received it. Change one with <code>PUT /processes/{id}/policy</code> (operator key).</p>
<table class="policies">
<thead><tr><th>process</th><th>redacted entities</th><th>unredacted kept</th><th>audio</th><th>recording</th><th>transcript</th><th>analysis</th><th>answers</th></tr></thead>
<tbody>${rows.map(({ id, name, policy: { redaction: r, retention: k } }) => {
    const entities = r.entities.length ? r.entities.join(', ') : html`<span class="muted">none</span>`;
    return html`<tr data-process="${id}">
  <td>${id} · ${name}</td><td>${entities}</td><td>${r.keepOriginal ? 'yes' : 'no'}</td><td>${r.audio}</td>
  <td>${days(k.recordingDays)}</td><td>${days(k.transcriptDays)}</td><td>${days(k.analysisDays)}</td><td>${days(k.answerDays)}</td>
</tr>`;
  })}</tbody>
</table>`;
}

function runsView(runs: RetentionRunView[]): Html {
  if (runs.length === 0)
    return html`<h2>Retention runs</h2><p class="muted">No retention run yet (RETENTION_CRON schedules them).</p>`;
  return html`<h2>Retention runs</h2>
<p class="muted">What each run expired: calls per process and kind (and the files or rows that went with them), never what they held.</p>
<table class="retention-runs">
<thead><tr><th>run</th><th>as of</th><th>status</th><th>finished</th><th>expired (calls: files or rows)</th></tr></thead>
<tbody>${runs.map(
    (r) => html`<tr data-run="${r.id}" data-status="${r.status}">
  <td>${r.id}</td><td>${timestamp(r.as_of)}</td><td>${r.status}${r.error ? html`<br><span class="muted">${r.error}</span>` : ''}</td>
  <td>${timestamp(r.finished_at)}</td>
  <td>${
    r.counts.length
      ? r.counts.map(
          (n) =>
            html`<div data-count="${n.process_id}/${n.kind}">process ${n.process_id} · ${n.kind}: ${n.calls} (${n.items})</div>`,
        )
      : html`<span class="muted">nothing</span>`
  }</td>
</tr>`,
  )}</tbody>
</table>`;
}

export function dataProtectionDashboard(deps: ApiDeps, shell: Shell) {
  const app = new Hono();
  const db = deps.database.db;
  const send = (c: Context, body: Html) => c.html(body.value);
  app.get('/ui/data-protection', (c) => send(c, dataProtectionShell(shell)));
  app.get('/ui/f/policies', async (c) => {
    const processes = await listProcesses(db);
    const rows = await Promise.all(
      processes.map(async (p) => ({ id: p.id, name: p.name, policy: await loadProcessPolicy(db, p.id) })),
    );
    return send(c, policiesView(rows));
  });
  app.get('/ui/f/retention-runs', async (c) => {
    // As GET /retention/runs: operator keys only.
    const actor = c.get('actor');
    if (actor && actor.role !== 'operator')
      throw new ApiError('forbidden', 'the retention runs need an "operator" key');
    return send(c, runsView((await retentionRuns(db, 20)).runs));
  });
  return app;
}
