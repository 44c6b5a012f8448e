// The batch workflow's budget against Temporal's per-run limits, at the extremes the configuration allows.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';
import {
  batchRunEventBound,
  batchRunSignalBound,
  TEMPORAL_RUN_EVENTS,
  TEMPORAL_RUN_SIGNALS,
} from '../../core/limits.js';
import { REAUDIT_STAGES, STAGES } from '../../core/stages.js';

/** The largest value loadConfig accepts for `name`: it accepts `value` and refuses the next integer. */
function largest(name: string, value: number): number {
  assert.equal(loadConfig({ [name]: String(value) })[name as 'BATCH_WINDOW'], value);
  assert.throws(() => loadConfig({ [name]: String(value + 1) }), ConfigError);
  return value;
}

test('at the largest window and event budget the configuration allows, a run stays inside the limits', () => {
  const window = largest('BATCH_WINDOW', 1000);
  const runEvents = largest('BATCH_RUN_EVENTS', 15_000);
  // The daily batch runs every stage; only reaudits (four stages at most) can be cancelled.
  const daily = batchRunEventBound(runEvents, window, STAGES.length, false);
  const reaudit = batchRunEventBound(runEvents, window, REAUDIT_STAGES.length, true);
  assert.ok(daily < TEMPORAL_RUN_EVENTS, `daily: ${daily}`);
  assert.ok(reaudit < TEMPORAL_RUN_EVENTS, `reaudit: ${reaudit}`);
  const signals = batchRunSignalBound(runEvents, window, STAGES.length);
  assert.ok(signals < TEMPORAL_RUN_SIGNALS, `signals: ${signals}`);
});

test('with the defaults a run holds at most about a fifth of the event limit', () => {
  const config = loadConfig({});
  const bound = batchRunEventBound(config.BATCH_RUN_EVENTS, config.BATCH_WINDOW, STAGES.length, false);
  assert.ok(bound < TEMPORAL_RUN_EVENTS / 5, `bound: ${bound}`);
  assert.ok(batchRunSignalBound(config.BATCH_RUN_EVENTS, config.BATCH_WINDOW, STAGES.length) < 4000);
});

test('the bound grows with the budget, the window and the stages, and the cancel requests', () => {
  const base = batchRunEventBound(100, 3, 5, false);
  assert.ok(batchRunEventBound(200, 3, 5, false) > base);
  assert.ok(batchRunEventBound(100, 4, 5, false) > base);
  assert.ok(batchRunEventBound(100, 3, 7, false) > base);
  assert.ok(batchRunEventBound(100, 3, 5, true) > base);
});
