// cofi API docs: renders /openapi.json (every operation, its parameters, body and answers) and lets the
// reader try an operation with the key saved by the dashboard. Built with DOM calls only: no markup strings.

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') node.className = v;
    else node.setAttribute(k, v === true ? '' : String(v));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function resolve(doc, schema, seen = new Set()) {
  if (!schema || typeof schema !== 'object') return schema;
  if (Array.isArray(schema)) return schema.map((s) => resolve(doc, s, seen));
  if (typeof schema.$ref === 'string') {
    if (seen.has(schema.$ref)) return { $ref: schema.$ref };
    const target = schema.$ref
      .replace(/^#\//, '')
      .split('/')
      .reduce((node, part) => node?.[part], doc);
    return resolve(doc, target, new Set([...seen, schema.$ref]));
  }
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, resolve(doc, v, seen)]));
}

const pretty = (value) => JSON.stringify(value, null, 2);

/** A JSON skeleton of a body schema for the try-it box. */
function example(schema) {
  if (!schema) return null;
  if (schema.example !== undefined) return schema.example;
  if (schema.type === 'object') {
    return Object.fromEntries(Object.entries(schema.properties || {}).map(([k, v]) => [k, example(v)]));
  }
  if (schema.type === 'array') return [example(schema.items)];
  if (schema.enum) return schema.enum[0];
  return { string: '', integer: 1, number: 1, boolean: false }[schema.type] ?? null;
}

function tryForm(doc, path, method, op) {
  const form = el('form', { class: 'try' });
  const params = (op.parameters || []).map((p) => resolve(doc, p));
  for (const p of params) {
    form.append(
      el(
        'label',
        {},
        `${p.in} ${p.name}${p.required ? ' *' : ''} `,
        el('input', { name: `${p.in}:${p.name}` }),
      ),
    );
  }
  const content = op.requestBody?.content || {};
  const multipart = content['multipart/form-data'];
  const jsonBody = content['application/json'];
  if (multipart) {
    const schema = resolve(doc, multipart.schema);
    for (const [name, prop] of Object.entries(schema.properties || {})) {
      const isFile = prop.format === 'binary' || prop.items?.format === 'binary';
      form.append(
        el(
          'label',
          {},
          `form ${name} `,
          el('input', { name: `form:${name}`, type: isFile ? 'file' : 'text', multiple: isFile }),
        ),
      );
    }
  } else if (jsonBody) {
    const area = el('textarea', { name: 'json', rows: 6 });
    area.value = pretty(example(resolve(doc, jsonBody.schema)));
    form.append(el('label', { class: 'wide' }, 'JSON body ', area));
  }
  const output = el('pre', { class: 'answer' });
  form.append(el('button', { type: 'submit' }, `Send ${method.toUpperCase()}`), output);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    let url = path;
    const query = new URLSearchParams();
    const headers = window.cofi.authHeaders();
    let body;
    for (const p of params) {
      const value = form.elements[`${p.in}:${p.name}`].value;
      if (p.in === 'path') url = url.replace(`{${p.name}}`, encodeURIComponent(value));
      else if (p.in === 'query' && value) query.set(p.name, value);
    }
    if (multipart) {
      body = new FormData();
      for (const input of form.querySelectorAll('input[name^="form:"]')) {
        const name = input.name.slice(5);
        if (input.type === 'file') for (const f of input.files) body.append(name, f, f.name);
        else if (input.value) body.append(name, input.value);
      }
    } else if (jsonBody) {
      headers['Content-Type'] = 'application/json';
      body = form.elements.json.value;
    }
    output.textContent = '…';
    try {
      const res = await fetch(url + (query.size ? `?${query}` : ''), {
        method: method.toUpperCase(),
        headers,
        body,
      });
      const type = res.headers.get('content-type') || '';
      const text = type.includes('json')
        ? pretty(await res.json())
        : type.startsWith('audio/')
          ? `[${type} audio]`
          : await res.text();
      output.textContent = `${res.status} ${res.statusText}\n${text}`;
    } catch (err) {
      output.textContent = `request failed: ${err.message}`;
    }
  });
  return form;
}

function operation(doc, path, method, op) {
  const body = el('div', { class: 'op-body' });
  if (op.parameters?.length) {
    body.append(
      el('h4', {}, 'parameters'),
      el(
        'table',
        {},
        el(
          'tbody',
          {},
          op.parameters.map((raw) => {
            const p = resolve(doc, raw);
            return el(
              'tr',
              {},
              el('td', {}, el('code', {}, p.name)),
              el('td', {}, p.in),
              el('td', {}, p.required ? 'required' : ''),
              el(
                'td',
                {},
                p.schema?.enum ? `${p.schema.type}: ${p.schema.enum.join(' | ')}` : p.schema?.type || '',
              ),
              el('td', {}, p.schema?.description || p.description || ''),
            );
          }),
        ),
      ),
    );
  }
  for (const [type, media] of Object.entries(op.requestBody?.content || {})) {
    body.append(el('h4', {}, `body: ${type}`), el('pre', {}, pretty(resolve(doc, media.schema))));
  }
  body.append(el('h4', {}, 'answers'));
  for (const [status, res] of Object.entries(op.responses || {})) {
    const schema = Object.values(res.content || {})[0]?.schema;
    body.append(
      el(
        'details',
        {},
        el('summary', {}, el('b', {}, status), ` ${res.description || ''}`),
        schema ? el('pre', {}, pretty(resolve(doc, schema))) : null,
      ),
    );
  }
  const open = op.security ? op.security.length === 0 : false;
  body.append(
    el('h4', {}, 'try it'),
    el('p', { class: 'muted' }, open ? 'no key needed' : 'sent with the key saved above'),
    tryForm(doc, path, method, op),
  );
  return el(
    'details',
    { class: `op method-${method}`, 'data-op': `${method.toUpperCase()} ${path}` },
    el(
      'summary',
      {},
      el('span', { class: 'method' }, method.toUpperCase()),
      ' ',
      el('code', {}, path),
      ' ',
      op.summary || '',
    ),
    body,
  );
}

async function render() {
  const root = document.getElementById('docs');
  const res = await fetch('/openapi.json', { headers: window.cofi.authHeaders() });
  if (!res.ok) {
    root.textContent = await window.cofi.errorText(res);
    return;
  }
  const doc = await res.json();
  root.textContent = '';
  root.append(
    el(
      'h1',
      {},
      `${doc.info.title} API ${doc.info.version}`,
      ' ',
      el('span', { class: 'muted' }, `OpenAPI ${doc.openapi}`),
    ),
    el('p', {}, doc.info.description || ''),
    el('p', {}, el('a', { href: '/openapi.json' }, 'openapi.json')),
  );
  const byTag = new Map();
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(item)) {
      const tag = op.tags?.[0] || 'other';
      if (!byTag.has(tag)) byTag.set(tag, []);
      byTag.get(tag).push(operation(doc, path, method, op));
    }
  }
  for (const [tag, ops] of byTag) root.append(el('h2', {}, tag), ...ops);
}

document.addEventListener('DOMContentLoaded', () => {
  render().catch((err) => {
    document.getElementById('docs').textContent = `could not render the API docs: ${err.message}`;
  });
});
