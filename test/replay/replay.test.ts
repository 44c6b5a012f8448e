// Determinism guard: every committed history replays against today's workflow code. A change that would
// make a running workflow take a different path fails here, before it reaches a worker.
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { Worker } from '@temporalio/worker';
import { HISTORIES_DIR } from '../support/histories.js';
import { sharedBundle } from '../support/stack.js';

const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();

test('there are recorded histories for every workflow type', () => {
  const kinds = new Set(files.map((f) => f.split('.')[0]));
  // The first batch shapes (still registered for batches they started) and the current ones.
  for (const kind of [
    'auditUpload',
    'callPipeline',
    'reaudit',
    'dailyBatch',
    'auditUploadV2',
    'callPipelineV2',
    'reauditV2',
    'dailyBatchV2',
    'scheduledDay',
    'retention',
  ])
    assert.ok(kinds.has(kind), `no recorded history of ${kind}`);
});

for (const file of files) {
  test(`replays ${file}`, async () => {
    const history = JSON.parse(await readFile(new URL(file, HISTORIES_DIR), 'utf8'));
    await Worker.runReplayHistory({ workflowBundle: await sharedBundle() }, history, file);
  });
}
