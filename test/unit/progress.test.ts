// Batch progress: a finished or failed call counts once per stage, a failure skips the stages after it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  applyOutcome,
  emptyProgress,
  type Progress,
  type StageCount,
  stageFinished,
  stageStatus,
  withCancelled,
} from '../../core/progress.js';
import { AUDIT_STAGES, type Stage } from '../../core/stages.js';

const stages: Stage[] = [...AUDIT_STAGES]; // distribute, lid, stt, redact, llm1, llm2
const count = (total: number, done = 0, failed = 0, skipped = 0, cancelled = 0): StageCount => ({
  total,
  done,
  failed,
  skipped,
  cancelled,
});

describe('applyOutcome', () => {
  test('an empty progress has a zero count per stage of the batch, and no other stage', () => {
    const progress = emptyProgress(stages, 3);
    assert.deepEqual(Object.keys(progress), stages);
    for (const s of stages) assert.deepEqual(progress[s], count(3));
    assert.equal(progress.denoise, undefined);
  });

  test('a finished stage counts as done for that stage only', () => {
    const progress = emptyProgress(stages, 2);
    applyOutcome(progress, stages, 'lid', 'done');
    assert.deepEqual(progress.lid, count(2, 1));
    for (const s of stages.filter((x) => x !== 'lid')) assert.deepEqual(progress[s], count(2), s);
  });

  test('a failure counts as failed there and as skipped in every later stage', () => {
    const progress = emptyProgress(stages, 2);
    applyOutcome(progress, stages, 'distribute', 'done');
    applyOutcome(progress, stages, 'lid', 'failed');
    assert.deepEqual(progress.distribute, count(2, 1));
    assert.deepEqual(progress.lid, count(2, 0, 1));
    assert.deepEqual(progress.stt, count(2, 0, 0, 1));
    assert.deepEqual(progress.llm1, count(2, 0, 0, 1));
    assert.deepEqual(progress.llm2, count(2, 0, 0, 1));
  });

  test('a failure in the last stage skips nothing', () => {
    const progress = emptyProgress(stages, 1);
    applyOutcome(progress, stages, 'llm2', 'failed');
    assert.deepEqual(progress.llm2, count(1, 0, 1));
    for (const s of stages.filter((x) => x !== 'llm2')) assert.deepEqual(progress[s], count(1), s);
  });

  test('skipping follows the batch stage list (a reaudit of stt and llm2 skips llm2 only)', () => {
    const reaudit: Stage[] = ['stt', 'llm2'];
    const progress = emptyProgress(reaudit, 1);
    applyOutcome(progress, reaudit, 'stt', 'failed');
    assert.deepEqual(progress, { stt: count(1, 0, 1), llm2: count(1, 0, 0, 1) });
  });

  test('an outcome for a stage the batch does not run changes nothing', () => {
    const progress = emptyProgress(stages, 1);
    const before = structuredClone(progress);
    applyOutcome(progress, stages, 'denoise', 'failed');
    applyOutcome(progress, stages, 'ivr', 'done');
    assert.deepEqual(progress, before);
  });
});

describe('stageStatus', () => {
  test('a stage of an empty batch is Skipped', () => {
    assert.equal(stageStatus(count(0)), 'Skipped');
  });

  test('Pending until a call reaches it, InProgress until every call is accounted for', () => {
    assert.equal(stageStatus(count(3)), 'Pending');
    assert.equal(stageStatus(count(3, 0, 0, 1)), 'Pending', 'skips alone do not start a stage');
    assert.equal(stageStatus(count(3, 1)), 'InProgress');
    assert.equal(stageStatus(count(3, 0, 1)), 'InProgress');
    assert.equal(stageStatus(count(3, 1, 0, 1)), 'InProgress');
    assert.equal(stageFinished(count(3, 1, 0, 1)), false);
  });

  test('Complete when every call finished, CompleteWithErrors when any failed or was skipped', () => {
    assert.equal(stageStatus(count(3, 3)), 'Complete');
    assert.equal(stageStatus(count(3, 2, 1)), 'CompleteWithErrors');
    assert.equal(stageStatus(count(3, 2, 0, 1)), 'CompleteWithErrors');
    assert.equal(stageStatus(count(3, 0, 0, 3)), 'CompleteWithErrors');
    assert.equal(stageFinished(count(3, 2, 0, 1)), true);
  });

  test('a batch of three calls, one clean, one failing in stt, one failing in lid', () => {
    const progress = emptyProgress(stages, 3);
    const statuses = () => Object.fromEntries(stages.map((s) => [s, stageStatus(progress[s] ?? count(0))]));
    for (const s of stages) applyOutcome(progress, stages, s, 'done'); // call 1
    applyOutcome(progress, stages, 'distribute', 'done'); // call 2
    applyOutcome(progress, stages, 'lid', 'done');
    assert.deepEqual(statuses(), {
      distribute: 'InProgress',
      lid: 'InProgress',
      stt: 'InProgress',
      redact: 'InProgress',
      llm1: 'InProgress',
      llm2: 'InProgress',
    });
    applyOutcome(progress, stages, 'stt', 'failed');
    applyOutcome(progress, stages, 'distribute', 'done'); // call 3
    applyOutcome(progress, stages, 'lid', 'failed');
    assert.deepEqual(progress, {
      distribute: count(3, 3),
      lid: count(3, 2, 1),
      stt: count(3, 1, 1, 1),
      redact: count(3, 1, 0, 2),
      llm1: count(3, 1, 0, 2),
      llm2: count(3, 1, 0, 2),
    });
    assert.deepEqual(statuses(), {
      distribute: 'Complete',
      lid: 'CompleteWithErrors',
      stt: 'CompleteWithErrors',
      redact: 'CompleteWithErrors',
      llm1: 'CompleteWithErrors',
      llm2: 'CompleteWithErrors',
    });
    for (const s of stages) {
      const c = (progress as Progress)[s] as StageCount;
      assert.equal(c.done + c.failed + c.skipped, c.total, `${s} accounts for every call exactly once`);
    }
  });
});

describe('cancelled calls', () => {
  test('a cancel counts in the stage the call was stopped at and every later one, never as failed', () => {
    const progress = emptyProgress(stages, 2);
    applyOutcome(progress, stages, 'distribute', 'done');
    applyOutcome(progress, stages, 'lid', 'done');
    applyOutcome(progress, stages, 'stt', 'cancelled');
    assert.deepEqual(progress.lid, count(2, 1));
    assert.deepEqual(progress.stt, count(2, 0, 0, 0, 1));
    assert.deepEqual(progress.llm2, count(2, 0, 0, 0, 1));
  });

  test('a stage ends Cancelled when a cancel stopped any of its calls, and not before every call is in', () => {
    assert.equal(stageStatus(count(3, 2, 0, 0, 1)), 'Cancelled');
    assert.equal(stageStatus(count(3, 1, 1, 0, 1)), 'Cancelled');
    assert.equal(stageStatus(count(3, 0, 0, 0, 1)), 'InProgress');
    assert.equal(stageFinished(count(3, 1, 0, 0, 1)), false);
    assert.equal(stageStatus(count(3, 3)), 'Complete', 'a stage every call finished before the cancel');
  });

  test('a count stored before cancelled existed reads as none cancelled', () => {
    const old = { total: 2, done: 1, failed: 1, skipped: 0 };
    assert.deepEqual(withCancelled(old), count(2, 1, 1, 0, 0));
    assert.equal(stageStatus(old as StageCount), 'CompleteWithErrors');
  });
});
