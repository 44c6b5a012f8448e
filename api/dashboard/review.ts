// The call page's review and versions regions (issue 15 items 2 and 4), and their routes: per answer the AI's
// answer, the effective one and a form to override it with a reason (reviewer or operator key); answers flagged
// "AI answer changed since review" with a confirm button; the history of every override; the call's result
// versions with a diff of two. Forms are sent by assets/review.js; the fragments need a read key.
import { type Context, Hono } from 'hono';
import { ANSWERS } from '../../core/inference/questionnaire.js';
import { type ReviewState, reviewOf } from '../../lifecycle/overrides.js';
import { diffVersions, listVersions, type VersionDiff, type VersionFull } from '../../lifecycle/versions.js';
import { noteAccess } from '../accessTrail.js';
import type { AudioLinks } from '../audioLink.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { idString } from '../openapi.js';
import { callDetail, findCall } from '../queries/calls.js';
import type { CallDetail } from '../schemas.js';
import { temporalLinks } from '../temporalLinks.js';
import { score, timestamp } from './format.js';
import { type Html, html } from './html.js';

/** The answers each question type takes (the API's answer_type is a plain string). */
const OPTIONS: Readonly<Record<string, readonly string[]>> = ANSWERS;

const answerBadge = (answer: string | null) =>
  answer === null
    ? html`<span class="muted">—</span>`
    : html`<span class="badge answer-${answer}">${answer}</span>`;

export function reviewView(d: CallDetail, r: ReviewState): Html {
  const id = d.call.call_id;
  if (d.call.status === 'Erased') return html``;
  if (!d.answers.length)
    return html`<h2>Review</h2><p class="muted">no answers yet: there is nothing to review</p>`;
  const byQuestion = new Map(r.answers.map((a) => [a.question_id, a]));
  const codeOf = new Map(d.answers.map((a) => [a.question_id, a.code]));
  return html`<div class="row"><h2>Review</h2>
<div class="actions">${
    r.reviewed
      ? html`<span class="muted" data-reviewed>reviewed by ${r.reviewed.reviewed_by} · ${timestamp(r.reviewed.reviewed_at)}</span>`
      : html`<form data-review="mark" data-url="/calls/${id}/review"><button type="submit">Mark reviewed</button></form>`
  }</div></div>
${
  r.ai_changed
    ? html`<p class="bad" data-ai-changed="${r.ai_changed}">${r.ai_changed} answer(s): AI answer changed since review. A reaudit's AI answered differently from the answer the reviewer overrode; the override still applies until it is confirmed or overridden again.</p>`
    : ''
}${
  r.not_carried
    ? html`<div class="bad" data-not-carried="${r.not_carried}"><p>${r.not_carried} override(s) not carried: question changed. A reaudit scored the call with a questionnaire version that has no question of the same code and answer type, so these verdicts no longer apply.</p><ul>${r.answers
        .filter((v) => v.not_carried)
        .map(
          (v) =>
            html`<li data-not-carried-question="${v.question_id}">question ${v.question_id}: ${v.answer} (AI ${v.ai_answer}) · ${v.not_carried} <form data-review="confirm" data-url="/calls/${id}/answers/${v.question_id}/confirm" class="inline"><button type="submit" data-acknowledge>Acknowledge</button></form></li>`,
        )}</ul></div>`
    : ''
}
<p class="muted">An override changes the answer the score is computed from (the call score is recomputed); the AI's answer is kept. A reviewer or operator key is needed.</p>
<table class="review-answers">
<thead><tr><th>question</th><th>AI</th><th>effective</th><th>score</th><th>override</th></tr></thead>
<tbody>${d.answers.map((a) => {
    const v = byQuestion.get(a.question_id);
    const ai = v ? (v.ai_changed ? (v.new_ai_answer ?? v.ai_answer) : v.ai_answer) : a.answer;
    return html`<tr data-review-question="${a.code}"${v?.ai_changed ? html` data-flagged` : ''}>
  <td>${a.question}</td>
  <td data-ai>${answerBadge(ai)}${
    v?.ai_changed ? html`<br><span class="muted">was ${v.ai_answer} at review</span>` : ''
  }</td>
  <td data-effective>${answerBadge(a.answer)}${v && v.answer !== v.ai_answer ? html` <span class="badge" data-overridden>overridden</span>` : ''}</td>
  <td class="num">${score(a.score)} / ${score(a.max_score)}</td>
  <td>${
    v?.ai_changed
      ? html`<form data-review="confirm" data-url="/calls/${id}/answers/${a.question_id}/confirm" class="inline"><button type="submit" data-confirm>Confirm override</button></form>`
      : ''
  }<form data-review="override" data-url="/calls/${id}/answers/${a.question_id}/override" class="inline override">
    <select name="answer" aria-label="answer">${(OPTIONS[a.answer_type] ?? []).map(
      (o) => html`<option value="${o}"${o === a.answer ? html` selected` : ''}>${o}</option>`,
    )}</select>
    <input name="reason" required maxlength="2000" placeholder="reason" aria-label="reason">
    <button type="submit">Override</button>
  </form></td>
</tr>`;
  })}</tbody>
