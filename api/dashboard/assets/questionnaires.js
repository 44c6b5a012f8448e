// cofi questionnaires page: a preview of the questionnaire JSON being edited (what the scorer will see: codes,
// types, weights as shares of the score, critical questions) and publishing it as a new version. Runs after
// app.js (its authHeaders, errorText, report, refresh). Text is set with textContent only.

const TYPES = { yes_no: ['yes', 'no'], yes_no_na: ['yes', 'no', 'na'], scale_1_5: ['1', '2', '3', '4', '5'] };

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
}

/** The preview of a textarea's JSON: a table of its questions, or what is wrong with it. */
function preview(area) {
  const box = area.form.querySelector('[data-preview]');
  if (!box) return;
  box.textContent = '';
  let body;
  try {
    body = JSON.parse(area.value);
  } catch (err) {
    box.className = 'preview bad';
    box.textContent = `not valid JSON: ${err.message}`;
    return;
  }
  const questions = Array.isArray(body?.questions) ? body.questions : null;
  if (!questions || questions.length === 0) {
    box.className = 'preview bad';
    box.textContent = 'a questionnaire needs a "questions" list with at least one question';
    return;
  }
  const total = questions.reduce(
    (n, q) => n + (typeof q.weight === 'number' && q.weight > 0 ? q.weight : 0),
    0,
  );
  const problems = [];
  const seen = new Set();
  const table = document.createElement('table');
  table.className = 'answers';
  const head = table.createTHead().insertRow();
  for (const h of ['#', 'code', 'question', 'type', 'answers', 'share of score', 'critical']) {
    const th = document.createElement('th');
    th.textContent = h;
    head.append(th);
  }
  const rows = table.createTBody();
  questions.forEach((q, i) => {
    const row = rows.insertRow();
    row.dataset.previewQuestion = String(q.code);
    const answers = TYPES[q.answer_type];
    if (seen.has(q.code)) problems.push(`questions[${i}] ("${q.code}"): code used twice`);
    seen.add(q.code);
    if (!answers)
      problems.push(`questions[${i}] ("${q.code}"): answer_type must be yes_no, yes_no_na or scale_1_5`);
    if (!(typeof q.weight === 'number' && q.weight > 0))
      problems.push(`questions[${i}] ("${q.code}"): weight must be a positive number`);
    if (q.critical && answers && !answers.includes('no'))
      problems.push(`questions[${i}] ("${q.code}"): only a question answerable "no" can be critical`);
    cell(row, String(i + 1), 'num');
    cell(row, String(q.code ?? ''));
    cell(row, String(q.text ?? ''));
    cell(row, String(q.answer_type ?? ''));
    cell(row, answers ? answers.join(' / ') : '?');
    cell(row, total && q.weight > 0 ? `${((100 * q.weight) / total).toFixed(1)}%` : '?', 'num');
    cell(row, q.critical ? 'critical: "no" scores the call 0' : '');
  });
  box.className = problems.length ? 'preview bad' : 'preview';
  const summary = document.createElement('p');
  const critical = questions.filter((q) => q.critical).length;
  summary.textContent = problems.length
    ? problems.join('; ')
    : `${questions.length} question(s), ${critical} critical; the API checks it again when you publish`;
  box.append(summary, table);
}

async function publishQuestionnaire(form) {
  const output = form.querySelector('[data-result]');
  let body;
  try {
    body = JSON.parse(form.elements.body.value);
  } catch (err) {
    return report(output, false, `not valid JSON: ${err.message}`);
  }
  if (body && body.note === '') delete body.note;
  const res = await fetch(`/processes/${encodeURIComponent(form.dataset.process)}/questionnaire/versions`, {
    method: 'POST',
    headers: authHeaders({ 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
  if (!res.ok) return report(output, false, await errorText(res));
  const answer = await res.json();
  // The fragment is reloaded (new versions table, form for the next one): the answer is outside it.
  report(
    document.querySelector('[data-result=publish]'),
    true,
    `published version ${answer.version} of process ${answer.process_id}: current for calls scored from now on`,
  );
  refresh('[data-src]');
}

document.addEventListener('submit', (event) => {
  const form = event.target;
  if (form.dataset.action !== 'publish-questionnaire') return;
  event.preventDefault();
  publishQuestionnaire(form).catch((err) =>
    report(form.querySelector('[data-result]'), false, `failed: ${err.message}`),
  );
});

document.addEventListener('input', (event) => {
  if (event.target.matches?.('[data-questionnaire-json]')) preview(event.target);
});

// The form arrives in a fragment: preview it once it is there.
new MutationObserver(() => {
  for (const area of document.querySelectorAll('[data-questionnaire-json]:not([data-previewed])')) {
    area.dataset.previewed = '1';
    preview(area);
  }
}).observe(document.documentElement, { childList: true, subtree: true });
