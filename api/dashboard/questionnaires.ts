// The questionnaires pages: /ui/questionnaires lists the processes with their current version, and
// /ui/questionnaires/{id} shows one process's versions, the questions of the current one (or of ?version=N),
// and a form that publishes a new version from JSON with a preview (api/dashboard/assets/questionnaires.js).

import type { Context } from 'hono';
import { Hono } from 'hono';
import { currentQuestionnaire, questionnaireAt } from '../../lifecycle/questionnaires.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { idString } from '../openapi.js';
import { findProcess, listVersions, type VersionView, versionView } from '../queries/questionnaires.js';
import { listProcesses } from '../queries/reference.js';
import { timestamp } from './format.js';
import { type Html, html } from './html.js';
import { page, type Shell } from './layout.js';

const SCRIPTS = ['/ui/assets/app.js', '/ui/assets/questionnaires.js'];

export function questionnairesShell(shell: Shell): Html {
  return page({
    title: 'Questionnaires',
    ...shell,
    main: html`<section class="card" id="questionnaires" data-src="/ui/f/questionnaires"><p class="muted">loading the processes…</p></section>`,
  });
}

export function questionnaireShell(shell: Shell, processId: number, version?: number): Html {
  const query = version ? `?version=${version}` : '';
  return page({
    title: `Questionnaire of process ${processId}`,
    ...shell,
    scripts: SCRIPTS,
    main: html`<output class="result" data-result="publish"></output>
<div id="questionnaire" data-src="/ui/f/questionnaires/${processId}${query}"><p class="muted">loading the questionnaire…</p></div>`,
  });
}

type ProcessRow = Awaited<ReturnType<typeof listProcesses>>[number];

function processList(rows: { process: ProcessRow; current: number | null }[]): Html {
  return html`<h2>Questionnaires</h2>
<p class="muted">Each process's calls are scored with its current questionnaire version; a published version never changes, and a call keeps the version it was scored with.</p>
<table class="processes">
<thead><tr><th>process</th><th>current version</th><th>questions</th><th></th></tr></thead>
<tbody>${rows.map(
    ({ process: p, current }) => html`<tr data-process="${p.id}">
  <td>${p.id} · ${p.name}</td>
  <td class="num">${current ?? html`<span class="muted">none</span>`}</td>
  <td class="num">${p.question_count}</td>
  <td><a href="/ui/questionnaires/${p.id}">${current ? 'versions and publishing' : 'create its questionnaire'}</a></td>
</tr>`,
  )}</tbody>
</table>`;
}

/** The JSON a new version is published from, prefilled with the shown version's questions. */
function publishInput(v: VersionView | null): string {
  const questions = v
    ? v.questions.map((q) => ({
        code: q.code,
        text: q.text,
        answer_type: q.answer_type,
        weight: q.weight,
        ...(q.guidance ? { guidance: q.guidance } : {}),
        ...(q.critical ? { critical: true } : {}),
      }))
    : [{ code: 'greeting', text: 'Did the agent greet the customer?', answer_type: 'yes_no', weight: 10 }];
  return JSON.stringify({ note: '', questions }, null, 2);
}

function questionsTable(v: VersionView): Html {
  return html`<table class="answers" data-version-questions="${v.version}">
<thead><tr><th>#</th><th>code</th><th>question</th><th>type</th><th>weight</th><th>critical</th></tr></thead>
<tbody>${v.questions.map(
    (q) => html`<tr data-question="${q.code}">
  <td class="num">${q.position}</td><td><code>${q.code}</code></td>
  <td>${q.text}${q.guidance ? html`<br><span class="muted">${q.guidance}</span>` : ''}</td>
  <td>${q.answer_type}</td><td class="num">${q.weight}</td>
  <td>${q.critical ? html`<span class="badge critical">critical</span>` : ''}</td>
</tr>`,
  )}</tbody>
</table>`;
}

