// cofi dashboard script: loads server-rendered fragments with the saved API key, polls them while work
// runs, and sends the upload, reaudit and cancel actions. Data is never inserted as markup here: fragments
// are escaped by the server, and messages built here use textContent.

const KEY = 'cofi.apiKey';
const TERMINAL = ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'];

const apiKey = () => localStorage.getItem(KEY) || '';
const authHeaders = (extra) => {
  const headers = Object.assign({}, extra || {});
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  return headers;
};

function notice(text) {
  const el = document.querySelector('[data-notice]');
  if (!el) return;
  el.textContent = text || '';
  el.hidden = !text;
}

function showKeyState() {
  const el = document.querySelector('[data-key-state]');
  if (el) el.textContent = apiKey() ? 'key saved in this browser' : 'no key saved';
}

async function errorText(res) {
  try {
    const body = await res.json();
    return `${res.status}: ${body.detail || JSON.stringify(body)}`;
  } catch {
    return `${res.status} ${res.statusText}`;
  }
}

/** Keeps what the reader did (ticked boxes, opened details) when a region is refreshed. */
function snapshot(el) {
  const checked = new Set();
  for (const box of el.querySelectorAll('input[type=checkbox]:checked'))
    checked.add(`${box.name}\u0000${box.value}`);
  const open = new Set();
  for (const d of el.querySelectorAll('details[data-key][open]')) open.add(d.dataset.key);
  return { checked, open, touched: el.dataset.touched === '1' };
}

function restore(el, snap) {
  if (!snap.touched) return;
  for (const box of el.querySelectorAll('input[type=checkbox]')) {
    if (box.name) box.checked = snap.checked.has(`${box.name}\u0000${box.value}`);
  }
  for (const d of el.querySelectorAll('details[data-key]')) d.open = snap.open.has(d.dataset.key);
}

const timers = new WeakMap();

async function load(el) {
  clearTimeout(timers.get(el));
  let live = false;
  try {
    const res = await fetch(el.dataset.src, { headers: authHeaders(), cache: 'no-store' });
    if (res.status === 401 || res.status === 403) {
      notice(`${await errorText(res)}. Enter an API key at the top right.`);
      return;
    }
    if (!res.ok) {
      el.textContent = await errorText(res);
      return;
    }
    const snap = snapshot(el);
    el.innerHTML = await res.text();
    restore(el, snap);
    live = Boolean(el.querySelector('[data-live]'));
    el.dataset.loaded = String(Date.now());
    notice('');
  } catch (err) {
    notice(`cannot reach the API: ${err.message}`);
    live = true; // try again: the API may be restarting
  }
  const every = Number(live ? el.dataset.poll : el.dataset.idlePoll);
  if (every)
    timers.set(
      el,
      setTimeout(() => load(el), document.hidden ? every * 4 : every),
    );
}

function refresh(selector) {
  for (const el of document.querySelectorAll(selector)) void load(el);
}

/** Writes an action's outcome into its output element: a message and an optional link. */
function report(output, ok, text, link) {
  if (!output) return;
  output.textContent = '';
  output.className = `result ${ok ? 'ok' : 'bad'}`;
  output.append(document.createTextNode(text));
  if (link) {
    const a = document.createElement('a');
    a.href = link.href;
    a.textContent = link.text;
    output.append(' ', a);
  }
}

async function upload(form) {
  const output = form.querySelector('[data-result]');
  const files = form.querySelector('input[type=file]').files;
  if (!files.length) return report(output, false, 'choose one or more recordings first');
  const body = new FormData();
  for (const f of files) body.append('files', f, f.name);
  body.append('process_id', form.elements.process_id.value);
  if (form.elements.category_mapping_id.value)
    body.append('category_mapping_id', form.elements.category_mapping_id.value);
  const stages = [...form.querySelectorAll('input[name=stage]:checked')].map((b) => b.value);
  if (!stages.length) return report(output, false, 'choose at least one stage');
  body.append('stages', stages.join(','));
  report(output, true, `uploading ${files.length} file(s)…`);
  const res = await fetch('/audit/upload', { method: 'POST', headers: authHeaders(), body });
  if (!res.ok) return report(output, false, await errorText(res));
  const answer = await res.json();
  report(output, true, `queued ${answer.task_id} with ${answer.files} file(s):`, {
    href: `/ui/batches/${answer.batch_id}`,
    text: `open batch ${answer.batch_id}`,
  });
  form.reset();
  refresh('#batches');
}

