// Admission owns a batch until its workflow has started, and never after: a database blip right after the
// start cannot turn a running workflow into a zombie that blocks every later upload; a request past its time
// limit answers 504 only having changed nothing; a call belongs to at most one running batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { count, eq, like } from 'drizzle-orm';
import { createApp } from '../../api/app.js';
import { probeAudio } from '../../core/audio/probe.js';
import { batchStatus, call } from '../../drizzle/schema/index.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { failUpdates } from '../support/dbFault.js';
import {
  api,
  auditForm,
  type postJson,
  postReaudit,
  reply,
  statusOf,
  uploadAudit,
  waitForBatch,
} from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
});
after(async () => {
  await stack?.stop();
});

/** A run id written where there was none: the write that makes a batch the workflow's. */
const RUN_ID_WRITE = 'NEW.runId IS NOT NULL AND OLD.runId IS NULL';

const upload = (tag: string, seconds: number[] = [2]) =>
  uploadAudit(
    stack.app,
    auditForm(
      seconds.map((s, i) => ({ name: `${tag}-${i}.wav`, bytes: makeWav(s, 900 + i + tag.length, 200) })),
    ),
  );

describe('a database blip right after the workflow started', () => {
  test('upload: the batch runs to its end, and the next upload is accepted', async () => {
    const fault = await failUpdates(stack.database.pool, 'batchStatus', RUN_ID_WRITE, 1);
    let res: Awaited<ReturnType<typeof upload>>;
    try {
      res = await upload('blip-upload');
      const { final } = await waitForBatch(stack.app, res.body.task_id);
      assert.equal(await fault.fired(), 1, 'the fault happened');
      assert.equal(res.status, 200, JSON.stringify(res.body));
      assert.equal(final.status, 'Completed', JSON.stringify(final));
    } finally {
      await fault.remove();
    }
    const next = await upload('blip-after');
    assert.equal(next.status, 200, `the next upload is not blocked: ${JSON.stringify(next.body)}`);
    assert.equal((await waitForBatch(stack.app, next.body.task_id)).final.status, 'Completed');
  });

  test('reaudit: it runs to its end and holds its calls no longer', async () => {
    const res = await upload('blip-reaudit');
    await waitForBatch(stack.app, res.body.task_id);
    const fault = await failUpdates(stack.database.pool, 'batchStatus', RUN_ID_WRITE, 1);
    try {
      const reaudit = await postReaudit(stack.app, {
        audio_names: ['blip-reaudit-0.wav'],
        stages: ['llm2'],
      });
      assert.equal(reaudit.status, 200, JSON.stringify(reaudit.body));
      const { final } = await waitForBatch(stack.app, reaudit.body.task_id);
      assert.equal(await fault.fired(), 1, 'the fault happened');
      assert.equal(final.status, 'Completed', JSON.stringify(final));
      const id = workflowIds.reaudit(stack.config.COFI_TASK_QUEUE, Number(reaudit.body.batch_id));
      assert.equal((await stack.client.workflow.getHandle(id).describe()).status.name, 'COMPLETED');
    } finally {
      await fault.remove();
    }
    const again = await postReaudit(stack.app, {
      audio_names: ['blip-reaudit-0.wav'],
      stages: ['llm2'],
    });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    await waitForBatch(stack.app, again.body.task_id);
  });
});

test('a reaudit held up past REQUEST_TIMEOUT_MS answers 504 and leaves no batch and no workflow', async () => {
  const res = await upload('slow-admission');
  await waitForBatch(stack.app, res.body.task_id);
  const app = createApp({
    database: stack.database,
    temporal: stack.client,
    config: { ...stack.config, REQUEST_TIMEOUT_MS: 300 },
    audio: stack.audio,
    probeAudio,
  });
  const reaudits = () =>
    stack.db
      .select({ n: count() })
      .from(batchStatus)
      .where(like(batchStatus.workflowId, `${stack.config.COFI_TASK_QUEUE}/reaudit-%`));
  const [before] = await reaudits();
  // Another client holds the batch table for a second: the reaudit waits for it, past its time limit.
  const blocker = await stack.database.pool.getConnection();
  let answer: Awaited<ReturnType<typeof postJson>>;
  try {
    await blocker.query('LOCK TABLES batchStatus WRITE, callLock WRITE');
    const pending = postReaudit(app, { audio_names: ['slow-admission-0.wav'], stages: ['llm2'] });
    await new Promise((r) => setTimeout(r, 1000));
    await blocker.query('UNLOCK TABLES');
    answer = await pending;
  } finally {
    await blocker.query('UNLOCK TABLES').catch(() => undefined);
    blocker.release();
  }
  // Whatever the handler did after its answer has had time to happen.
  await new Promise((r) => setTimeout(r, 1500));
  const [after] = await reaudits();
  assert.equal(after!.n, before!.n, 'no reaudit batch was left behind');
  const running = [];
  for await (const w of stack.client.workflow.list({
    query: `WorkflowId STARTS_WITH '${stack.config.COFI_TASK_QUEUE}/reaudit-' AND ExecutionStatus = 'Running'`,
  }))
    running.push(w.workflowId);
  assert.deepEqual(running, []);
  assert.equal(answer.status, 504, JSON.stringify(answer.body));
  assert.match(String(answer.body.detail), /nothing was started/);
});

test('a finished call of a batch still running cannot be reaudited: 409 naming the batch; free once it ends', async () => {
  // A short call finishes while a long one (10 minutes of audio at real-time speed: 15 s of STT) still runs.
  stack.sim.setTimeScale(1);
  try {
    const res = await upload('held', [2, 600]);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const batchId = Number(res.body.batch_id);
    for (let i = 0; ; i++) {
      const [short] = await stack.db.select().from(call).where(eq(call.audioName, 'held-0.wav'));
      if (short?.status === 'Completed' && short.batchId === batchId) break;
      assert.ok(i < 200, 'the short call finished');
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal((await statusOf(stack.app, res.body.task_id)).body.status, 'InProgress');
    const refused = await postReaudit(stack.app, { audio_names: ['held-0.wav'], stages: ['llm2'] });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.match(String(refused.body.detail), new RegExp(`held-0\\.wav \\(audit-${batchId}\\)`));
    // The upload is cancelled (any batch can be): it ends, and its calls are free.
    const cancel = await reply(
      api(stack.app).batches[':id'].cancel.$post({ param: { id: String(batchId) } }),
    );
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'Cancelled');
    assert.deepEqual([final.completed, final.cancelled], [1, 1]);
  } finally {
    stack.sim.setTimeScale(0);
  }
  const accepted = await postReaudit(stack.app, { audio_names: ['held-0.wav'], stages: ['llm2'] });
  assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
  await waitForBatch(stack.app, accepted.body.task_id);
});
