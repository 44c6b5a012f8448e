// The fleet page: its shell, and the fragment with a table per kind of node (GPU nodes, LLM endpoints) that
// says who polls each queue, what is at it against its capacity and its last error; orchestrators and audio
// pollers above them.
import type { FleetNode, FleetStatus, FleetView, PollerView, QueueView } from '../queries/fleet.js';
import { age, timestamp } from './format.js';
import { type Html, html } from './html.js';
import { page, type Shell } from './layout.js';

export function fleetShell(shell: Shell): Html {
  return page({
    title: 'Fleet',
    ...shell,
    main: html`<section class="card" id="fleet" data-src="/ui/f/fleet" data-poll="5000"><p class="muted">loading the fleet…</p></section>`,
  });
}

const LABEL: Record<FleetStatus, string> = {
  ok: 'ok',
  no_poller: 'no\u00a0poller',
  erroring: 'erroring',
  unknown: 'unknown',
};
// The batch statuses' colours: red, amber, green, grey.
const COLOUR: Record<FleetStatus, string> = {
  no_poller: 'status-failed',
  erroring: 'status-completedwitherrors',
  ok: 'status-completed',
  unknown: '',
};

function badge(status: FleetStatus): Html {
  const title =
    status === 'no_poller'
      ? 'nobody polls this queue: calls routed here wait'
      : status === 'erroring'
        ? 'its last error is less than 5 minutes old'
        : status === 'unknown'
          ? 'Temporal could not be asked'
          : '';
  return html`<span class="badge ${COLOUR[status]}" data-fleet-status="${status}" title="${title}">${LABEL[status]}</span>`;
}

function pollersCell(pollers: PollerView[] | null, now: number): Html {
  if (pollers === null) return html`<span class="muted">unknown</span>`;
  if (pollers.length === 0) return html`<b class="bad">none</b>`;
  return html`${pollers.map(
    (p) =>
      html`<div data-poller><code>${p.identity}</code>${p.last_access ? html` <span class="muted" title="last poll ${timestamp(p.last_access)}">${age(p.last_access, now)}</span>` : ''}</div>`,
  )}`;
}

function queueFacts(name: string, q: QueueView, now: number): Html {
  return html`<dt>${name}</dt><dd data-queue="${q.task_queue}">${badge(q.status)} <code>${q.task_queue}</code>${q.backlog ? html` <span class="muted">${q.backlog} waiting</span>` : ''}${pollersCell(q.pollers, now)}</dd>`;
}

function agentCell(node: FleetNode, now: number): Html {
  const a = node.agent;
  if (!a) return html`<span class="muted">none</span>`;
  return html`<code>${a.holder}</code><br><span class="muted" title="since ${timestamp(a.since)}, renewed ${timestamp(a.renewed_at)}">since ${age(a.since, now)}</span>${a.expired ? html` <b class="bad" title="expired ${timestamp(a.expires_at)}">lapsed</b>` : ''}`;
}

function lastErrorCell(node: FleetNode, now: number): Html {
  const e = node.last_error;
  if (!e) return html`<span class="muted">none</span>`;
  return html`<time datetime="${e.at}" title="${timestamp(e.at)}">${age(e.at, now)}</time> <span class="tag">${e.stage}</span> ${e.source === 'moved' ? html`<span class="tag">moved off</span> ` : ''}<b>${e.error_type ?? ''}</b> <span class="error">${e.message}</span>${e.call_id ? html` <a href="/ui/calls/${e.call_id}">call ${e.call_id}</a>` : ''}`;
}

function nodeTable(title: string, nodes: FleetNode[], now: number): Html {
  if (nodes.length === 0) return html`<h2>${title}</h2><p class="muted">None configured.</p>`;
  return html`<h2>${title}</h2>
<table class="fleet" data-kind="${nodes[0]?.kind}">
<thead><tr><th>node</th><th>status</th><th>pollers</th><th title="calls at the node's stages now (served, or waiting for a slot or in its queue) of its capacity">in flight / capacity</th><th title="tasks Temporal holds in the queue">backlog</th><th>agent</th><th>last error</th></tr></thead>
<tbody>${nodes.map(
    (n) => html`<tr data-node="${n.id}" data-status="${n.status}">
  <td><b>${n.id}</b>${n.simulated ? html` <span class="tag" title="answered by cofi's simulator">simulated</span>` : ''}<br><span class="muted">${n.stages.join(', ')} · ${n.model}</span><br><code class="url">${n.url}</code></td>
  <td>${badge(n.status)}</td>
  <td>${pollersCell(n.pollers, now)}</td>
  <td class="num" data-in-flight="${n.in_flight}"><b>${n.in_flight}</b> / ${n.capacity}</td>
  <td class="num">${n.backlog ?? ''}</td>
  <td>${agentCell(n, now)}</td>
  <td>${lastErrorCell(n, now)}</td>
</tr>`,
  )}</tbody>
</table>`;
}

export function fleetView(view: FleetView, now = Date.now()): Html {
  const silent = [
    ...(view.orchestrators.status === 'no_poller' ? ['the orchestrators (workflows)'] : []),
    ...(view.audio.status === 'no_poller' ? ['the audio queue'] : []),
    ...view.nodes.filter((n) => n.status === 'no_poller').map((n) => n.id),
  ];
  return html`<span data-live hidden></span>
<div class="row"><h1>Fleet</h1><span class="muted">checked ${timestamp(view.checked_at)}</span></div>
${view.temporal_error ? html`<p class="result bad" data-temporal-error>Temporal could not be asked: ${view.temporal_error}. Pollers are unknown; the rest is from the database.</p>` : ''}
${silent.length ? html`<p class="result bad" data-no-poller>No poller on ${silent.join(', ')}: their work waits until one starts (calls of a node move to a polled one after STAGE_SCHEDULE_TO_START_MS).</p>` : ''}
<dl class="facts">
${queueFacts('orchestrators', view.orchestrators, now)}
${queueFacts('audio', view.audio, now)}
</dl>
${nodeTable(
  'GPU nodes',
  view.nodes.filter((n) => n.kind === 'gpu'),
  now,
)}
${nodeTable(
  'LLM endpoints',
  view.nodes.filter((n) => n.kind === 'llm'),
  now,
)}`;
}
