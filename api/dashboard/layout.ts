// Page shells of the dashboard: layout, key entry and the regions the script fills from fragments.
// A shell holds no data, so it is served without a key; the fragments it loads need one.
import { BATCH_KINDS, BATCH_STATUSES } from '../../core/stages.js';
import { type Html, html } from './html.js';

/** What every page says about the deployment: the API is open (no keys), and which stages are simulated. */
export type Shell = { open: boolean; simulated: string[] };
export type ShellOptions = Shell & { title: string; main: Html; scripts?: string[]; styles?: string[] };

export function page({
  title,
  open,
  simulated,
  main,
  scripts = ['/ui/assets/app.js'],
  styles = [],
}: ShellOptions): Html {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} · cofi</title>
<link rel="stylesheet" href="/ui/assets/app.css">
${styles.map((s) => html`<link rel="stylesheet" href="${s}">`)}
${scripts.map((s) => html`<script src="${s}" defer></script>`)}
</head>
<body>
<header class="top">
  <a class="brand" href="/">cofi</a>
  <nav><a href="/">Batches</a><a href="/ui/fleet">Fleet</a><a href="/ui/search">Search</a><a href="/ui/questionnaires">Questionnaires</a><a href="/ui/data-protection">Data protection</a><a href="/ui/agreement">Agreement</a><a href="/ui/reports">Reports</a><a href="/docs">API docs</a></nav>
  <form class="key" data-action="save-key" autocomplete="off">
    <label>API key <input type="password" name="key" placeholder="${open ? 'not needed: the API is open' : 'bearer key'}"></label>
    <button type="submit">Save</button>
    <button type="button" data-action="forget-key">Forget</button>
    <span class="key-state" data-key-state></span>
  </form>
</header>
<main>
${
  simulated.length
    ? html`<p class="simulated" data-simulated="${simulated.join(',')}"><b>Simulator:</b> ${simulated.join(', ')} ${simulated.length === 1 ? 'is' : 'are'} answered by cofi's simulator, not a model: ${simulated.some((s) => s.startsWith('LLM')) ? 'analyses, answers and scores' : 'results'} of those stages are made up. Point <code>COFI_FLEET</code> at real servers for real ones (README: Inference).</p>`
    : ''
}
<p class="notice" data-notice hidden></p>
${main}
</main>
</body>
</html>`;
}

const options = (values: readonly string[]) => values.map((v) => html`<option value="${v}">${v}</option>`);

export function batchesShell(shell: Shell): Html {
  return page({
    title: 'Batches',
    ...shell,
    main: html`
<section class="card" id="upload" data-src="/ui/f/upload-form"><p class="muted">loading the upload form…</p></section>
<section class="card">
  <div class="row">
    <h2>Batches</h2>
    <form class="filters" data-filter-for="batches">
      <label>kind <select name="kind"><option value="">all</option>${options(BATCH_KINDS)}</select></label>
      <label>status <select name="status"><option value="">all</option>${options(BATCH_STATUSES)}</select></label>
    </form>
  </div>
  <div id="batches" data-src="/ui/f/batches" data-poll="1500" data-idle-poll="10000"><p class="muted">loading…</p></div>
</section>`,
  });
}

export function batchShell(shell: Shell, id: number): Html {
  const base = `/ui/f/batches/${id}`;
  return page({
    title: `Batch ${id}`,
    ...shell,
    main: html`
<section class="card" id="summary" data-src="${base}/summary" data-poll="1500"><p class="muted">loading…</p></section>
<output class="result" data-result="cancel"></output>
<section class="card" id="calls" data-src="${base}/calls" data-poll="2000"><p class="muted">loading calls…</p></section>
<div class="columns">
  <section class="card" id="events" data-src="${base}/events" data-poll="2000"><p class="muted">loading events…</p></section>
  <section class="card" id="failures" data-src="${base}/failures" data-poll="3000"><p class="muted">loading failures…</p></section>
</div>`,
  });
}

export function callShell(shell: Shell, id: number): Html {
  return page({
    title: `Call ${id}`,
    ...shell,
    scripts: ['/ui/assets/app.js', '/ui/assets/review.js'],
    main: html`
<section class="card" id="player" data-src="/ui/f/calls/${id}/player"><p class="muted">loading…</p></section>
<div id="call" data-src="/ui/f/calls/${id}" data-poll="2000"><p class="muted">loading…</p></div>
<output class="result" data-result="review"></output>
<section class="card" id="review" data-src="/ui/f/calls/${id}/review"><p class="muted">loading the review…</p></section>
<section class="card" id="versions" data-src="/ui/f/calls/${id}/versions"><p class="muted">loading the versions…</p></section>`,
  });
}

export function docsShell(shell: Shell): Html {
  return page({
    title: 'API docs',
    ...shell,
    // Swagger UI from the swagger-ui-dist package, served by the API itself (api/dashboard/routes.ts).
    styles: ['/ui/assets/swagger-ui.css'],
    scripts: ['/ui/assets/app.js', '/ui/assets/swagger-ui-bundle.js', '/ui/assets/docs.js'],
    main: html`<section class="card docs" id="docs"><p class="muted">loading /openapi.json…</p></section>`,
  });
}