async function reaudit(form) {
  const output = form.querySelector('[data-result]');
  const names = [...form.querySelectorAll('input[name=audio_names]:checked')].map((b) => b.value);
  const stages = [...form.querySelectorAll('input[name=stages]:checked')].map((b) => b.value);
  if (!names.length) return report(output, false, 'select one or more calls');
  if (!stages.length) return report(output, false, 'select the stages to re-run');
  const res = await fetch('/reaudit', {
    method: 'POST',
    headers: authHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify({ audio_names: names, stages }),
  });
  if (!res.ok) return report(output, false, await errorText(res));
  const answer = await res.json();
  report(
    output,
    true,
    `queued ${answer.task_id}: ${answer.calls} call(s), stages ${answer.stages.join(', ')}`,
    {
      href: `/ui/batches/${answer.batch_id}`,
      text: 'open the reaudit',
    },
  );
}

async function cancel(button) {
  // Outside the polled summary, so a refresh does not wipe the answer.
  const output = document.querySelector('[data-result=cancel]');
  button.disabled = true;
  const res = await fetch(`/batches/${encodeURIComponent(button.dataset.batch)}/cancel`, {
    method: 'POST',
    headers: authHeaders(),
  });
  if (!res.ok) {
    button.disabled = false;
    return report(output, false, await errorText(res));
  }
  report(output, true, `cancelling ${button.dataset.task}…`);
  refresh('[data-src]');
}

/** Re-runs a batch's failed calls (one reaudit per stage they failed at) and links each reaudit. */
async function retryFailed(button) {
  const output = document.querySelector('[data-result=cancel]');
  button.disabled = true;
  const res = await fetch(`/batches/${encodeURIComponent(button.dataset.batch)}/retry-failed`, {
    method: 'POST',
    headers: authHeaders(),
  });
  button.disabled = false;
  if (!res.ok) return report(output, false, await errorText(res));
  const answer = await res.json();
  report(output, true, `retrying ${answer.failed} failed call(s) of ${answer.task_id}:`);
  for (const r of answer.retries) {
    const a = document.createElement('a');
    a.href = `/ui/batches/${r.batch_id}`;
    a.textContent = `${r.task_id} (${r.calls} from ${r.from_stage})`;
    a.dataset.retry = r.task_id;
    output.append(' ', a);
  }
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  const action = form.dataset.action;
  if (!action) return;
  event.preventDefault();
  const run = { upload, reaudit, 'save-key': saveKey }[action];
  if (run) {
    run(form).catch((err) => report(form.querySelector('[data-result]'), false, `failed: ${err.message}`));
  }
});

async function saveKey(form) {
  const value = form.elements.key.value.trim();
  if (value) localStorage.setItem(KEY, value);
  form.elements.key.value = '';
  showKeyState();
  notice('');
  refresh('[data-src]');
}

document.addEventListener('click', (event) => {
  const target = event.target.closest('[data-action], [data-seek], [data-older], [data-select-all]');
  if (!target) return;
  if (target.dataset.action === 'forget-key') {
    localStorage.removeItem(KEY);
    showKeyState();
  } else if (target.dataset.action === 'cancel') {
    cancel(target).catch((err) => notice(`cancel failed: ${err.message}`));
  } else if (target.dataset.action === 'retry-failed') {
    retryFailed(target).catch((err) => notice(`retry failed: ${err.message}`));
  } else if (target.dataset.seek !== undefined) {
    const player = document.querySelector('[data-player]');
    if (player) {
      player.currentTime = Number(target.dataset.seek);
      void player.play().catch(() => {});
    }
  } else if (target.dataset.older) {
    event.preventDefault();
    const list = document.querySelector('#batches');
    const url = new URL(list.dataset.src, location.origin);
    url.searchParams.set('before', target.dataset.older);
    list.dataset.src = url.pathname + url.search;
    void load(list);
  } else if (target.dataset.selectAll !== undefined) {
    const table = target.closest('table');
    for (const box of table.querySelectorAll('input[name=audio_names]')) box.checked = target.checked;
  }
});

// A region the reader has ticked something in keeps those ticks across refreshes.
document.addEventListener('change', (event) => {
  const region = event.target.closest('[data-src]');
  if (region && event.target.type === 'checkbox') region.dataset.touched = '1';
  const filters = event.target.closest('form[data-filter-for]');
  if (filters) {
    const list = document.getElementById(filters.dataset.filterFor);
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(filters)) if (v) params.set(k, String(v));
    list.dataset.src = `/ui/f/batches${params.size ? `?${params}` : ''}`;
    void load(list);
  }
});

document.addEventListener(
  'toggle',
  (event) => {
    const region = event.target.closest?.('[data-src]');
    if (region) region.dataset.touched = '1';
  },
  true,
);

document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh('[data-src][data-poll]');
});

document.addEventListener('DOMContentLoaded', () => {
  showKeyState();
  refresh('[data-src]');
});

window.cofi = { TERMINAL, authHeaders, errorText };
