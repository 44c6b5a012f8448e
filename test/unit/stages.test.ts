// The stage vocabulary: pipeline order, downstream stages, and the columns and event names it drives.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { getTableColumns } from 'drizzle-orm';
import {
  AUDIO_STAGES,
  AUDIT_STAGES,
  assertNever,
  BATCH_STATUS_COLUMN,
  BATCH_STATUSES,
  DONE_FLAG,
  downstreamOf,
  eventStageName,
  GPU_STAGES,
  isStage,
  isTerminal,
  LLM_STAGES,
  lackingStages,
  missingInputs,
  orderStages,
  REAUDIT_STAGES,
  RESULT_TABLES,
  STAGE_REGISTRY,
  STAGES,
  type Stage,
  withDependents,
} from '../../core/stages.js';
import * as schema from '../../drizzle/schema/index.js';
import { batchStatus, fileDistribution } from '../../drizzle/schema/index.js';

const sqlNames = (table: Parameters<typeof getTableColumns>[0]) =>
  new Set(Object.values(getTableColumns(table)).map((c) => c.name));

describe('stage order', () => {
  test('the pipeline is distribute, denoise, ivr, lid, stt, redact, llm1, llm2', () => {
    assert.deepEqual(STAGES, ['distribute', 'denoise', 'ivr', 'lid', 'stt', 'redact', 'llm1', 'llm2']);
  });

  test('orderStages puts a selection in pipeline order and drops duplicates', () => {
    assert.deepEqual(orderStages(['llm2', 'lid', 'distribute']), ['distribute', 'lid', 'llm2']);
    assert.deepEqual(orderStages(['stt', 'stt', 'lid']), ['lid', 'stt']);
    assert.deepEqual(orderStages(new Set<Stage>(['llm1', 'ivr'])), ['ivr', 'llm1']);
    assert.deepEqual(orderStages([]), []);
  });

  test('downstreamOf gives the stages after a stage, in order', () => {
    assert.deepEqual(downstreamOf('lid'), ['stt', 'redact', 'llm1', 'llm2']);
    assert.deepEqual(downstreamOf('distribute'), STAGES.slice(1));
    assert.deepEqual(downstreamOf('llm2'), []);
    for (const stage of STAGES) {
      assert.ok(!downstreamOf(stage).includes(stage), `${stage} is not downstream of itself`);
      assert.equal(downstreamOf(stage).length, STAGES.length - 1 - STAGES.indexOf(stage));
    }
  });

  test('every named subset holds known stages in pipeline order', () => {
    const subsets = { GPU_STAGES, LLM_STAGES, AUDIO_STAGES, AUDIT_STAGES, REAUDIT_STAGES };
    for (const [name, subset] of Object.entries(subsets)) {
      assert.ok(subset.length > 0, `${name} is empty`);
      assert.ok(subset.every(isStage), `${name} names an unknown stage`);
      assert.deepEqual(orderStages(subset), [...subset], `${name} is in pipeline order`);
    }
    assert.ok(!(REAUDIT_STAGES as readonly Stage[]).includes('distribute'), 'a reaudit never re-distributes');
  });

  test('isStage accepts exactly the stage names', () => {
    for (const stage of STAGES) assert.equal(isStage(stage), true);
    for (const other of ['', 'LID', 'file_distribution', 'llm3', 'distribute ']) {
      assert.equal(isStage(other), false, JSON.stringify(other));
    }
  });

  test('isTerminal: a batch has ended when it completed (with or without errors), failed or was cancelled', () => {
    const ended = BATCH_STATUSES.filter(isTerminal);
    assert.deepEqual(ended, ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled']);
    assert.equal(isTerminal('completed'), false);
  });
});

describe('what the vocabulary drives', () => {
  test('DONE_FLAG names a fileDistribution column for every stage but distribute', () => {
    assert.deepEqual(Object.keys(DONE_FLAG).sort(), [...STAGES].sort());
    const columns = sqlNames(fileDistribution);
    for (const stage of STAGES) {
      const flag = DONE_FLAG[stage];
      if (stage === 'distribute') {
        assert.equal(flag, null, 'distribution is the row itself');
        continue;
      }
      assert.ok(flag && columns.has(flag), `fileDistribution has no column ${flag} for ${stage}`);
    }
    const flags = Object.values(DONE_FLAG).filter(Boolean);
    assert.equal(new Set(flags).size, flags.length, 'no two stages share a flag');
  });

  test('BATCH_STATUS_COLUMN names a batchStatus column for every stage', () => {
    assert.deepEqual(Object.keys(BATCH_STATUS_COLUMN).sort(), [...STAGES].sort());
    const columns = sqlNames(batchStatus);
    for (const stage of STAGES) {
      const column = BATCH_STATUS_COLUMN[stage];
      assert.ok(columns.has(column), `batchStatus has no column ${column} for ${stage}`);
    }
    const values = Object.values(BATCH_STATUS_COLUMN);
    assert.equal(new Set(values).size, values.length, 'no two stages share a status column');
    assert.equal(BATCH_STATUS_COLUMN.distribute, 'dbInsertionStatus', "the seed's name is kept");
  });

  test("event names keep the seed's file_distribution and are the stage name otherwise", () => {
    assert.equal(eventStageName('distribute'), 'file_distribution');
    for (const stage of STAGES.filter((s) => s !== 'distribute')) assert.equal(eventStageName(stage), stage);
  });

  test('assertNever throws on a value the types said cannot exist', () => {
    assert.throws(() => assertNever('llm3' as never), /unexpected value: llm3/);
  });
});

describe('the stage registry', () => {
  test('redact runs between stt and the LLMs, in every kind of batch, on the audio queue', () => {
    const spec = STAGE_REGISTRY.redact;
    assert.deepEqual([spec.flag, spec.statusColumn, spec.event], ['redactDone', 'redactStatus', 'redact']);
    assert.equal(spec.runner, 'audio');
    assert.deepEqual(spec.needs, ['stt']);
    assert.deepEqual(spec.results, [], 'it rewrites the transcript: a reaudit of redact deletes nothing');
    for (const list of [AUDIT_STAGES, REAUDIT_STAGES] as readonly (readonly Stage[])[])
      assert.ok(list.includes('redact'));
    for (const llm of LLM_STAGES)
      assert.ok((STAGE_REGISTRY[llm].needs as readonly Stage[]).includes('redact'));
  });

  test('has one entry per stage, and each names a real table and an activity of its queue', async () => {
    assert.deepEqual(Object.keys(STAGE_REGISTRY), [...STAGES]);
    const { createActivities } = await import('../../activities/index.js');
    const { loadConfig } = await import('../../core/config.js');
    // The activities' grouping by task queue (nothing runs: the factories only close over their deps).
    const groups = createActivities({ config: loadConfig({}) } as never) as unknown as Record<
      string,
      Record<string, unknown>
    >;
    for (const stage of STAGES) {
      const spec = STAGE_REGISTRY[stage];
      for (const table of spec.results) assert.ok(table in schema, `${stage}: no table ${table}`);
      if (spec.runner === 'batch') assert.equal(spec.activity, null, `${stage} is run by the batch`);
      else
        assert.equal(
          typeof groups[spec.runner]?.[spec.activity ?? ''],
          'function',
          `${stage}: ${spec.activity} is an activity of the ${spec.runner} queue`,
        );
      for (const needed of [...spec.needs, ...spec.reads])
        assert.ok(STAGES.indexOf(needed) < STAGES.indexOf(stage), `${stage} depends on a later ${needed}`);
    }
    assert.deepEqual(
      STAGES.flatMap((s) => STAGE_REGISTRY[s].results),
      [...RESULT_TABLES],
      'every result table belongs to exactly one stage',
    );
  });

  test('re-running a stage re-runs every stage computed from it, and only those', () => {
    assert.deepEqual(withDependents(['stt'], REAUDIT_STAGES), ['stt', 'redact', 'llm1', 'llm2']);
    assert.deepEqual(withDependents(['lid'], REAUDIT_STAGES), ['lid', 'stt', 'redact', 'llm1', 'llm2']);
    assert.deepEqual(withDependents(['redact'], REAUDIT_STAGES), ['redact', 'llm1', 'llm2']);
    assert.deepEqual(withDependents(['llm1'], REAUDIT_STAGES), ['llm1', 'llm2']);
    assert.deepEqual(withDependents(['llm2'], REAUDIT_STAGES), ['llm2']);
    assert.deepEqual(withDependents(['llm2', 'stt'], REAUDIT_STAGES), ['stt', 'redact', 'llm1', 'llm2']);
  });

  test('an upload that runs a stage without what it needs is named', () => {
    assert.deepEqual(missingInputs(['distribute', 'lid', 'stt', 'redact', 'llm1', 'llm2']), []);
    assert.deepEqual(
      missingInputs(['distribute', 'stt']),
      [],
      'stt uses lid when it is there, needs only audio',
    );
    assert.deepEqual(missingInputs(['distribute', 'lid', 'llm2']), ['llm2 needs redact']);
    assert.deepEqual(missingInputs(['distribute', 'lid', 'redact']), ['redact needs stt']);
    assert.deepEqual(
      missingInputs(['distribute', 'stt', 'llm1']),
      ['llm1 needs redact'],
      'an LLM never reads a transcript redaction has not been through',
    );
    assert.deepEqual(missingInputs(['lid']), ['lid needs distribute']);
    assert.deepEqual(
      lackingStages(['distribute', 'lid', 'llm2']),
      ['stt', 'redact'],
      'what to add, all of it',
    );
    assert.deepEqual(lackingStages(['distribute', 'stt', 'redact', 'llm1']), []);
  });
});
