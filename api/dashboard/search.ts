// The search page (/ui/search): a form with GET /calls/search's filters, a table of the matching calls (a
// fragment, /ui/f/search, read with the saved key) paged by the API's cursor, and buttons that download the same
// search as CSV (calls or answers). search.js sends the form; the fragment is validated like the API.
import { Hono } from 'hono';
import { CALL_DIRECTIONS } from '../../core/stages.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import {
  type FoundCall,
  SEARCH_STATUSES,
  type SearchFilters,
  SORTS,
  searchCalls,
  searchWords,
} from '../queries/search.js';
import { cursorOf, searchQuery } from '../routes/search.js';
import { age, score, timestamp } from './format.js';
import { type Html, html } from './html.js';
import { page, type Shell } from './layout.js';

const options = (values: readonly string[], any = 'any') => [
  html`<option value="">${any}</option>`,
  values.map((v) => html`<option value="${v}">${v}</option>`),
];

const SORT_NAMES: Record<string, string> = {
  '-created_at': 'newest received first',
  created_at: 'oldest received first',
  '-started_at': 'latest call start first',
  started_at: 'earliest call start first',
  '-score': 'highest score first',
  score: 'lowest score first',
  '-id': 'highest id first',
  id: 'lowest id first',
};

const field = (label: string, input: Html, hint = '') =>
  html`<label${hint ? html` title="${hint}"` : ''}>${label} ${input}</label>`;

export function searchShell(shell: Shell): Html {
  return page({
    title: 'Search calls',
    ...shell,
    scripts: ['/ui/assets/app.js', '/ui/assets/search.js'],
    styles: ['/ui/assets/search.css'],
    main: html`
<section class="card">
  <h1>Search calls</h1>
  <form class="search" data-action="search" autocomplete="off">
    ${field('words in the transcript', html`<input type="search" name="q" maxlength="200" placeholder="refund cancel">`, 'every word must be in the transcript; words under 3 letters and the most common ones are ignored')}
    ${field('received from', html`<input type="date" name="from">`)}
    ${field('received to', html`<input type="date" name="to">`)}
    ${field('call started from', html`<input type="date" name="started_from">`)}
    ${field('call started to', html`<input type="date" name="started_to">`)}
    ${field('agent', html`<input type="text" name="agent_id" maxlength="64">`)}
    ${field('team', html`<input type="text" name="team" maxlength="64">`)}
    ${field('process', html`<input type="number" name="process_id" min="1" step="1">`)}
    ${field('batch', html`<input type="number" name="batch_id" min="1" step="1">`)}
    ${field('category', html`<input type="text" name="category" maxlength="128">`)}
    ${field('language', html`<input type="text" name="language" maxlength="12" placeholder="en">`)}
    ${field('score from', html`<input type="number" name="score_min" min="0" max="100" step="any">`)}
    ${field('score to', html`<input type="number" name="score_max" min="0" max="100" step="any">`)}
    ${field('status', html`<select name="status">${options(SEARCH_STATUSES)}</select>`)}
    ${field('direction', html`<select name="direction">${options(CALL_DIRECTIONS)}</select>`)}
    ${field('reviewed', html`<select name="reviewed"><option value="">any</option><option value="true">reviewed</option><option value="false">not reviewed</option></select>`)}
    ${field('order', html`<select name="sort">${SORTS.map((s) => html`<option value="${s}"${s === '-created_at' ? ' selected' : ''}>${SORT_NAMES[s] ?? s}</option>`)}</select>`)}
    ${field('per page', html`<select name="limit"><option>25</option><option selected>50</option><option>100</option><option>200</option></select>`)}
    <div class="buttons">
      <button type="submit">Search</button>
      <button type="reset">Clear</button>
      <button type="button" data-export="calls" title="every matching call, one line each">Export calls (CSV)</button>
      <button type="button" data-export="answers" title="every answer of every matching call, one line each">Export answers (CSV)</button>
    </div>
    <output class="result" data-result></output>
  </form>
</section>
<section class="card" id="results"><p class="muted">Choose filters and search: erased calls are never found.</p></section>`,
  });
}

/** The filters of a fragment request, validated as the API validates them (a bad one is its 422). */
export function fragmentQuery(query: Record<string, string>) {
  const parsed = searchQuery.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ApiError(
      'validation_error',
      `query parameter ${issue?.path.join('.') || '(query)'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

export function resultsView(
  calls: FoundCall[],
  next: string | null,
  filters: SearchFilters & { q?: string[] },
  page: number,
  raw: string | undefined,
  now = Date.now(),
): Html {
  const ignored = raw ? searchWords(raw).ignored : [];
  const words = filters.q?.length
    ? html`<p class="muted">words searched: ${filters.q.map((w) => html`<code>${w}</code> `)}${ignored.length ? html`(ignored: ${ignored.join(', ')})` : ''}</p>`
    : '';
  if (calls.length === 0)
    return html`${words}<p class="muted" data-empty>${page > 1 ? 'No more calls.' : 'No call matches.'}</p>`;
  return html`${words}
<div class="row"><h2>Calls, page ${page}</h2><span class="muted" data-count="${calls.length}">${calls.length} on this page${next ? '' : ' (the last)'}</span></div>
<table class="search-results">
<thead><tr><th>call</th><th>received</th><th>call started</th><th>agent</th><th>team</th><th>process</th><th>language</th><th>category</th><th class="num">score</th><th>status</th><th>reviewed</th></tr></thead>
<tbody>
${calls.map(
  (c) => html`<tr data-call="${c.call_id}">
  <td><a href="/ui/calls/${c.call_id}">${c.audio_name}</a> <span class="muted">#${c.call_id}</span></td>
  <td><time datetime="${c.created_at}" title="${timestamp(c.created_at)}">${age(c.created_at, now)}</time></td>
  <td>${timestamp(c.call_started_at)}</td>
  <td>${c.agent_id ?? ''}</td>
  <td>${c.team ?? ''}</td>
  <td class="num">${c.process_id}</td>
  <td>${c.language ?? ''}</td>
  <td>${c.category ?? ''}${c.sub_category ? html` <span class="muted">/ ${c.sub_category}</span>` : ''}</td>
  <td class="num" data-score>${score(c.score)}</td>
  <td>${c.status}</td>
  <td>${c.reviewed ? 'yes' : ''}</td>
</tr>`,
)}
</tbody>
</table>
<p class="pager">${page > 1 ? html`<button type="button" data-page="first">first page</button> ` : ''}${next ? html`<button type="button" data-page="next" data-cursor="${next}" data-number="${page + 1}">next page</button>` : ''}</p>`;
}

/** The page and its fragment: /ui/search (no data, served without a key) and /ui/f/search (read key). */
export function searchDashboard(deps: ApiDeps, shell: Shell) {
  const app = new Hono();
  const db = deps.database.db;
  app.get('/ui/search', (c) => c.html(searchShell(shell).value));
  app.get('/ui/f/search', async (c) => {
    const query = c.req.query();
    const { limit, cursor, ...filters } = fragmentQuery(query);
    const found = await searchCalls(db, filters, limit, cursorOf(filters, cursor));
    const number = /^\d{1,6}$/.test(query.page ?? '') ? Math.max(1, Number(query.page)) : 1;
    return c.html(resultsView(found.calls, found.next, filters, number, query.q).value);
  });
  return app;
}
