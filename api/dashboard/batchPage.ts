// Fragments of a batch page: summary with per-stage counts and timings, calls with the reaudit form,
// the event timeline and the failures with the request that failed.
import { REAUDIT_STAGES } from '../../core/stages.js';
import type { StuckCall } from '../../lifecycle/stuck.js';
import type { BatchDetail, BatchEvent, CallSummary, Failure } from '../schemas.js';
import { isRunning, stageBar, statusBadge } from './batchList.js';
import { duration, score, timestamp } from './format.js';
import { type Html, html } from './html.js';

/** `stuck`: its calls far longer in a stage than usual (lifecycle/stuck.ts), shown while it runs. */
export function batchSummaryView(b: BatchDetail, stuck: StuckCall[] = []): Html {
  const running = isRunning(b.status);
  const stages = Object.keys(b.stage_status);
  return html`${running ? html`<span data-live hidden></span>` : ''}
<div class="row">
  <h1>${b.task_id} ${statusBadge(b.status)}</h1>
  <div class="actions">
    ${
      running
        ? html`<button type="button" class="danger" data-action="cancel" data-batch="${b.batch_id}" data-task="${b.task_id}">Cancel batch</button>`
        : ''
    }
    ${
      !running && b.failed > 0
        ? html`<button type="button" data-action="retry-failed" data-batch="${b.batch_id}" data-task="${b.task_id}" title="re-run each call whose latest run failed, from the stage it failed at">Retry ${b.failed} failed call${b.failed === 1 ? '' : 's'}</button>`
        : ''
    }
    <a class="button" href="${b.temporal_url}" target="_blank" rel="noopener noreferrer" data-temporal="batch">Workflow in Temporal Web UI</a>
    <a class="button" href="${b.temporal_workflows_url}" target="_blank" rel="noopener noreferrer" data-temporal="workflows">Its call workflows</a>
  </div>
</div>
<dl class="facts">
  <dt>kind</dt><dd>${b.kind}</dd>
  <dt>files</dt><dd>${b.completed} completed${b.no_speech ? html` (${b.no_speech} without speech)` : ''}, ${b.failed} failed${b.cancelled ? html`, ${b.cancelled} cancelled` : ''} of ${b.total_files}${running ? html`, ${b.in_flight} in flight` : ''}</dd>
  <dt>process</dt><dd>${b.process_id ?? '—'}</dd>
  <dt>category mapping</dt><dd>${b.category_mapping_id ?? '—'}</dd>
  <dt>created</dt><dd>${timestamp(b.created_at)}</dd>
  <dt>started</dt><dd>${timestamp(b.started_at) || '—'}</dd>
  <dt>finished</dt><dd>${timestamp(b.completed_at) || '—'}</dd>
  <dt>workflow</dt><dd><code>${b.workflow_id}</code></dd>
  ${b.exit_reason ? html`<dt>ended because</dt><dd>${b.exit_reason}</dd>` : ''}
</dl>
${stuckView(stuck)}
<table class="stage-table">
<thead><tr><th>stage</th><th>status</th><th>progress</th><th>done</th><th title="calls without speech: nothing to send">no speech</th><th>failed</th><th>skipped</th><th>cancelled</th><th>total</th><th>started</th><th>finished</th><th>took</th></tr></thead>
<tbody>${stages.map((s) => {
    const count = b.progress[s as keyof typeof b.progress];
    const timing = b.stage_timings[s as keyof typeof b.stage_timings];
    return html`<tr data-stage-row="${s}">
  <td>${s}</td><td>${b.stage_status[s]}</td><td>${stageBar(s, count)}</td>
  <td class="num">${count?.done ?? 0}</td><td class="num">${count?.no_speech ?? 0}</td><td class="num">${count?.failed ?? 0}</td><td class="num">${count?.skipped ?? 0}</td><td class="num">${count?.cancelled ?? 0}</td>
  <td class="num">${count?.total ?? 0}</td>
  <td>${timestamp(timing?.started_at)}</td><td>${timestamp(timing?.completed_at)}</td><td>${duration(timing?.seconds)}</td>
</tr>`;
  })}</tbody>
</table>`;
}

