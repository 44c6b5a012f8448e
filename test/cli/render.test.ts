// The CLI's terminal output: tables that control characters cannot break, bars redrawn in place on a
// terminal, and one plain line per change elsewhere.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { BatchDetail } from '../../api/schemas.js';
import { callTable } from '../../cli/commands.js';
import { createProgressView, stageLines } from '../../cli/progress.js';
import { renderTable } from '../../cli/table.js';

const ESC = '\u001b';

const batch = (done: number, failed = 0): BatchDetail => ({
  task_id: 'audit-7',
  batch_id: 7,
  kind: 'audit',
  status: done + failed === 4 ? 'CompletedWithErrors' : 'InProgress',
  source: 'ledger',
  batch_date: '2025-01-31',
  process_id: 1,
  category_mapping_id: 1,
  total_files: 4,
  completed: done,
  no_speech: 0,
  failed,
  cancelled: 0,
  in_flight: 4 - done - failed,
  progress: {
    lid: { total: 4, done: 4, failed: 0, skipped: 0, cancelled: 0 },
    stt: { total: 4, done, failed, skipped: 0, cancelled: 0 },
  },
  stage_status: { lid: 'Complete', stt: 'InProgress' },
  exit_reason: null,
  attempt: 1,
  details: null,
  created_at: '2025-01-31T10:00:00.000Z',
  started_at: null,
  completed_at: null,
  workflow_id: 'cofi/audit-upload',
  temporal_url: 'http://127.0.0.1:8233/x',
  temporal_workflows_url: 'http://127.0.0.1:8233/y',
  stage_timings: {},
});

describe('CLI rendering', () => {
  test('tables align columns, right-align numbers and strip control characters', () => {
    const text = renderTable(
      [
        { name: 'a.wav', score: 9.5 },
        { name: 'evil\u001b[2J\nname.wav', score: 100 },
      ],
      [
        { title: 'name', value: (r) => r.name },
        { title: 'score', value: (r) => r.score, right: true },
      ],
    );
    const lines = text.split('\n');
    assert.equal(lines.length, 4);
    assert.ok(!text.includes(ESC));
    assert.match(lines[2] ?? '', /^a\.wav\s+9\.5$/);
    assert.equal(lines[2]?.length, lines[3]?.length);
  });

  test('call table: name, language, category, score, status with the failed stage', () => {
    const text = callTable([
      {
        call_id: 1,
        batch_id: 7,
        audio_name: 'x.wav',
        status: 'Failed',
        stage: 'lid',
        lang: 'en',
        score: null,
        critical_failure: null,
        skip_reason: null,
        failed_stage: 'stt',
        error_message: 'HTTP 400',
        duration: 3,
        gpu_node: 'n',
        category: null,
        sub_category: null,
        agent_id: null,
        team: null,
        customer_reference: null,
        call_started_at: null,
        direction: null,
        updated_at: '2025-01-31T10:00:00.000Z',
      },
    ]);
    assert.match(text, /^name\s+language\s+category\s+score\s+status$/m);
    assert.match(text, /x\.wav\s+en\s+Failed at stt$/m);
  });

  test('stage bars fill with done and mark failures', () => {
    const [lid, stt] = stageLines(batch(1, 1));
    assert.match(lid ?? '', /lid\s+█{24}\s+4\/4/);
    assert.match(stt ?? '', /stt\s+█{6}▒{6}░{12}\s+1\/4\s+1 failed/);
  });

  test('on a terminal the bars are redrawn in place; elsewhere a line per change', () => {
    let tty = '';
    const live = createProgressView({ write: (t: string) => (tty += t) }, true);
    live.update(batch(1));
    live.update(batch(2));
    assert.ok(tty.includes(`${ESC}[3F${ESC}[J`), 'moves up over the three lines drawn before');
    let plain = '';
    const log = createProgressView({ write: (t: string) => (plain += t) }, false);
    log.update(batch(1));
    log.update(batch(1));
    log.update(batch(3, 1));
    assert.deepEqual(plain.trim().split('\n'), [
      'audit-7 InProgress: lid 4/4, stt 1/4',
      'audit-7 CompletedWithErrors: lid 4/4, stt 3/4 (1 failed)',
    ]);
    assert.ok(!plain.includes(ESC));
  });
});
