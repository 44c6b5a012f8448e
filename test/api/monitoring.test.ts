// monitoring/: the Grafana dashboard and the Prometheus alert rules ask only for metrics cofi exports. The names
// come from real scrapes (the API's /metrics on the real database, the worker's registry as worker/main.ts builds
// it), every expression is parsed by Prometheus's own PromQL grammar, and status matchers use real statuses.
// Prometheus's promtool (Debian package prometheus, installed by `npm test`) then checks the rule file and runs
// its unit tests: each alert fires on the trouble it names and stays quiet on a healthy cofi.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { parser } from '@prometheus-io/lezer-promql';
import { Registry } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { createPipelineMetrics } from '../../core/metrics.js';
import { BATCH_STATUSES, CALL_STATUSES } from '../../core/stages.js';
import { type ApiApp, openApiApp } from '../support/apiApp.js';

const dashboard = JSON.parse(readFileSync('monitoring/grafana-dashboard.json', 'utf8')) as {
  panels: { title: string; type: string; targets?: { expr: string }[] }[];
};
const rules = parseYaml(readFileSync('monitoring/prometheus-alerts.yml', 'utf8')) as {
  groups: { rules: { alert: string; expr: string; for?: string }[] }[];
};
const alerts = rules.groups.flatMap((g) => g.rules);

/** Series names a scrape of this exposition text yields (a histogram's _bucket, _sum and _count included). */
function seriesNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const typed = /^# TYPE (\S+) (\S+)/.exec(line);
    if (!typed) continue;
    const [, name = '', type] = typed;
    names.add(name);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
    if (type === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
  }
  return names;
}

/** Made by Prometheus itself for every scrape target, not by cofi. */
const PROMETHEUS_SERIES = ['up'];
const STATUSES: Record<string, readonly string[]> = {
  cofi_batches: BATCH_STATUSES,
  cofi_calls: CALL_STATUSES,
};

/** What is wrong with one expression: a syntax error, a metric cofi does not export, a status it never has. */
function problems(expr: string, exported: Set<string>): string[] {
  // Grafana's interval variable is not PromQL; anything a range accepts stands in for it.
  const promql = expr.replaceAll('$__rate_interval', '5m');
  const found: string[] = [];
  let metric = '';
  parser.parse(promql).iterate({
    enter(node) {
      const text = promql.slice(node.from, node.to);
      if (node.type.isError) found.push(`syntax error at ${node.from} in ${JSON.stringify(expr)}`);
      if (node.name === 'VectorSelector') metric = '';
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') {
        metric = text;
        if (!exported.has(text) && !PROMETHEUS_SERIES.includes(text)) found.push(`unknown metric ${text}`);
      }
      if (node.name === 'UnquotedLabelMatcher' && STATUSES[metric]) {
        const [, label, value] = /^(\w+)\s*=~?\s*"(.*)"$/.exec(text) ?? [];
        if (label === 'status')
          for (const v of (value ?? '').split('|'))
            if (!STATUSES[metric]?.includes(v)) found.push(`${metric} has no status ${JSON.stringify(v)}`);
      }
    },
  });
  return found;
}

let api: ApiApp;
let exported: Set<string>;
before(async () => {
  api = await openApiApp();
  const res = await api.app.request('/metrics');
  assert.equal(res.status, 200, 'the API answers /metrics');
  const worker = createPipelineMetrics(new Registry(), {
    processMetrics: true,
    capacity: [{ node: 'gpu-1', slots: 4 }],
  });
  exported = new Set([...seriesNames(await res.text()), ...seriesNames(await worker.registry.metrics())]);
});
after(async () => {
  await api?.stop();
});

describe('monitoring/ against the metrics cofi exports', () => {
  test('the check itself finds a metric that does not exist, a bad status and a syntax error', () => {
    assert.deepEqual(problems('rate(cofi_no_such_metric_total[5m]) > 0', exported), [
      'unknown metric cofi_no_such_metric_total',
    ]);
    assert.deepEqual(problems('sum(cofi_calls{status="Done"})', exported), [
      'cofi_calls has no status "Done"',
    ]);
    assert.ok(problems('sum(cofi_calls', exported).some((p) => p.startsWith('syntax error')));
    assert.deepEqual(
      problems('sum by (node) (cofi_calls_in_flight) / max(cofi_node_capacity)', exported),
      [],
    );
  });

  test('every dashboard query names exported metrics and real statuses', () => {
    const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, ...t })));
    assert.ok(queries.length >= 10, `only ${queries.length} queries`);
    const wrong = queries.flatMap((q) => problems(q.expr, exported).map((p) => `${q.panel}: ${p}`));
    assert.deepEqual(wrong, []);
  });

  test('the dashboard shows what an operator asks for', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const metric of [
      'cofi_batches', // batches by status
      'cofi_calls', // calls by status
      'cofi_stage_duration_seconds_bucket', // stage durations
      'cofi_batch_stage_duration_seconds_bucket',
      'cofi_stage_attempt_failures_total', // failures by class
      'cofi_stage_failures',
      'cofi_calls_in_flight', // GPU in flight ...
      'cofi_node_capacity', // ... against capacity
      'cofi_calls_in_progress', // queue backlog
    ])
      assert.match(exprs, new RegExp(`\\b${metric}\\b`), `no panel reads ${metric}`);
  });

  test('the alert rules cover a stuck batch, stuck calls, a failing node, the failure rate and a gone worker', () => {
    assert.deepEqual(alerts.map((a) => a.alert).sort(), [
      'CofiBatchStuck',
      'CofiCallsStuck',
      'CofiFailureRateHigh',
      'CofiNodeFailing',
      'CofiWorkerGone',
    ]);
    for (const a of alerts) assert.match(a.for ?? '', /^\d+[smh]$/, `${a.alert} fires on a single scrape`);
  });

  test('every alert expression names exported metrics and real statuses', () => {
    const wrong = alerts.flatMap((a) => problems(a.expr, exported).map((p) => `${a.alert}: ${p}`));
    assert.deepEqual(wrong, []);
  });

  test('promtool accepts the rules, and each alert fires on its trouble and not on a healthy cofi', () => {
    const promtool = (...args: string[]) =>
      execFileSync('promtool', args, { cwd: 'monitoring', encoding: 'utf8', stdio: 'pipe' });
    try {
      promtool('--version');
    } catch {
      assert.fail('promtool is missing: install the Debian package prometheus (npm test does)');
    }
    const run = (...args: string[]) => {
      try {
        return promtool(...args);
      } catch (err) {
        const e = err as { stdout?: string; stderr?: string };
        return assert.fail(`promtool ${args.join(' ')}:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
      }
    };
    assert.match(run('check', 'rules', 'prometheus-alerts.yml'), /SUCCESS: 5 rules found/);
    assert.match(run('test', 'rules', 'prometheus-alerts.test.yml'), /SUCCESS/);
  });
});
