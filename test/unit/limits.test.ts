// The batch workflow's budget against Temporal's per-run limits, at the extremes the configuration allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';
import {
  batchRunEventBound,
  batchRunSignalBound,
  TEMPORAL_PENDING_CHILDREN,
  TEMPORAL_RUN_EVENTS,
  TEMPORAL_RUN_SIGNALS,
} from '../../core/limits.js';

/** The largest value loadConfig accepts for `name`: it accepts `value` and refuses the next integer. */
function largest(name: string, value: number): number {
  assert.equal(loadConfig({ [name]: String(value) })[name as 'BATCH_WINDOW'], value);
  assert.throws(() => loadConfig({ [name]: String(value + 1) }), ConfigError);
  return value;
}

test('at the largest window and event budget the configuration allows, a run stays inside the limits', () => {
  const window = largest('BATCH_WINDOW', 1000);
  const runEvents = largest('BATCH_RUN_EVENTS', 15_000);
  const events = batchRunEventBound(runEvents, window);
  assert.ok(events < TEMPORAL_RUN_EVENTS, `events: ${events}`);
  const signals = batchRunSignalBound(runEvents, window);
  assert.ok(signals < TEMPORAL_RUN_SIGNALS, `signals: ${signals}`);
  assert.ok(window < TEMPORAL_PENDING_CHILDREN, 'the window is within the pending-children limit');
});

test('with the defaults a run holds at most about a fifth of the event limit', () => {
  const config = loadConfig({});
  const bound = batchRunEventBound(config.BATCH_RUN_EVENTS, config.BATCH_WINDOW);
  assert.ok(bound < TEMPORAL_RUN_EVENTS / 5, `bound: ${bound}`);
  assert.ok(batchRunSignalBound(config.BATCH_RUN_EVENTS, config.BATCH_WINDOW) < 2000);
});

test('the bound grows with the budget and the window', () => {
  const base = batchRunEventBound(100, 3);
  assert.ok(batchRunEventBound(200, 3) > base);
  assert.ok(batchRunEventBound(100, 4) > base);
});
