// /ui/agreement: how often reviewers overturned the AI (issue 15 item 5), per process, per question and per
// week, with the weekly rate drawn as an SVG chart (server-rendered; no script library). The shell is open like
// every page shell; its fragment /ui/f/agreement needs a read key, as GET /reports/agreement does.
import { type Context, Hono } from 'hono';
import { flaggedCalls } from '../../lifecycle/overrides.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { idString } from '../openapi.js';
import { listProcesses } from '../queries/reference.js';
import { type Agreement, agreement } from '../queries/review.js';
import { score, timestamp } from './format.js';
import { type Html, html, trusted } from './html.js';
import { page, type Shell } from './layout.js';

const SCRIPTS = ['/ui/assets/app.js', '/ui/assets/review.js'];

export function agreementShell(shell: Shell): Html {
  return page({
    title: 'Agreement',
    ...shell,
    scripts: SCRIPTS,
    main: html`<section class="card">
  <h2>Agreement: how often reviewers overturned the AI</h2>
  <p class="muted">A reviewed answer is one a reviewer saw when overriding, confirming or marking the call reviewed (each action keeps every answer shown; the latest counts). An answer is overturned when the reviewer's answer differs from the AI's (an override set back to the AI's answer is agreement). Rate = overturned / reviewed. Weeks start on Monday (UTC) and count an answer in the week of the action.</p>
  <div id="agreement" data-src="/ui/f/agreement"><p class="muted">loading…</p></div>
</section>`,
  });
}

type Filter = { processId?: number; from?: string; to?: string };

/** The filters, in the fragment (a shell holds no data): sent by assets/review.js, which reloads the region. */
function filterForm(processes: { id: number; name: string }[], f: Filter): Html {
  return html`<form class="filters" data-review="diff" data-target="agreement" data-base="/ui/f/agreement">
  <label>process <select name="process_id"><option value="">all</option>${processes.map(
    (p) =>
      html`<option value="${p.id}"${p.id === f.processId ? html` selected` : ''}>${p.id} · ${p.name}</option>`,
  )}</select></label>
  <label>from <input type="date" name="from" value="${f.from ?? ''}"></label>
  <label>to <input type="date" name="to" value="${f.to ?? ''}"></label>
  <button type="submit">Show</button>
</form>`;
}

const percent = (rate: number | null) => (rate === null ? '—' : `${(rate * 100).toFixed(1)}%`);

function rateBar(rate: number | null): Html {
  // SVG attributes, not style attributes: the dashboard's content security policy allows no inline styles.
  const width = rate === null ? 0 : Math.round(rate * 100);
  return trusted(
    `<svg class="rate-bar" width="100" height="8" aria-hidden="true"><rect width="100" height="8" fill="#e5e7eb"/><rect width="${width}" height="8" fill="#dc2626"/></svg>`,
  );
}

/** The weekly rate of each process as a line (and the reviewed counts as bars), in one SVG. */
export function weeklyChart(weeks: Agreement['weeks']): Html {
  if (weeks.length === 0) return html`<p class="muted">no reviews in this period</p>`;
  const labels = [...new Set(weeks.map((w) => w.week))].sort();
  const processes = [...new Set(weeks.map((w) => w.process_id))].sort((a, b) => a - b);
  const W = 640;
  const H = 220;
  const pad = { l: 44, r: 12, t: 12, b: 40 };
  const step = labels.length > 1 ? (W - pad.l - pad.r) / (labels.length - 1) : 0;
  const x = (i: number) => pad.l + (labels.length > 1 ? i * step : (W - pad.l - pad.r) / 2);
  const y = (rate: number) => pad.t + (1 - rate) * (H - pad.t - pad.b);
  const colours = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2'];
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (g) =>
        `<line x1="${pad.l}" x2="${W - pad.r}" y1="${y(g)}" y2="${y(g)}" stroke="#e5e7eb"/><text x="${pad.l - 6}" y="${y(g) + 4}" text-anchor="end" font-size="10" fill="#6b7280">${g * 100}%</text>`,
    )
    .join('');
  const xLabels = labels
    .map(
      (l, i) =>
        `<text x="${x(i)}" y="${H - pad.b + 16}" text-anchor="middle" font-size="10" fill="#6b7280">${l}</text>`,
    )
    .join('');
  const lines = processes
    .map((p, n) => {
      const colour = colours[n % colours.length];
      const points = labels
        .map((l, i) => {
          const w = weeks.find((r) => r.process_id === p && r.week === l);
          return w && w.rate !== null ? { x: x(i), y: y(w.rate), w } : null;
        })
        .filter((pt): pt is NonNullable<typeof pt> => pt !== null);
      const path = points.map((pt, i) => `${i ? 'L' : 'M'}${pt.x.toFixed(1)},${pt.y.toFixed(1)}`).join(' ');
      return `<path d="${path}" fill="none" stroke="${colour}" stroke-width="2"/>${points
        .map(
          (pt) =>
            `<circle cx="${pt.x.toFixed(1)}" cy="${pt.y.toFixed(1)}" r="3.5" fill="${colour}" data-point="${p}:${pt.w.week}"><title>process ${p}, week of ${pt.w.week}: ${pt.w.overturned} of ${pt.w.reviewed} overturned</title></circle>`,
        )
        .join('')}`;
    })
    .join('');
  const legend = processes
    .map(
      (p, n) =>
        `<text x="${pad.l + n * 90}" y="${H - 6}" font-size="11" fill="${colours[n % colours.length]}">■ process ${p}</text>`,
    )
    .join('');
  // Every value above is a number or a date string the query formatted (YYYY-MM-DD): nothing a client wrote.
  return trusted(
    `<svg class="chart" data-chart="agreement" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="overturn rate per week">${grid}${xLabels}${lines}${legend}</svg>`,
  );
}

