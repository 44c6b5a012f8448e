// The reports page (/ui/reports): per agent and per question over a period, a chart of the average score per day
// or week (server-rendered SVG: no chart library, no CDN) and of each question's fail rate, and the tables. The
// filters are a plain GET form: the page's query is the fragment's, so a report has an address to share.
import { Hono } from 'hono';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { listProcesses } from '../queries/reference.js';
import type { AgentReport, QuestionReport, TrendPoint } from '../queries/reports.js';
import { agentReport, questionReport, REPORT_BUCKETS, type ReportFilter } from '../queries/reports.js';
import { reportFilter, reportQuery } from '../routes/reports.js';
import { type Html, html } from './html.js';
import { page, type Shell } from './layout.js';

/** Up to this many agents get a line of their own in the chart (the most calls first). */
const CHART_AGENTS = 5;
const COLOURS = ['#2563eb', '#db2777', '#16a34a', '#d97706', '#7c3aed', '#0891b2'];

const pct = (rate: number | null) => (rate === null ? '—' : `${Math.round(rate * 1000) / 10}%`);
const num = (v: number | null) => (v === null ? '—' : String(v));

/** Average score per period, one line for all calls and one per top agent. */
export function trendChart(overall: TrendPoint[], agents: AgentReport[]): Html {
  const periods = [...new Set([...overall.map((p) => p.period)])].sort();
  if (periods.length === 0)
    return html`<p class="muted" data-chart="empty">No scored calls in this period.</p>`;
  const W = 720;
  const H = 260;
  const left = 40;
  const right = 16;
  const top = 12;
  const bottom = 44;
  const x = (i: number) =>
    periods.length === 1
      ? left + (W - left - right) / 2
      : left + (i * (W - left - right)) / (periods.length - 1);
  const y = (score: number) => top + ((100 - score) * (H - top - bottom)) / 100;
  const series = [
    { name: 'all calls', points: overall, colour: '#111827', width: 3 },
    ...agents
      .filter((a) => a.agent_id !== null)
      .slice(0, CHART_AGENTS)
      .map((a, i) => ({
        name: a.agent_id ?? '',
        points: a.trend,
        colour: COLOURS[i % COLOURS.length] ?? '#666',
        width: 1.5,
      })),
  ];
  const line = (points: TrendPoint[]) =>
    points
      .filter((p) => p.average_score !== null)
      .map((p) => `${x(periods.indexOf(p.period)).toFixed(1)},${y(p.average_score ?? 0).toFixed(1)}`)
      .join(' ');
  const every = Math.max(1, Math.ceil(periods.length / 8));
  return html`<figure class="chart">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="average score per period" data-chart="trend">
${[0, 25, 50, 75, 100].map(
  (v) =>
    html`<line x1="${left}" x2="${W - right}" y1="${y(v)}" y2="${y(v)}" stroke="#e5e7eb"/><text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="11" fill="#6b7280">${v}</text>`,
)}
${periods.map((p, i) =>
  i % every === 0
    ? html`<text x="${x(i)}" y="${H - bottom + 16}" text-anchor="middle" font-size="11" fill="#6b7280">${p.slice(5)}</text>`
    : '',
)}
${series.map(
  (s) => html`<g data-series="${s.name}">
<polyline fill="none" stroke="${s.colour}" stroke-width="${s.width}" points="${line(s.points)}"/>
${s.points
  .filter((p) => p.average_score !== null)
  .map(
    (p) =>
      html`<circle cx="${x(periods.indexOf(p.period))}" cy="${y(p.average_score ?? 0)}" r="3" fill="${s.colour}"><title>${s.name} ${p.period}: ${p.average_score} (${p.scored} scored)</title></circle>`,
  )}
</g>`,
)}
</svg>
<figcaption>${series.map(
    (s) =>
      html`<span class="legend"><svg width="14" height="4" aria-hidden="true"><rect width="14" height="4" fill="${s.colour}"/></svg> ${s.name}</span> `,
  )}</figcaption>
</figure>`;
}

/** Each question's fail rate as a horizontal bar, critical questions marked. */
export function questionChart(questions: QuestionReport[]): Html {
  const shown = questions.filter((q) => q.fail_rate !== null);
  if (shown.length === 0) return html``;
  const W = 720;
  const row = 22;
  const label = 220;
  const H = shown.length * row + 8;
  return html`<figure class="chart">
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="fail rate per question" data-chart="questions">
${shown.map((q, i) => {
  const width = Math.max(1, (q.fail_rate ?? 0) * (W - label - 60));
  const yy = 4 + i * row;
  return html`<g data-question="${q.question_id}">
<text x="${label - 8}" y="${yy + 14}" text-anchor="end" font-size="12">${q.code}${q.critical ? ' ★' : ''}</text>
<rect x="${label}" y="${yy + 3}" width="${width.toFixed(1)}" height="${row - 8}" fill="${q.critical ? '#dc2626' : '#2563eb'}"><title>${q.text}: ${pct(q.fail_rate)} of ${q.answers - q.not_applicable} answers failed</title></rect>
<text x="${label + width + 6}" y="${yy + 14}" font-size="11" fill="#374151">${pct(q.fail_rate)}</text>
</g>`;
})}
</svg>
<figcaption>fail rate per question (N/A left out); ★ critical</figcaption>
</figure>`;
}

