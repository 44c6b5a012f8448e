// The accounting of a batch's window of calls: what is in flight and where, how calls ended, when to list the
// next page. Pure: the batch workflow holds it and hands it to its next run when it continues as new.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  admit,
  drained,
  emptyWindow,
  inFlightCount,
  inFlightIds,
  markLost,
  nodeLoad,
  pageSize,
  settle,
} from '../../core/batchWindow.js';

const page = (ids: number[], node = 'a', seconds = 10) => ({
  admitted: ids.map((callId) => ({ callId, node, seconds })),
  ended: [],
  cursor: ids.length ? { seconds, callId: ids.at(-1)! } : null,
  exhausted: false,
});

describe('the window of calls', () => {
  test('admitted calls are in flight until they end, each end counted once', () => {
    const w = emptyWindow();
    admit(w, page([1, 2, 3]));
    assert.deepEqual(inFlightIds(w), [1, 2, 3]);
    assert.equal(settle(w, 2, 'completed'), true);
    assert.equal(settle(w, 2, 'completed'), false, 'a second report of the same end');
    assert.equal(settle(w, 9, 'failed'), false, 'a call of another batch');
    assert.equal(settle(w, 3, 'cancelled'), true);
    assert.deepEqual(w.ended, { completed: 1, failed: 0, cancelled: 1 });
    assert.deepEqual(inFlightIds(w), [1]);
  });

  test('calls that ended at admission (distribution failed) count without being in flight', () => {
    const w = emptyWindow();
    admit(w, { ...page([1]), ended: [{ callId: 2, end: 'failed' }] });
    assert.equal(inFlightCount(w), 1);
    assert.equal(w.ended.failed, 1);
  });

  test('the listing resumes after its cursor; a page without calls keeps it', () => {
    const w = emptyWindow();
    admit(w, page([4, 5], 'a', 30));
    assert.deepEqual(w.cursor, { seconds: 30, callId: 5 });
    admit(w, { ...page([]), exhausted: true });
    assert.deepEqual(w.cursor, { seconds: 30, callId: 5 });
    assert.equal(w.exhausted, true);
  });

  test('seconds of audio in flight per node: what distribution evens out', () => {
    const w = emptyWindow();
    admit(w, page([1, 2], 'a', 60));
    admit(w, page([3], 'b', 600));
    assert.deepEqual(nodeLoad(w), { a: 120, b: 600 });
    settle(w, 3, 'completed');
    assert.deepEqual(nodeLoad(w), { a: 120 });
  });

  test('a page is listed when a tenth of the window is free (or nothing is in flight), never once exhausted', () => {
    const w = emptyWindow();
    assert.equal(pageSize(w, 100), 100, 'an empty window takes a full page');
    admit(w, page(Array.from({ length: 100 }, (_, i) => i + 1)));
    assert.equal(pageSize(w, 100), 0);
    for (let id = 1; id <= 9; id++) settle(w, id, 'completed');
    assert.equal(pageSize(w, 100), 0, 'nine free slots wait for a tenth');
    settle(w, 10, 'completed');
    assert.equal(pageSize(w, 100), 10);
    assert.equal(pageSize({ ...w, exhausted: true }, 100), 0);
    const small = emptyWindow();
    admit(small, page([1, 2]));
    settle(small, 1, 'failed');
    assert.equal(pageSize(small, 2), 1, 'a small window refills slot by slot');
  });

  test('lost calls stay in flight until recorded; the batch is drained when listed out and nothing runs', () => {
    const w = emptyWindow();
    admit(w, { ...page([1, 2]), exhausted: true });
    markLost(w, 1);
    markLost(w, 1);
    markLost(w, 7);
    assert.deepEqual(w.lost, [1], 'once, and only calls in flight');
    assert.equal(drained(w), false);
    settle(w, 1, 'failed');
    assert.deepEqual(w.lost, []);
    settle(w, 2, 'completed');
    assert.equal(drained(w), true);
  });

  test('the state is plain data: it survives JSON, as it does when a run continues as new', () => {
    const w = emptyWindow();
    admit(w, page([11, 12], 'gpu-b', 42));
    markLost(w, 12);
    const copy = JSON.parse(JSON.stringify(w));
    assert.deepEqual(copy, w);
    assert.equal(settle(copy, 11, 'completed'), true);
  });
});
