// Retry of a batch's failed calls on the real stack (Temporal, workers, MariaDB, simulated nodes): the simulator
// fails the transcription of two of four recordings with a permanent 400, so the batch ends CompletedWithErrors;
// with the fault gone, POST /batches/{id}/retry-failed re-runs those two calls from STT only (no LID, and nothing of
// the calls that completed), they complete with a transcript, answers and a score, and a second retry finds
// nothing to do.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, inArray } from 'drizzle-orm';
import { auditAnswer, call, stageOutcome, transcript } from '../../drizzle/schema/index.js';
import { reauditStages } from '../../lifecycle/admission.js';
import { makeWav } from '../support/audio.js';
import { auditForm, postJson, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  // LID on /detect-language everywhere, so the injected 400 on transcriptions hits STT only.
  stack = await startStack({
    nodes: [
      { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
      { id: 'node-b', capacity: 2, lidPath: '/detect-language' },
    ],
    simulator: {
      timeScale: 0.02,
      failures: { clientErrorPattern: '^broken-', endpoints: ['transcriptions'] },
    },
  });
});
after(async () => {
  await stack?.stop();
});

const NAMES = ['retry-ok-1.wav', 'broken-retry-1.wav', 'retry-ok-2.wav', 'broken-retry-2.wav'];
const requestsSince = (from: number) =>
  stack.sim
    .stats()
    .endpoints.flatMap((e) => e.requests)
    .filter((r) => r.start >= from);

describe('retry the failed calls of a batch', () => {
  let batchId: number;
  let byName: Map<string, number>;
  let transcriptsBefore: { id: number; callId: number }[];

  before(async () => {
    const res = await uploadAudit(
      stack.app,
      auditForm(NAMES.map((name, i) => ({ name, bytes: makeWav(2 + (i % 2), 40 + i) }))),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    batchId = Number(res.body.batch_id);
    const { final } = await waitForBatch(stack.app, String(res.body.task_id), 240_000);
    assert.equal(final.status, 'CompletedWithErrors', JSON.stringify(final));
    const calls = await stack.db.select().from(call).where(eq(call.batchId, batchId));
    byName = new Map(calls.map((c) => [c.audioName, c.id]));
    transcriptsBefore = await stack.db
      .select({ id: transcript.id, callId: transcript.callId })
      .from(transcript)
      .where(inArray(transcript.callId, [...byName.values()]));
  });

  const ids = (names: string[]) => names.map((n) => byName.get(n)!).sort((a, b) => a - b);
  const broken = () => ids(NAMES.filter((n) => n.startsWith('broken-')));
  const ok = () => ids(NAMES.filter((n) => !n.startsWith('broken-')));

  test('the fault hit: the two broken recordings failed at STT, the others completed', async () => {
    const failed = await stack.db
      .select({ callId: stageOutcome.callId, stage: stageOutcome.stage })
      .from(stageOutcome)
      .where(and(eq(stageOutcome.batchId, batchId), eq(stageOutcome.outcome, 'failed')));
    assert.deepEqual(
      failed.map((f) => [f.callId, f.stage]).sort(),
      broken().map((id) => [id, 'stt']),
    );
    assert.deepEqual(
      transcriptsBefore.map((t) => t.callId).sort((a, b) => a - b),
      ok(),
    );
  });

  test('with the fault gone, retry-failed re-runs only those two, from STT, and they complete', async () => {
    stack.sim.setFailures({});
    const from = Date.now();
    const res = await postJson(stack.app, `/batches/${batchId}/retry-failed`, {});
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const retries = res.body.retries as { task_id: string; call_ids: number[]; stages: string[] }[];
    assert.equal(retries.length, 1);
    assert.deepEqual(retries[0]!.call_ids, broken());
    assert.deepEqual(retries[0]!.stages, reauditStages(['stt']));
    const { final } = await waitForBatch(stack.app, retries[0]!.task_id, 240_000);
    assert.equal(final.status, 'Completed', JSON.stringify(final));

    // Only the two broken recordings were sent again, to STT only (no LID: it had succeeded).
    const sent = requestsSince(from).filter((r) => r.stage === 'lid' || r.stage === 'stt');
    assert.ok(sent.length >= 2, JSON.stringify(sent));
    assert.deepEqual([...new Set(sent.map((r) => r.stage))], ['stt']);
    assert.deepEqual(
      [...new Set(sent.map((r) => r.subject))].sort(),
      NAMES.filter((n) => n.startsWith('broken-')).sort(),
    );

    // They completed with a transcript, answers and a score; the completed calls kept their own rows.
    const rows = await stack.db.select().from(call).where(inArray(call.id, broken()));
    for (const r of rows) {
      assert.equal(r.status, 'Completed', r.audioName);
      assert.equal(typeof r.auditScore, 'number', r.audioName);
    }
    const answers = await stack.db
      .select({ callId: auditAnswer.callId })
      .from(auditAnswer)
      .where(inArray(auditAnswer.callId, broken()));
    assert.deepEqual([...new Set(answers.map((a) => a.callId))].sort(), broken());
    const transcriptsAfter = await stack.db
      .select({ id: transcript.id, callId: transcript.callId })
      .from(transcript)
      .where(inArray(transcript.callId, ok()));
    assert.deepEqual(
      transcriptsAfter.sort((a, b) => a.id - b.id),
      transcriptsBefore.sort((a, b) => a.id - b.id),
      'the completed calls were not re-run',
    );
  });

  test('a second retry finds no failed call: 409 with the reason', async () => {
    const res = await postJson(stack.app, `/batches/${batchId}/retry-failed`, {});
    assert.equal(res.status, 409, JSON.stringify(res.body));
    assert.match(String(res.body.detail), /has no failed calls to retry/);
  });
});