function filters(f: ReportFilter, processes: { id: number; name: string }[]): Html {
  return html`<form class="filters report-filters" method="get" action="/ui/reports">
<label>from <input type="date" name="from" value="${f.from}"></label>
<label>to <input type="date" name="to" value="${f.to}"></label>
<label>process <select name="process"><option value="">all</option>${processes.map(
    (p) =>
      html`<option value="${p.id}" ${p.id === f.processId ? html`selected` : ''}>${p.id} · ${p.name}</option>`,
  )}</select></label>
<label>per <select name="bucket">${REPORT_BUCKETS.map(
    (b) => html`<option value="${b}" ${b === f.bucket ? html`selected` : ''}>${b}</option>`,
  )}</select></label>
<label>pass mark <input type="number" name="pass_mark" min="0" max="100" step="1" value="${f.passMark}"></label>
<button type="submit">Show</button>
</form>`;
}

export function reportView(
  f: ReportFilter,
  processes: { id: number; name: string }[],
  agents: { agents: AgentReport[]; trend: TrendPoint[] },
  questions: QuestionReport[],
): Html {
  return html`${filters(f, processes)}
<h2>Average score per ${f.bucket}</h2>
${trendChart(agents.trend, agents.agents)}
<h2>Agents</h2>
${
  agents.agents.length === 0
    ? html`<p class="muted">No completed calls in this period.</p>`
    : html`<table class="report agents">
<thead><tr><th>agent</th><th>team</th><th>calls</th><th>scored</th><th>average</th><th title="scored calls below the pass mark (${f.passMark})">failed</th><th>fail rate</th><th title="calls with a critical question answered no">critical failures</th></tr></thead>
<tbody>${agents.agents.map(
        (a) => html`<tr data-agent="${a.agent_id ?? ''}">
<td>${a.agent_id ?? html`<span class="muted">no agent</span>`}</td><td>${a.team ?? ''}</td>
<td class="num">${a.calls}</td><td class="num">${a.scored}</td><td class="num">${num(a.average_score)}</td>
<td class="num">${a.failed_calls}</td><td class="num">${pct(a.fail_rate)}</td>
<td class="num">${a.critical_failures ? html`<b class="bad">${a.critical_failures}</b>` : '0'}</td>
</tr>`,
      )}</tbody>
</table>`
}
<h2>Questions</h2>
${questionChart(questions)}
${
  questions.length === 0
    ? html`<p class="muted">No answers in this period.</p>`
    : html`<table class="report questions">
<thead><tr><th>question</th><th>version</th><th>answers</th><th>N/A</th><th>failed</th><th>fail rate</th><th title="points earned of points possible">average</th><th>critical failures</th></tr></thead>
<tbody>${questions.map(
        (q) => html`<tr data-question="${q.question_id}">
<td><b>${q.code}</b>${q.critical ? html` <span class="badge critical">critical</span>` : ''}<br><span class="muted">${q.text}</span></td>
<td class="num">${q.questionnaire_version ?? ''}</td><td class="num">${q.answers}</td><td class="num">${q.not_applicable}</td>
<td class="num">${q.failed}</td><td class="num">${pct(q.fail_rate)}</td><td class="num">${q.average_score === null ? '—' : `${q.average_score}%`}</td>
<td class="num">${q.critical ? (q.critical_failures ? html`<b class="bad">${q.critical_failures}</b>` : '0') : ''}</td>
</tr>`,
      )}</tbody>
</table>`
}`;
}

/** The page shell: its query is passed on to the fragment unchanged (the fragment checks it). */
export function reportsShell(shell: Shell, query: string): Html {
  return page({
    title: 'Reports',
    ...shell,
    main: html`<section class="card" id="report" data-src="/ui/f/reports${query ? `?${query}` : ''}"><p class="muted">loading the report…</p></section>`,
  });
}

export function reportsDashboard(deps: ApiDeps, shell: Shell) {
  const app = new Hono();
  const db = deps.database.db;
  app.get('/ui/reports', (c) => {
    const query = new URL(c.req.url).search.slice(1);
    return c.html(reportsShell(shell, query).value);
  });
  // The same checks as GET /reports/*: a bad period is a 422 naming the parameter, shown in the region.
  app.get('/ui/f/reports', async (c) => {
    const raw = Object.fromEntries(Object.entries(c.req.query()).filter(([, v]) => v !== ''));
    const parsed = reportQuery.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ApiError(
        'validation_error',
        `query parameter ${issue?.path.join('.') || '(query)'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    const f = await reportFilter(db, parsed.data);
    const [processes, agents, questions] = await Promise.all([
      listProcesses(db),
      agentReport(db, f),
      questionReport(db, f),
    ]);
    return c.html(reportView(f, processes, agents, questions).value);
  });
  return app;
}
