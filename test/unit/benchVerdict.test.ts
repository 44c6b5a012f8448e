// The benchmark refuses a run whose batch did not end Completed with every call through every stage, and
// stamps what it keeps with the commit measured.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, test } from 'node:test';
import { commitStamp, RefusedRun, requireAllDone, requireCompleted, summary } from '../../bench/verdict.js';

describe('benchmark verdict', () => {
  test('only Completed passes', () => {
    assert.doesNotThrow(() => requireCompleted('throughput', 'Completed'));
    for (const status of ['CompletedWithErrors', 'Failed', 'Cancelled', 'Running', ''])
      assert.throws(
        () => requireCompleted('throughput', status),
        (err: unknown) =>
          err instanceof RefusedRun && /^throughput: the batch ended .+, not Completed$/.test(err.message),
        status,
      );
  });

  test('a stage-barrier run with a call short of its last stage is refused', () => {
    assert.doesNotThrow(() => requireAllDone('barrier', 1000, 1000));
    assert.throws(
      () => requireAllDone('barrier', 999, 1000),
      /barrier: 999 of 1000 calls went through every stage/,
    );
  });

  test('the stamp is the checked-out commit', () => {
    const root = path.resolve(import.meta.dirname, '../..');
    const stamp = commitStamp(root);
    assert.match(stamp.commit, /^[0-9a-f]{40}$/);
    // Each changed file is a tracked path (a status line's columns are cut off, not its first letter).
    const tracked = new Set(execFileSync('git', ['ls-files'], { cwd: root }).toString().split('\n'));
    for (const f of stamp.changedFiles) assert.ok(tracked.has(f), f);
  });

  test('the summary keeps the figures the README quotes, with the commit', () => {
    const s = summary({
      commit: 'abc',
      changedFiles: [],
      date: 'd',
      throughput: { calls: 1000, callsPerSecond: 61.234, actions: { total: 17.5 } },
      scale: {
        calls: 10000,
        status: 'Completed',
        seconds: 612.4,
        callsPerSecond: 16.33,
        peakRssMiB: { worker: 300, api: 120 },
      },
    });
    assert.deepEqual(s, {
      commit: 'abc',
      changedFiles: [],
      date: 'd',
      throughput: { calls: 1000, callsPerSecond: 61.2, actionsPerCall: 17.5 },
      scale: {
        calls: 10000,
        status: 'Completed',
        seconds: 612,
        callsPerSecond: 16.3,
        peakRssMiB: { worker: 300, api: 120 },
      },
    });
  });

  test('the summary keeps the search figures: p95, and the full exports with the heap they held', () => {
    const s = summary({
      commit: 'abc',
      changedFiles: [],
      date: 'd',
      search: {
        calls: 100000,
        searches: 500,
        p50Ms: 5.1,
        p95Ms: 120.4,
        exports: [
          { of: 'calls of the first 10%', rows: 10000, seconds: 0.3, heapGrowthMiB: 17, retainedMiB: 0.5 },
          { of: 'every call', rows: 100000, seconds: 2.1, heapGrowthMiB: 23, retainedMiB: 0.8 },
          { of: 'every answer', rows: 873000, seconds: 30.2, heapGrowthMiB: 25, retainedMiB: 0.9 },
        ],
      },
    });
    assert.deepEqual(s.search, {
      calls: 100000,
      searches: 500,
      p50Ms: 5.1,
      p95Ms: 120.4,
      exports: [
        { of: 'every call', rows: 100000, seconds: 2.1, heapGrowthMiB: 23, retainedMiB: 0.8 },
        { of: 'every answer', rows: 873000, seconds: 30.2, heapGrowthMiB: 25, retainedMiB: 0.9 },
      ],
    });
  });
});
