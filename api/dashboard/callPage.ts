// Fragments of a call page: the player (loaded once so playback is never interrupted) and the results:
// language, transcript with timestamps, analysis, questionnaire answers with evidence, call score.
import type { CallDetail } from '../schemas.js';
import { statusBadge } from './batchList.js';
import { clock, duration, score } from './format.js';
import { type Html, html } from './html.js';

const RUNNING = new Set(['Queued', 'InProgress', 'Pending']);

export function playerView(d: CallDetail): Html {
  const c = d.call;
  if (c.status === 'Erased') return erasedView(d);
  return html`<div class="row">
  <h1>${c.audio_name} ${statusBadge(c.status)}</h1>
  <div class="actions">
    ${d.batch ? html`<a class="button" href="/ui/batches/${d.batch.batch_id}">${d.batch.task_id}</a>` : ''}
    <a class="button" href="${d.temporal_url}" target="_blank" rel="noopener noreferrer" data-temporal="call">Its workflows in Temporal Web UI</a>
  </div>
</div>
${
  d.audio_url === null
    ? html`<p class="muted" id="recording-expired">The recording expired by retention (the process's policy); the results below are what is kept.</p>`
    : html`<audio controls preload="metadata" src="${d.audio_url}" data-player></audio>`
}
<p class="muted">${duration(c.duration)} · ${c.audio_format ?? ''} · GPU node ${c.gpu_node ?? '—'} · process ${d.process ? `${d.process.id} · ${d.process.name}` : c.process_id}</p>
${metadataView(d)}`;
}

/** The call's metadata (given at upload or by a daily sidecar), when it has any. */
function metadataView(d: CallDetail): Html {
  const c = d.call;
  const rows: [string, string, string | null][] = [
    ['agent', 'agent_id', c.agent_id],
    ['team', 'team', c.team],
    ['customer reference', 'customer_reference', c.customer_reference],
    ['call started', 'call_started_at', c.call_started_at],
    ['direction', 'direction', c.direction],
  ];
  if (rows.every(([, , value]) => value === null)) return html``;
  return html`<dl class="facts" id="call-metadata">${rows
    .filter(([, , value]) => value !== null)
    .map(([label, field, value]) => html`<dt>${label}</dt><dd data-metadata="${field}">${value}</dd>`)}</dl>`;
}

/** An erased call: its tombstone only (no name, no player: its recording and results are gone). */
function erasedView(d: CallDetail): Html {
  return html`<div class="row">
  <h1 data-erased>call ${d.call.call_id} ${statusBadge(d.call.status)}</h1>
  <div class="actions">
    ${d.batch ? html`<a class="button" href="/ui/batches/${d.batch.batch_id}">${d.batch.task_id}</a>` : ''}
  </div>
</div>
<p class="muted">erased: its recording, transcript, analysis and answers were removed (GET /calls/${d.call.call_id} says when and by which key)</p>`;
}

export function callView(d: CallDetail): Html {
  const c = d.call;
  if (c.status === 'Erased')
    return html`<section class="card" id="erased"><h2>Erased</h2><p class="muted" data-erased>erased: nothing of this call is kept but its id, its batch and its place in the batch's counts</p></section>`;
  const maxTotal = d.answers.reduce((sum, a) => sum + a.max_score, 0);
  return html`${RUNNING.has(c.status) ? html`<span data-live hidden></span>` : ''}
<div class="columns">
<section class="card" id="language"><h2>Language</h2>${
    d.lid
      ? html`<p class="big" data-lang="${d.lid.lang}">${d.lid.lang}${
          d.lid.confidence !== null
            ? html` <span class="muted">confidence ${(d.lid.confidence * 100).toFixed(0)}%</span>`
            : ''
        }</p>
<p class="muted">${d.lid.speech ? (d.lid.supported ? 'supported' : 'not supported: STT was not run') : 'no speech heard: a guess on silence'} · by ${d.lid.source}${d.lid.detected_raw ? ` · server said "${d.lid.detected_raw}"` : ''}</p>`
      : html`<p class="muted">not identified yet</p>`
  }
${c.failed_stage ? html`<p class="bad">failed at ${c.failed_stage}: ${c.error_message ?? ''}</p>` : ''}</section>
<section class="card" id="score"><h2>Call score</h2>${
    d.score !== null
      ? html`<p class="big" data-score>${score(d.score)} <span class="muted">/ 100</span></p>${criticalView(d)}${
          d.questionnaire
            ? html`<p class="muted" data-questionnaire-version="${d.questionnaire.version}">scored with <a href="/ui/questionnaires/${c.process_id}">questionnaire version ${d.questionnaire.version}</a></p>`
            : ''
        }`
      : c.skip_reason === 'no_speech'
        ? html`<p class="big" data-skip="no_speech">no speech</p><p class="muted">the recording holds no speech: nothing was sent to the LLMs, so there is no analysis and no score</p>`
        : html`<p class="muted">not scored yet</p>`
  }</section>
</div>
${modelsView(d)}
<section class="card" id="analysis"><h2>Analysis</h2>${
    d.analysis
      ? html`<p>${d.analysis.summary}</p>
<dl class="facts"><dt>category</dt><dd>${d.analysis.category ?? '—'}${d.analysis.sub_category ? html` / ${d.analysis.sub_category}` : ''}</dd>
<dt>sentiment</dt><dd>${d.analysis.sentiment ?? '—'}</dd></dl>
${d.analysis.key_facts?.length ? html`<ul>${d.analysis.key_facts.map((f) => html`<li>${f}</li>`)}</ul>` : ''}`
      : html`<p class="muted">not analysed yet</p>`
  }</section>
<section class="card" id="answers"><h2>Questionnaire</h2>${
    d.answers.length
      ? html`<table class="answers">
<thead><tr><th>#</th><th>question</th><th>answer</th><th>evidence</th><th>score</th></tr></thead>
<tbody>${d.answers.map(
          (
            a,
          ) => html`<tr data-question="${a.code}"${a.critical ? html` data-critical="${a.critical && a.answer === 'no' ? 'failed' : 'passed'}"` : ''}>
  <td class="num">${a.position}</td><td>${a.question}${a.critical ? html` <span class="badge critical" title="critical: the answer no sets the call score to 0">critical</span>` : ''}</td><td><span class="badge answer-${a.answer}">${a.answer}</span></td>
  <td class="evidence">${a.evidence ?? ''}</td><td class="num">${score(a.score)} / ${score(a.max_score)}</td>
</tr>`,
        )}</tbody>
<tfoot><tr><td></td><td colspan="3">weighted call score</td><td class="num">${score(d.score)} / 100 <span class="muted">(${score(
          d.answers.reduce((sum, a) => sum + a.score, 0),
        )} of ${score(maxTotal)} points)</span></td></tr></tfoot>
</table>`
      : html`<p class="muted">no answers yet</p>`
  }</section>
<section class="card" id="transcript"><h2>Transcript</h2>${
    d.transcript
      ? html`<p class="muted">${d.transcript.lang ?? ''} · ${d.transcript.model ?? ''} · ${duration(d.transcript.duration)}</p>
${redactionView(d.transcript)}
<ol class="segments">${d.transcript.segments.map(
          (s) =>
            html`<li><button type="button" class="seek" data-seek="${s.start}">${clock(s.start)}–${clock(s.end)}</button>${
              s.speaker ? html` <b>${s.speaker}</b>` : ''
            } <span>${s.text}</span></li>`,
        )}</ol>`
      : html`<p class="muted">not transcribed yet</p>`
  }</section>`;
}