</table>
<h3>History</h3>${
    r.history.length
      ? html`<table class="history" data-history>
<thead><tr><th>when</th><th>who</th><th>question</th><th>action</th><th>AI</th><th>before → after</th><th>score</th><th>reason</th></tr></thead>
<tbody>${r.history.map(
          (h) => html`<tr data-history-row="${h.id}">
  <td>${timestamp(h.at)}</td><td>${h.by} <span class="muted">(${h.role})</span></td>
  <td><code>${codeOf.get(h.question_id) ?? h.question_id}</code></td><td>${h.kind}</td><td>${h.ai_answer}</td>
  <td>${h.before} → ${h.after}</td><td class="num">${score(h.score_before)} → ${score(h.score_after)}</td>
  <td>${h.reason}</td>
</tr>`,
        )}</tbody></table>`
      : html`<p class="muted">no overrides yet</p>`
  }`;
}

export function versionsView(id: number, versions: VersionFull[], diff: VersionDiff | null): Html {
  const options = (selected: number) =>
    versions.map(
      (v) =>
        html`<option value="${v.version}"${v.version === selected ? html` selected` : ''}>${v.version}${v.current ? ' (current)' : ''}</option>`,
    );
  return html`<h2>Versions</h2>
<table class="versions" data-versions="${versions.length}">
<thead><tr><th>version</th><th>results</th><th>replaced</th><th>models</th><th>prompts</th><th>questionnaire</th><th>score</th></tr></thead>
<tbody>${versions.map(
    (v) => html`<tr data-version="${v.version}">
  <td class="num">${v.version}${v.current ? html` <span class="badge">current</span>` : ''}</td>
  <td>${timestamp(v.created_at)}</td>
  <td>${v.current ? html`<span class="muted">—</span>` : html`${timestamp(v.replaced_at)} <span class="muted">${v.reason}</span>`}</td>
  <td>${Object.entries(v.models)
    .filter(([, m]) => m)
    .map(([s, m]) => `${s}: ${m}`)
    .join(', ')}</td>
  <td>${Object.entries(v.prompt_versions)
    .filter(([, p]) => p)
    .map(([s, p]) => `${s}: ${p}`)
    .join(', ')}</td>
  <td>${v.questionnaire_version_id ?? ''}</td>
  <td class="num">${score(v.score)}</td>
</tr>`,
  )}</tbody></table>
${
  versions.length < 2
    ? html`<p class="muted">one version only: a reaudit keeps the results it replaces as a version</p>`
    : html`<form data-review="diff" data-target="versions" data-base="/ui/f/calls/${id}/versions" class="filters">
  <label>from <select name="from">${options(diff?.from ?? versions.length - 1)}</select></label>
  <label>to <select name="to">${options(diff?.to ?? versions.length)}</select></label>
  <button type="submit">Compare</button>
</form>
${diff ? diffView(diff) : ''}`
}`;
}

function diffView(d: VersionDiff): Html {
  return html`<div data-diff="${d.from}-${d.to}">
<p>version ${d.from} → ${d.to}: score ${score(d.score_before)} → ${score(d.score_after)} · ${d.changed.length} answer(s) changed, ${d.unchanged} unchanged${d.transcript_changed ? ' · transcript changed' : ''}${d.analysis_changed ? ' · analysis changed' : ''}</p>${
    d.changed.length
      ? html`<table class="version-diff"><thead><tr><th>question</th><th>before</th><th>after</th><th>score</th></tr></thead>
<tbody>${d.changed.map(
          (c) => html`<tr data-changed="${c.code ?? c.question_id}">
  <td>${c.question ?? c.question_id}</td><td>${answerBadge(c.before)}</td><td>${answerBadge(c.after)}</td>
  <td class="num">${score(c.score_before)} → ${score(c.score_after)} / ${score(c.max_score)}</td>
</tr>`,
        )}</tbody></table>`
      : html`<p class="muted">no answer changed</p>`
  }</div>`;
}

function pageId(raw: string | undefined, name = 'id'): number {
  const parsed = idString(name).safeParse(raw ?? '');
  if (!parsed.success) throw new ApiError('validation_error', `${name}: ${parsed.error.issues[0]?.message}`);
  return parsed.data;
}

/** The review and versions fragments of a call page. */
export function reviewDashboard(deps: ApiDeps, links: AudioLinks) {
  const app = new Hono();
  const db = deps.database.db;
  const temporal = temporalLinks(deps.config);
  const send = (c: Context, body: Html) => c.html(body.value);
  app.get('/ui/f/calls/:id/review', async (c) => {
    const row = await findCall(db, pageId(c.req.param('id')));
    noteAccess(c, { batchId: row.batchId });
    if (row.status === 'Erased') return send(c, html``);
    const [detail, review] = await Promise.all([
      callDetail(db, row, links.url(row.id), temporal),
      reviewOf(db, row.id),
    ]);
    return send(c, reviewView(detail, review));
  });
  app.get('/ui/f/calls/:id/versions', async (c) => {
    const row = await findCall(db, pageId(c.req.param('id')));
    noteAccess(c, { batchId: row.batchId });
    if (row.status === 'Erased') return send(c, html``);
    const versions = await listVersions(db, row.id);
    let diff: VersionDiff | null = null;
    if (versions.length >= 2) {
      const to = c.req.query('to') ? pageId(c.req.query('to'), 'to') : versions.length;
      const from = c.req.query('from') ? pageId(c.req.query('from'), 'from') : to - 1;
      const a = versions[from - 1];
      const b = versions[to - 1];
      if (a && b && from !== to) diff = diffVersions(row.id, a, b);
    }
    return send(c, versionsView(row.id, versions, diff));
  });
  return app;
}