export function agreementView(a: Agreement, form: Html = html``): Html {
  return html`${form}
<p class="big" data-total-rate="${a.totals.rate ?? ''}">${percent(a.totals.rate)} <span class="muted">overturned: ${a.totals.overturned} of ${a.totals.reviewed} reviewed answers in ${a.totals.reviewed_calls} reviewed call(s)</span></p>
<h3>Per week</h3>
${weeklyChart(a.weeks)}
<h3>Per process</h3>
${
  a.processes.length
    ? html`<table class="agreement-processes"><thead><tr><th>process</th><th>reviewed calls</th><th>reviewed answers</th><th>overturned</th><th>rate</th></tr></thead>
<tbody>${a.processes.map(
        (p) =>
          html`<tr data-agreement-process="${p.process_id}"><td>${p.process_id} · ${p.name ?? ''}</td><td class="num">${p.reviewed_calls}</td><td class="num">${p.reviewed}</td><td class="num">${p.overturned}</td><td>${rateBar(p.rate)} ${percent(p.rate)}</td></tr>`,
      )}</tbody></table>`
    : html`<p class="muted">no reviewed calls</p>`
}
<h3>Per question</h3>
${
  a.questions.length
    ? html`<table class="agreement-questions"><thead><tr><th>process</th><th>question</th><th>reviewed</th><th>overturned</th><th>rate</th></tr></thead>
<tbody>${a.questions.map(
        (q) =>
          html`<tr data-agreement-question="${q.process_id}:${q.code}"><td class="num">${q.process_id}</td><td><code>${q.code}</code> ${q.question}</td><td class="num">${q.reviewed}</td><td class="num">${q.overturned}</td><td>${rateBar(q.rate)} ${percent(q.rate)}</td></tr>`,
      )}</tbody></table>`
    : ''
}`;
}

type Flagged = Awaited<ReturnType<typeof flaggedCalls>>;

/** Calls with an answer whose AI answer changed since its review (GET /reviews/flagged), to confirm or redo. */
export function flaggedView(calls: Flagged): Html {
  return html`<h3>AI answer changed since review</h3>${
    calls.length
      ? html`<table class="flagged"><thead><tr><th>call</th><th>process</th><th>flagged answers</th><th>since</th><th>score</th></tr></thead>
<tbody>${calls.map(
          (c) =>
            html`<tr data-flagged-call="${c.call_id}"><td><a href="/ui/calls/${c.call_id}">${c.audio_name}</a></td><td class="num">${c.process_id}</td><td class="num">${c.flagged_answers}${c.not_carried ? html` <span class="muted" data-not-carried>(${c.not_carried} not carried: question changed)</span>` : ''}</td><td>${timestamp(c.flagged_at)}</td><td class="num">${score(c.score)}</td></tr>`,
        )}</tbody></table>`
      : html`<p class="muted">none: no reaudit changed an AI answer a reviewer had overridden</p>`
  }`;
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
function day(raw: string | undefined, name: string, end: boolean): Date | undefined {
  if (!raw) return undefined;
  const ms = Date.parse(`${raw}T00:00:00Z`);
  if (!DATE.test(raw) || Number.isNaN(ms))
    throw new ApiError('validation_error', `${name} must be an ISO date`);
  return new Date(ms + (end ? 86_400_000 - 1 : 0));
}

export function agreementDashboard(deps: ApiDeps, shell: Shell) {
  const app = new Hono();
  const db = deps.database.db;
  const send = (c: Context, body: Html) => c.html(body.value);
  app.get('/ui/agreement', (c) => send(c, agreementShell(shell)));
  app.get('/ui/f/agreement', async (c) => {
    const raw = c.req.query('process_id');
    let processId: number | undefined;
    if (raw) {
      const parsed = idString('process_id').safeParse(raw);
      if (!parsed.success) throw new ApiError('validation_error', 'process_id must be a positive integer');
      processId = parsed.data;
    }
    const from = day(c.req.query('from'), 'from', false);
    const to = day(c.req.query('to'), 'to', true);
    const [report, processes, flagged] = await Promise.all([
      agreement(db, { processId, from, to }),
      listProcesses(db),
      flaggedCalls(db, { processId, limit: 100 }),
    ]);
    const form = filterForm(processes, { processId, from: c.req.query('from'), to: c.req.query('to') });
    return send(
      c,
      html`${agreementView(report, form)}
${flaggedView(flagged)}`,
    );
  });
  return app;
}
