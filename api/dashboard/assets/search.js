// cofi search page: sends the form to the /ui/f/search fragment with the saved key, pages with the API's
// cursor, keeps the search in the address bar, and downloads the same search as CSV. Data never becomes markup
// here: the fragment is escaped by the server, messages use textContent.

const form = () => document.querySelector('form.search');
const results = () => document.getElementById('results');

/** The form's filled-in fields as query parameters (empty ones left out). */
function filters() {
  const params = new URLSearchParams();
  for (const [k, v] of new FormData(form())) if (String(v).trim()) params.set(k, String(v).trim());
  return params;
}

function say(ok, text) {
  const out = form().querySelector('[data-result]');
  out.className = `result ${ok ? 'ok' : 'bad'}`;
  out.textContent = text;
}

async function show(params) {
  const region = results();
  region.setAttribute('aria-busy', 'true');
  const res = await fetch(`/ui/f/search?${params}`, {
    headers: window.cofi.authHeaders(),
    cache: 'no-store',
  });
  region.removeAttribute('aria-busy');
  if (!res.ok) {
    say(false, await window.cofi.errorText(res));
    return;
  }
  say(true, '');
  region.innerHTML = await res.text();
  region.dataset.loaded = String(Date.now());
}

function search() {
  const params = filters();
  history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}`);
  const shown = new URLSearchParams(params);
  shown.set('page', '1');
  return show(shown);
}

async function download(rows) {
  const params = filters();
  params.delete('limit');
  params.set('rows', rows);
  say(true, `exporting ${rows}…`);
  const res = await fetch(`/calls/export.csv?${params}`, { headers: window.cofi.authHeaders() });
  if (!res.ok) return say(false, await window.cofi.errorText(res));
  const name =
    /filename="([^"]+)"/.exec(res.headers.get('content-disposition') || '')?.[1] || `cofi-${rows}.csv`;
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  say(true, `downloaded ${name} (${Math.ceil(blob.size / 1024)} KiB)`);
}

document.addEventListener('submit', (event) => {
  if (event.target !== form()) return;
  event.preventDefault();
  search().catch((err) => say(false, `search failed: ${err.message}`));
});

document.addEventListener('reset', (event) => {
  if (event.target !== form()) return;
  history.replaceState(null, '', location.pathname);
});

document.addEventListener('click', (event) => {
  const pager = event.target.closest('[data-page]');
  if (pager) {
    const params = filters();
    if (pager.dataset.page === 'next') {
      params.set('cursor', pager.dataset.cursor);
      params.set('page', pager.dataset.number);
      show(params).catch((err) => say(false, err.message));
    } else {
      params.set('page', '1');
      show(params).catch((err) => say(false, err.message));
    }
    return;
  }
  const exporter = event.target.closest('[data-export]');
  if (exporter) download(exporter.dataset.export).catch((err) => say(false, `export failed: ${err.message}`));
});

// A search in the address bar (a shared link, a reload) fills the form and runs.
document.addEventListener('DOMContentLoaded', () => {
  const given = new URLSearchParams(location.search);
  if (!given.size) return;
  for (const [k, v] of given) {
    const input = form().elements.namedItem(k);
    if (input && 'value' in input) input.value = v;
  }
  search().catch((err) => say(false, `search failed: ${err.message}`));
});
