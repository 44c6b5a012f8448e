// Fragments of the batches page: the list with a progress bar per stage, and the upload form.
import { emptyCount, type StageCount } from '../../core/progress.js';
import { AUDIT_STAGES, type BatchStatus, isTerminal } from '../../core/stages.js';
import type { BatchSummary } from '../schemas.js';
import { age, timestamp } from './format.js';
import { type Html, html } from './html.js';

export const isRunning = (status: BatchStatus) => !isTerminal(status);

export function statusBadge(status: string): Html {
  return html`<span class="badge status-${status.toLowerCase()}">${status}</span>`;
}

/** A stage's bar: how many calls are through it (done, failed, skipped or cancelled) of those meant to pass it. */
export function stageBar(stage: string, count: StageCount | undefined, status?: string): Html {
  const c = count ?? emptyCount(0);
  const silent = c.no_speech ?? 0;
  const through = c.done + silent + c.failed + c.skipped + c.cancelled;
  const problems = c.failed + c.skipped;
  return html`<div class="stage${problems ? ' has-errors' : ''}" data-stage="${stage}" title="${stage}: ${c.done} done, ${silent ? `${silent} without speech, ` : ''}${c.failed} failed, ${c.skipped} skipped, ${c.cancelled} cancelled of ${c.total}${status ? ` (${status})` : ''}">
  <span class="stage-name">${stage}</span>
  <progress max="${Math.max(c.total, 1)}" value="${through}"></progress>
  <span class="stage-count">${c.done + silent}/${c.total}${c.failed ? html` <b class="bad">${c.failed}✗</b>` : ''}${c.cancelled ? html` <i class="muted">${c.cancelled} cancelled</i>` : ''}</span>
</div>`;
}

export function batchList(
  batches: BatchSummary[],
  nextBefore: number | null,
  query: string,
  now = Date.now(),
): Html {
  const live = batches.some((b) => isRunning(b.status));
  if (batches.length === 0)
    return html`<p class="muted">No batches${query ? ' match the filter' : ' yet: upload recordings above'}.</p>`;
  return html`${live ? html`<span data-live hidden></span>` : ''}
<table class="batches">
<thead><tr><th>batch</th><th>kind</th><th>status</th><th>age</th><th>files</th><th>stages</th></tr></thead>
<tbody>
${batches.map(
  (b) => html`<tr data-batch="${b.batch_id}" data-status="${b.status}">
  <td><a href="/ui/batches/${b.batch_id}">${b.task_id}</a></td>
  <td>${b.kind}</td>
  <td>${statusBadge(b.status)}</td>
  <td><time datetime="${b.created_at}" title="${timestamp(b.created_at)}">${age(b.created_at, now)}</time></td>
  <td class="num">${b.completed}/${b.total_files}${b.failed ? html` <b class="bad">${b.failed} failed</b>` : ''}</td>
  <td class="stages">${b.stages.map((s) => stageBar(s, b.progress[s], b.stage_status[s]))}</td>
</tr>`,
)}
</tbody>
</table>
${nextBefore ? html`<p><a class="button" href="#" data-older="${nextBefore}">older batches</a></p>` : ''}`;
}

type Choice = { id: number; name: string };

export function uploadForm(processes: (Choice & { active: boolean })[], mappings: Choice[]): Html {
  const stages = AUDIT_STAGES.filter((s) => s !== 'distribute');
  return html`<h2>Upload recordings</h2>
<form class="upload" data-action="upload" enctype="multipart/form-data">
  <label>recordings <input type="file" name="files" multiple required accept="audio/*,.wav,.mp3,.ogg,.opus,.flac,.m4a"></label>
  <label>process <select name="process_id" required>${processes
    .filter((p) => p.active)
    .map((p) => html`<option value="${p.id}">${p.id} · ${p.name}</option>`)}</select></label>
  <label>category mapping <select name="category_mapping_id">${mappings.map(
    (m) => html`<option value="${m.id}">${m.id} · ${m.name}</option>`,
  )}</select></label>
  <fieldset class="inline"><legend>stages</legend>${stages.map(
    (s) => html`<label><input type="checkbox" name="stage" value="${s}" checked> ${s}</label>`,
  )}</fieldset>
  <button type="submit">Upload and audit</button>
  <output class="result" data-result></output>
</form>`;
}