function processView(
  proc: { id: number; name: string },
  versions: Awaited<ReturnType<typeof listVersions>>,
  shown: VersionView | null,
  current: VersionView | null,
): Html {
  return html`<section class="card" id="versions">
<h1>Questionnaire · ${proc.id} · ${proc.name}</h1>
${
  versions.length
    ? html`<table class="versions">
<thead><tr><th>version</th><th>published</th><th>by</th><th>questions</th><th>critical</th><th>note</th></tr></thead>
<tbody>${versions.map(
        (v) => html`<tr data-version="${v.version}"${v.current ? html` data-current` : ''}>
  <td><a href="/ui/questionnaires/${proc.id}?version=${v.version}">v${v.version}</a>${v.current ? html` <span class="badge status-completed">current</span>` : ''}</td>
  <td>${timestamp(v.published_at)}</td><td>${v.published_by ?? ''}</td>
  <td class="num">${v.question_count}</td><td class="num">${v.critical_count}</td><td>${v.note ?? ''}</td>
</tr>`,
      )}</tbody>
</table>`
    : html`<p class="muted" data-no-questionnaire>this process has no questionnaire yet: publish its version 1 below</p>`
}
</section>
${
  shown
    ? html`<section class="card" id="questions"><h2>Questions of version ${shown.version}${
        shown.version === current?.version ? ' (current)' : ''
      }</h2>${questionsTable(shown)}</section>`
    : ''
}
<section class="card" id="publish">
<h2>Publish a new version</h2>
<p class="muted">The whole questionnaire as JSON (<code>questions</code>: code, text, answer_type yes_no | yes_no_na | scale_1_5, weight, guidance, critical). It becomes current for calls scored from then on; calls scored before keep their version and score. Needs an operator key.</p>
<form data-action="publish-questionnaire" data-process="${proc.id}" autocomplete="off">
<textarea name="body" rows="18" spellcheck="false" data-questionnaire-json>${publishInput(current)}</textarea>
<div data-preview class="preview"></div>
<button type="submit">Publish version ${(current?.version ?? 0) + 1}</button>
<output class="result" data-result></output>
</form>
</section>`;
}

function pageId(raw: string | undefined, name: string): number {
  const parsed = idString(name).safeParse(raw ?? '');
  if (!parsed.success)
    throw new ApiError('validation_error', `${name}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/** The pages' shells (no data, no key) and fragments (read key). */
export function questionnaireDashboard(deps: ApiDeps, shell: Shell) {
  const app = new Hono();
  const db = deps.database.db;
  const send = (c: Context, body: Html) => c.html(body.value);
  app.get('/ui/questionnaires', (c) => send(c, questionnairesShell(shell)));
  app.get('/ui/questionnaires/:id', (c) => {
    const version = c.req.query('version');
    return send(
      c,
      questionnaireShell(
        shell,
        pageId(c.req.param('id'), 'id'),
        version ? pageId(version, 'version') : undefined,
      ),
    );
  });
  app.get('/ui/f/questionnaires', async (c) => {
    const processes = await listProcesses(db);
    const rows = await Promise.all(
      processes.map(async (p) => ({
        process: p,
        current: (await currentQuestionnaire(db, p.id))?.version.version ?? null,
      })),
    );
    return send(c, processList(rows));
  });
  app.get('/ui/f/questionnaires/:id', async (c) => {
    const proc = await findProcess(db, pageId(c.req.param('id'), 'id'));
    const asked = c.req.query('version');
    const [versions, current] = await Promise.all([
      listVersions(db, proc.id),
      currentQuestionnaire(db, proc.id),
    ]);
    let shown = current;
    if (asked) {
      shown = await questionnaireAt(db, proc.id, pageId(asked, 'version'));
      if (!shown) throw new ApiError('not_found', `process ${proc.id} has no questionnaire version ${asked}`);
    }
    return send(c, processView(proc, versions, shown && versionView(shown), current && versionView(current)));
  });
  return app;
}
