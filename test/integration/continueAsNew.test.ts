// A batch larger than one run's budget: each run stops taking calls and continues as new with the calls in
// flight still running (they report to the workflow id, so the next run hears them): no drain, no idle GPU.
// The batch completes with exact rows and progress, and every run's history stays small.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { verifyBatch } from '../../chaos/checks.js';
import { countRepeats } from '../../chaos/repeats.js';
import { batchRunEventBound } from '../../core/limits.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    // Short calls take a few milliseconds; STT time follows the audio's length (40 s of audio a second).
    simulator: {
      timeScale: 1,
      latency: { lidMs: 5, sttOverheadMs: 5, llmOverheadMs: 5, llmMsPerToken: 0 },
    },
    env: { BATCH_WINDOW: '3', BATCH_RUN_EVENTS: '100' },
  });
});
after(async () => {
  await stack?.stop();
});

test('a batch continues as new and loses or repeats nothing', async () => {
  // The first call is long (8 minutes of audio, 12 s of STT) and the rest short: the short ones spend the
  // first run's budget through the other two slots of the window while the long one is still running, so the
  // hand-over carries a call in flight whatever the machine's speed. (Calls of one length, started together,
  // end together: a slow machine heard their ends in one workflow task and handed over with none in flight.)
  const files = Array.from({ length: 14 }, (_, i) => ({
    name: `handover-${i}.wav`,
    bytes: i === 0 ? makeWav(480, 700, 200) : makeWav(2, 700 + i),
  }));
  const res = await uploadAudit(stack.app, auditForm(files));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, res.body.task_id, 300_000);
  assert.equal(final.status, 'Completed', JSON.stringify(final));
  assert.equal(final.completed, 14);
  const progress = final.progress as Record<string, { total: number; done: number; failed: number }>;
  for (const stage of ['distribute', 'lid', 'stt', 'llm1', 'llm2'])
    assert.deepEqual(
      { total: progress[stage]?.total, done: progress[stage]?.done, failed: progress[stage]?.failed },
      { total: 14, done: 14, failed: 0 },
      stage,
    );
  await recordHistory(
    stack.client,
    workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
    'auditUploadV2.handover',
  );
  const verdict = await verifyBatch(stack.database.pool, Number(res.body.batch_id), 9, {
    sent: files.map((f) => ({ name: f.name, bytes: f.bytes.length })),
    audioRoot: stack.config.AUDIO_DIR,
  });
  assert.deepEqual(verdict.problems, []);
  assert.deepEqual([verdict.completed, verdict.lost], [14, 0]);
  // Repeats nothing: the nodes got one request per call and stage across the hand-overs.
  const requests = stack.sim.stats().endpoints.flatMap((e) => e.requests);
  const repeats = countRepeats(requests, { llm1: 14, llm2: 14 }, 1);
  assert.deepEqual([repeats.requests, repeats.repeated], [14 * 4, 0], JSON.stringify(repeats));

  // Every run's history, from the last back to the first (each run's start names the run it continues);
  // read from the histories themselves, not the visibility list, which may not list the last run yet.
  const lengths: number[] = [];
  const taskTimeouts: number[] = [];
  const inheritedCalls: number[] = [];
  const id = workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE);
  let runId: string | undefined;
  do {
    const history = await stack.client.workflow.getHandle(id, runId).fetchHistory();
    const events = history.events ?? [];
    // A workflow task that timed out or failed (a starved worker) is retried: 3 events the bound leaves out.
    const retried = events.filter(
      (e) => e.workflowTaskTimedOutEventAttributes || e.workflowTaskFailedEventAttributes,
    ).length;
    lengths.push(events.length - 3 * retried);
    const started = events[0]?.workflowExecutionStartedEventAttributes;
    taskTimeouts.push(Number(started?.workflowTaskTimeout?.seconds ?? 0));
    const input = started?.input?.payloads?.[0]?.data;
    const state = input ? JSON.parse(Buffer.from(input).toString()).state : undefined;
    inheritedCalls.push(Object.keys(state?.window?.inFlight ?? {}).length);
    runId =
      history.events?.[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  } while (runId);
  // 14 calls add at least 6 events each (start initiated and started, result, report, workflow tasks) to the
  // run that started them, more than one run's budget of 100: the batch must have handed over.
  assert.ok(lengths.length >= 2, `runs: ${lengths.join(', ')}`);
  // A run hands over with calls still running: some run was started with calls in flight.
  assert.ok(
    inheritedCalls.some((n) => n > 0),
    `calls in flight at each hand-over: ${inheritedCalls.join(', ')}`,
  );
  // The API starts the batch with a longer workflow-task timeout, and the server keeps it for every run it
  // continues as.
  assert.deepEqual(
    taskTimeouts,
    lengths.map(() => 60),
  );
  // 100 events of budget, then at most one page admitted, the calls in flight ending, the hand-over.
  const bound = batchRunEventBound(100, 3);
  assert.ok(
    lengths.every((n) => n <= bound),
    `history lengths: ${lengths.join(', ')}; bound ${bound}`,
  );
});
