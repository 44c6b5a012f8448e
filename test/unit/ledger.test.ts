// The ledger's pure parts: a call that stops counts once in every stage of its batch, and a batch's call totals
// and stage view follow from its progress.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { emptyProgress } from '../../core/progress.js';
import type { Stage } from '../../core/stages.js';
import type { BatchRow } from '../../drizzle/schema/index.js';
import { finalStatus } from '../../lifecycle/exits.js';
import { callTotals, stoppedAt } from '../../lifecycle/ledger.js';
import { stageChanges } from '../../lifecycle/stageView.js';

const STAGES: Stage[] = ['distribute', 'lid', 'stt', 'llm1', 'llm2'];
const ref = { batchId: 7, callId: 70 };

describe('a call that stops', () => {
  test('failed where it stopped, skipped in every later stage, nothing before', () => {
    const rows = stoppedAt(ref, STAGES, 'stt', 'failed', 'client_error: 400');
    assert.deepEqual(
      rows.map((r) => [r.stage, r.outcome]),
      [
        ['stt', 'failed'],
        ['llm1', 'skipped'],
        ['llm2', 'skipped'],
      ],
    );
    assert.equal(rows[0]!.reason, 'client_error: 400');
    assert.equal(rows[1]!.reason, 'stt failed');
  });

  test('cancelled from where it stopped on', () => {
    const rows = stoppedAt(ref, STAGES, 'lid', 'cancelled', 'batch cancelled');
    assert.deepEqual(
      rows.map((r) => r.outcome),
      ['cancelled', 'cancelled', 'cancelled', 'cancelled'],
    );
  });

  test('a stage the batch does not run stops the call at its first stage', () => {
    const rows = stoppedAt(ref, ['lid', 'stt'], 'distribute', 'failed', 'undecodable');
    assert.deepEqual(
      rows.map((r) => [r.stage, r.outcome]),
      [
        ['lid', 'failed'],
        ['stt', 'skipped'],
      ],
    );
  });
});

describe('call totals from the progress', () => {
  test('each call has one end at the last stage: completed, failed (anywhere) or cancelled', () => {
    const p = emptyProgress(STAGES, 5);
    // 2 completed; 1 failed at stt (skipped after); 1 cancelled in llm1; 1 not decided, between lid and stt.
    for (const s of STAGES) p[s]!.done = 2;
    p.distribute!.done = 5;
    p.lid!.done = 5;
    p.stt = { total: 5, done: 3, failed: 1, skipped: 0, cancelled: 0 };
    p.llm1 = { total: 5, done: 2, failed: 0, skipped: 1, cancelled: 1 };
    p.llm2 = { total: 5, done: 2, failed: 0, skipped: 1, cancelled: 1 };
    assert.deepEqual(callTotals(p, STAGES), {
      total: 5,
      completed: 2,
      noSpeech: 0,
      failed: 1,
      cancelled: 1,
      inFlight: 1,
      undecided: 1,
    });
  });

  test('the final status follows the end and the totals', () => {
    assert.equal(finalStatus('done', { total: 3, completed: 3, failed: 0 }), 'Completed');
    assert.equal(finalStatus('done', { total: 3, completed: 2, failed: 1 }), 'CompletedWithErrors');
    assert.equal(finalStatus('done', { total: 3, completed: 0, failed: 3 }), 'Failed');
    assert.equal(finalStatus('done', { total: 0, completed: 0, failed: 0 }), 'Failed');
    assert.equal(finalStatus('cancelled', { total: 3, completed: 3, failed: 0 }), 'Cancelled');
    assert.equal(finalStatus('failed', { total: 3, completed: 3, failed: 0 }), 'Failed');
  });
});

describe('the stage view', () => {
  const batch = (columns: Partial<BatchRow> = {}) =>
    ({
      id: 7,
      stages: ['lid', 'stt'],
      dbInsertionStatus: 'Pending',
      lidStatus: 'Pending',
      sttStatus: 'Pending',
      ...columns,
    }) as BatchRow;

  test('a stage that began is InProgress and logs its start; one every call passed logs its end', () => {
    const p = emptyProgress(['lid', 'stt'], 2);
    p.lid!.done = 2;
    p.stt!.done = 1;
    const changes = stageChanges(batch(), p);
    assert.deepEqual(changes.columns, { lidStatus: 'Complete', sttStatus: 'InProgress' });
    assert.deepEqual(changes.starts, ['lid', 'stt']);
    assert.deepEqual(changes.completes, ['lid']);
  });

  test('a column already right changes nothing and logs nothing again', () => {
    const p = emptyProgress(['lid', 'stt'], 2);
    p.lid!.done = 2;
    p.stt!.done = 1;
    const changes = stageChanges(batch({ lidStatus: 'Complete', sttStatus: 'InProgress' }), p);
    assert.deepEqual(changes, { columns: {}, starts: [], completes: [] });
  });

  test('a stage with failures ends CompleteWithErrors; one a cancel reached ends Cancelled', () => {
    const p = emptyProgress(['lid', 'stt'], 2);
    p.lid = { total: 2, done: 1, failed: 1, skipped: 0, cancelled: 0 };
    p.stt = { total: 2, done: 0, failed: 0, skipped: 1, cancelled: 1 };
    const changes = stageChanges(batch({ lidStatus: 'InProgress', sttStatus: 'InProgress' }), p);
    assert.deepEqual(changes.columns, { lidStatus: 'CompleteWithErrors', sttStatus: 'Cancelled' });
    assert.deepEqual(changes.completes, ['lid', 'stt']);
    assert.deepEqual(changes.starts, [], 'their starts were logged when they began');
  });
});
