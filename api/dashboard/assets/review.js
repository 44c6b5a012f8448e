// cofi dashboard: the review forms of a call page (override, confirm, mark reviewed), the version diff and the
// agreement filters. Loaded after app.js (window.cofi: authHeaders, errorText). Fragments are escaped by the
// server; messages built here use textContent.

(() => {
  const { authHeaders, errorText } = window.cofi;

  function say(ok, text) {
    const output = document.querySelector('[data-result=review]');
    if (!output) return;
    output.textContent = text;
    output.className = `result ${ok ? 'ok' : 'bad'}`;
  }

  /** Reloads a region from its data-src (app.js's loader is private to it). */
  async function reload(el) {
    const res = await fetch(el.dataset.src, { headers: authHeaders(), cache: 'no-store' });
    el.innerHTML = res.ok ? await res.text() : '';
    if (!res.ok) el.textContent = await errorText(res);
    el.dataset.loaded = String(Date.now());
  }
  const reloadAll = () =>
    Promise.all(
      ['#call', '#review', '#versions']
        .map((s) => document.querySelector(s))
        .filter(Boolean)
        .map(reload),
    );

  async function post(form) {
    const body = {};
    for (const [k, v] of new FormData(form)) if (String(v).trim()) body[k] = String(v);
    const what = form.dataset.review;
    if (what === 'override' && !body.reason) return say(false, 'say why: a reason is required');
    const button = form.querySelector('button');
    if (button) button.disabled = true;
    const res = await fetch(form.dataset.url, {
      method: 'POST',
      headers: authHeaders({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    });
    if (!res.ok) {
      if (button) button.disabled = false;
      return say(false, await errorText(res));
    }
    const answer = await res.json();
    say(
      true,
      what === 'override'
        ? `overridden: ${answer.override.before} → ${answer.answer}; the call score is now ${answer.score.toFixed(1)}`
        : what === 'confirm'
          ? 'confirmed: the override stands against the new AI answer'
          : 'marked reviewed',
    );
    await reloadAll();
  }

  /** A form whose fields become the query of another region's fragment (version diff, agreement filters). */
  async function show(form) {
    const target = document.getElementById(form.dataset.target);
    const params = new URLSearchParams();
    for (const [k, v] of new FormData(form)) if (v) params.set(k, String(v));
    target.dataset.src = `${form.dataset.base}${params.size ? `?${params}` : ''}`;
    await reload(target);
  }

  document.addEventListener('submit', (event) => {
    const form = event.target.closest('form[data-review]');
    if (!form) return;
    event.preventDefault();
    const run = form.dataset.review === 'diff' ? show : post;
    run(form).catch((err) => say(false, `failed: ${err.message}`));
  });
})();