/** What redaction replaced in the transcript, by type and time (never the values): a button seeks to it. */
function redactionView(t: NonNullable<CallDetail['transcript']>): Html {
  const r = t.redaction;
  if (!r.redacted_at)
    return html`<p class="bad" data-redaction="none">not redacted yet: no LLM has read this transcript</p>`;
  const kept = r.original_kept ? html` · the unredacted original is kept` : '';
  if (r.entities.length === 0)
    return html`<p class="muted" data-redaction="0">redacted: nothing to replace${kept}</p>`;
  return html`<p class="muted" data-redaction="${r.entities.length}">redacted: ${r.entities.map(
    (e, i) =>
      html`${i ? ' ' : ''}${
        e.start === null
          ? html`<span>${e.placeholder}</span>`
          : html`<button type="button" class="seek" data-seek="${e.start}">${e.placeholder} ${clock(e.start)}</button>`
      }`,
  )}${kept}</p>`;
}

/** A critical question answered `no`: the score is 0 whatever the other answers, and the card says why. */
function criticalView(d: CallDetail): Html {
  if (d.critical_failures.length === 0) return html``;
  const byCode = new Map(d.answers.map((a) => [a.code, a.question]));
  return html`<p class="bad" data-critical-failure="${d.critical_failures.join(',')}"><b>failed on a critical item</b>: ${d.critical_failures.map(
    (code, i) => html`${i ? ', ' : ''}<span title="${byCode.get(code) ?? ''}">${code}</span>`,
  )} answered no, so the score is 0</p>`;
}

/** Which model produced each result: the speech model (LID and STT) and the LLMs of analysis and answers. */
function modelsView(d: CallDetail): Html {
  const answerModels = [...new Set(d.answers.map((a) => a.model).filter((m): m is string => !!m))];
  const rows: [string, string, string | null | undefined][] = [
    ['speech (LID, STT)', 'stt', d.transcript?.model],
    ['analysis (LLM1)', 'llm1', d.analysis?.model],
    ['answers (LLM2)', 'llm2', answerModels.join(', ') || null],
  ];
  if (rows.every(([, , model]) => !model)) return html``;
  return html`<section class="card" id="models"><h2>Models</h2><dl class="facts">${rows.map(
    ([label, stage, model]) =>
      html`<dt>${label}</dt><dd data-model="${stage}">${model ?? html`<span class="muted">—</span>`}${
        stage === 'stt' && d.transcript?.gpu_node
          ? html` <span class="muted">on ${d.transcript.gpu_node}</span>`
          : ''
      }</dd>`,
  )}</dl></section>`;
}