/** The stuck calls of a running batch: a warning with each call, its stage, and how long against usual. */
function stuckView(stuck: StuckCall[]): Html {
  if (stuck.length === 0) return html``;
  return html`<div class="stuck" data-stuck="${stuck.length}">
<p class="bad"><b>${stuck.length} stuck call${stuck.length === 1 ? '' : 's'}</b>: in one stage far longer than that stage usually takes.</p>
<ul>${stuck.map(
    (s) =>
      html`<li data-stuck-call="${s.callId}"><a href="/ui/calls/${s.callId}">${s.audioName}</a> in <b>${s.stage}</b> for ${duration(s.seconds)} (usually ${s.medianSeconds === null ? 'unknown' : duration(s.medianSeconds)}; flagged after ${duration(s.thresholdSeconds)})</li>`,
  )}</ul>
</div>`;
}

export function callsView(calls: CallSummary[], running: boolean): Html {
  if (calls.length === 0) return html`<h2>Calls</h2><p class="muted">No calls.</p>`;
  return html`${running ? html`<span data-live hidden></span>` : ''}
<form class="reaudit" data-action="reaudit">
<div class="row">
  <h2>Calls</h2>
  <fieldset class="inline"><legend>reaudit the selected calls from</legend>${REAUDIT_STAGES.map(
    (s) => html`<label><input type="checkbox" name="stages" value="${s}"> ${s}</label>`,
  )}<button type="submit">Reaudit</button></fieldset>
</div>
<output class="result" data-result></output>
<table class="calls">
<thead><tr><th><input type="checkbox" data-select-all title="select all"></th><th>call</th><th>agent</th><th>status</th><th>stage</th><th>language</th><th>category</th><th>score</th><th>failed at</th><th>error</th></tr></thead>
<tbody>${calls.map(
    (c) => html`<tr data-call="${c.call_id}" data-status="${c.status}">
  <td><input type="checkbox" name="audio_names" value="${c.audio_name}"></td>
  <td><a href="/ui/calls/${c.call_id}">${c.audio_name}</a></td>
  <td data-agent>${c.agent_id ?? ''}</td>
  <td>${statusBadge(c.status)}</td><td>${c.stage ?? ''}</td><td>${c.lang ?? ''}</td>
  <td>${c.category ?? ''}${c.sub_category ? html` / ${c.sub_category}` : ''}</td>
  <td class="num">${c.skip_reason === 'no_speech' ? html`<span class="muted" data-skip="no_speech">no speech</span>` : score(c.score)}${c.critical_failure ? html` <span class="badge critical" data-critical-failure title="failed on a critical item: a critical question was answered no">critical</span>` : ''}</td><td>${c.failed_stage ?? ''}</td><td class="error">${c.error_message ?? ''}</td>
</tr>`,
  )}</tbody>
</table>
</form>`;
}

export function eventsView(events: BatchEvent[], running: boolean): Html {
  return html`${running ? html`<span data-live hidden></span>` : ''}<h2>Timeline</h2>
${
  events.length === 0
    ? html`<p class="muted">No events yet.</p>`
    : html`<ol class="timeline">${events.map(
        (e) => html`<li class="event-${e.event_type}">
  <time datetime="${e.created_at}">${timestamp(e.created_at)}</time>
  <span class="tag">${e.stage}</span> <span class="tag">${e.event_type}</span> ${e.message ?? ''}
  ${e.call_id ? html` <a href="/ui/calls/${e.call_id}">call ${e.call_id}</a>` : ''}
</li>`,
      )}</ol>`
}`;
}

export function failuresView(failures: Failure[], running: boolean): Html {
  return html`${running ? html`<span data-live hidden></span>` : ''}<h2>Failures</h2>
${
  failures.length === 0
    ? html`<p class="muted">No failures.</p>`
    : html`<table class="failures">
<thead><tr><th>call</th><th>stage</th><th>error</th><th>request</th></tr></thead>
<tbody>${failures.map(
        (f) => html`<tr data-failure="${f.id}">
  <td>${f.call_id ? html`<a href="/ui/calls/${f.call_id}">${f.audio_name ?? f.call_id}</a>` : (f.audio_name ?? '')}</td>
  <td>${f.stage}${f.temporal_url ? html` <a href="${f.temporal_url}" target="_blank" rel="noopener noreferrer" data-temporal="failure" title="the call's workflow in this batch, in the Temporal Web UI">workflow</a>` : ''}</td>
  <td><b>${f.error_type ?? ''}</b> ${f.error_message ?? ''}${f.attempts ? html` <span class="muted">(${f.attempts} attempts)</span>` : ''}</td>
  <td><code class="url">${f.request_url ?? ''}</code>
    <details data-key="failure-${f.id}"><summary>payload</summary><pre>${JSON.stringify(f.input_payload, null, 2)}</pre></details></td>
</tr>`,
      )}</tbody>
</table>`
}`;
}
