// Retention on the real stack: calls of two processes with different days (created old, directly in the database,
// with their recordings in the audio store) expire by kind as each policy says; the run's counts per process and
// kind are right, the files are gone, reads of an expired part answer 410, a second run removes and counts
// nothing; a run whose page fails mid-way (a database fault), or whose worker is killed mid-way, resumes and counts
// each call once; a process that keeps failing is given up for the run, which finishes the others and is recorded
// Failed, and the next run finishes it; a call a running batch holds is skipped; the schedule exists with the configured cron.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { eq, inArray } from 'drizzle-orm';
import { mainQueue } from '../../core/fleet.js';
import {
  analysis,
  auditAnswer,
  batchStatus,
  call,
  callLock,
  process,
  processPolicy,
  resultVersion,
  retentionCount,
  retentionRun,
  transcript,
} from '../../drizzle/schema/index.js';
import { ensureRetentionSchedule, retentionScheduleId } from '../../worker/schedule.js';
import { retention } from '../../workflows/retention.js';
import { makeWav } from '../support/audio.js';
import { failUpdates } from '../support/dbFault.js';
import { recordHistory } from '../support/histories.js';
import { type Stack, startStack } from '../support/stack.js';

const DAY_MS = 86_400_000;
const tag = randomUUID().slice(0, 8);
/** Process ids of this file only (the test database is shared; a run acts on every process with a policy). */
const base = 600_000_000 + Math.floor(Math.random() * 90_000_000);
const A = base;
const B = base + 1;
const C = base + 2;

let stack: Stack;
const batches: number[] = [];
before(async () => {
  stack = await startStack({ env: { DAILY_CRON: '', RETENTION_CRON: '' } });
  await stack.db.insert(process).values([
    { id: A, name: `retention ${tag} A` },
    { id: B, name: `retention ${tag} B` },
    { id: C, name: `retention ${tag} C` },
  ]);
});
after(async () => {
  if (stack) {
    const ids = [A, B, C];
    if (batches.length) {
      await stack.db.delete(callLock).where(inArray(callLock.batchId, batches));
      const calls = (
        await stack.db.select({ id: call.id }).from(call).where(inArray(call.batchId, batches))
      ).map((r) => r.id);
      if (calls.length) {
        await stack.db.delete(transcript).where(inArray(transcript.callId, calls));
        await stack.db.delete(analysis).where(inArray(analysis.callId, calls));
        await stack.db.delete(auditAnswer).where(inArray(auditAnswer.callId, calls));
        await stack.db.delete(resultVersion).where(inArray(resultVersion.callId, calls));
      }
      await stack.db.delete(call).where(inArray(call.batchId, batches));
      await stack.db.delete(batchStatus).where(inArray(batchStatus.id, batches));
    }
    await stack.db.delete(processPolicy).where(inArray(processPolicy.processId, ids));
    await stack.db.delete(process).where(inArray(process.id, ids));
  }
  await stack?.stop();
});

/** A finished batch of the process with one call per age (days), each with a recording, transcript, analysis, answers. */
async function seedCalls(processId: number, ages: number[], status = 'Completed' as const) {
  const key = randomUUID().slice(0, 8);
  const [b] = await stack.db.insert(batchStatus).values({
    batchDate: new Date().toISOString().slice(0, 10),
    kind: 'audit',
    status,
    taskId: `retention-${key}`,
    workflowId: `test/retention-${key}`,
    processId,
    categoryMappingId: 1,
    stages: ['distribute', 'lid', 'stt', 'llm1', 'llm2'],
    totalFiles: ages.length,
    completedFiles: ages.length,
    attempt: 1,
  });
  const batchId = b.insertId;
  batches.push(batchId);
  const ids: number[] = [];
  for (const [i, age] of ages.entries()) {
    const storedPath = stack.audio.batchFile(batchId, i + 1, 'wav');
    const full = stack.audio.resolve(storedPath);
    await mkdir(path.dirname(full), { recursive: true });
    await writeFile(full, makeWav(1, 5 + i));
    // A processed copy beside it, as denoise writes one: the recording is both.
    await writeFile(full.replace(/\.wav$/, '.denoise.wav'), makeWav(1, 6 + i));
    const [row] = await stack.db.insert(call).values({
      batchId,
      audioName: `${tag}-p${processId}-${i}.wav`,
      storedPath,
      processId,
      status: 'Completed',
      stage: 'llm2',
      audioFormat: 'wav',
      createdAt: new Date(Date.now() - age * DAY_MS),
    });
    const callId = row.insertId;
    ids.push(callId);
    await stack.db.insert(transcript).values({
      callId,
      lang: 'en',
      text: `my card is 4111 1111 1111 1111 (${tag})`,
      segments: [{ id: 0, start: 0, end: 1, text: 'my card' }],
    });
    await stack.db.insert(analysis).values({ callId, summary: `a billing question (${tag})` });
    await stack.db.insert(auditAnswer).values([
      { callId, questionId: 1, answer: 'yes', score: 1, maxScore: 1 },
      { callId, questionId: 2, answer: 'no', score: 0, maxScore: 1 },
    ]);
  }
  return { batchId, ids };
}

async function setPolicy(processId: number, retentionDays: Record<string, number | null>) {
  const res = await stack.app.request(`/processes/${processId}/policy`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ retention: retentionDays }),
  });
  assert.equal(res.status, 200, await res.text());
}

async function runRetention(name: string, input: Parameters<typeof retention>[0] = {}) {
  const workflowId = `${stack.config.COFI_TASK_QUEUE}/retention-${name}`;
  const result = await stack.client.workflow.execute(retention, {
    taskQueue: mainQueue(stack.config.COFI_TASK_QUEUE),
    workflowId,
    args: [input],
  });
  return { workflowId, result };
}

/** The run's counts for this file's processes: `process/kind` -> [calls, items]. */
async function countsOf(runId: number) {
  const rows = await stack.db.select().from(retentionCount).where(eq(retentionCount.runId, runId));
  return Object.fromEntries(
    rows
      .filter((r) => [A, B, C].includes(r.processId))
      .map((r) => [
        `${r.processId === A ? 'A' : r.processId === B ? 'B' : 'C'}/${r.kind}`,
        [r.calls, r.items],
      ]),
  );
}

const filesOf = async (batchId: number) =>
  (await readdir(stack.audio.resolve(`batch-${batchId}`)).catch(() => [] as string[])).sort();
const stem = (n: number) => String(n).padStart(5, '0');

describe('a retention run over two processes with different days', () => {
  let a: { batchId: number; ids: number[] };
  let b: { batchId: number; ids: number[] };
  let heldCall = 0;
  let first: Awaited<ReturnType<typeof runRetention>>;

  before(async () => {
    // A: recordings and transcripts 30 days, analyses 60, answers kept. B: recordings 90, the rest kept.
    await setPolicy(A, { recordingDays: 30, transcriptDays: 30, analysisDays: 60 });
    await setPolicy(B, { recordingDays: 90 });
    // A: 40 days (recording, transcript), 70 days (and analysis), 10 days (nothing), 40 days but held.
    a = await seedCalls(A, [40, 70, 10, 40]);
    heldCall = a.ids[3]!;
    // Held by a running batch (any batch id but the retention's claims).
    await stack.db.insert(callLock).values({ callId: heldCall, batchId: a.batchId });
    // An earlier version of the 70-day call's results, as a reaudit keeps one.
    await stack.db.insert(resultVersion).values({
      callId: a.ids[1]!,
      version: 1,
      batchId: a.batchId,
      reason: 'reaudit',
      stages: ['stt'],
      models: {},
      promptVersions: {},
      snapshot: {
        lang: 'en',
        auditScore: 50,
        lid: null,
        transcript: { text: `an older transcript (${tag})` },
        analysis: { summary: `an older summary (${tag})` },
        answers: [
          {
            questionId: 1,
            answer: 'no',
            aiAnswer: 'no',
            evidence: `an older quote (${tag})`,
            score: 0,
            maxScore: 1,
            model: null,
            promptVersion: null,
          },
        ],
      },
    });
    // B: 40 days (nothing), 100 days (recording).
    b = await seedCalls(B, [40, 100]);
    first = await runRetention(`first-${tag}`, { pageSize: 1 });
  });

  test('the run completed and counted per process and kind: calls, and files or rows', async () => {
    assert.equal(first.result.status, 'Completed');
    assert.deepEqual(await countsOf(first.result.runId), {
      'A/recording': [2, 4],
      'A/transcript': [2, 2],
      'A/analysis': [1, 1],
      'B/recording': [1, 2],
    });
    const [run] = await stack.db.select().from(retentionRun).where(eq(retentionRun.id, first.result.runId));
    assert.equal(run?.workflowId, first.workflowId);
    assert.ok(run?.finishedAt);
  });

  test('expired recordings are gone from the store, the others are there', async () => {
    assert.deepEqual(await filesOf(a.batchId), [
      `${stem(3)}.denoise.wav`,
      `${stem(3)}.wav`,
      `${stem(4)}.denoise.wav`,
      `${stem(4)}.wav`,
    ]);
    assert.deepEqual(await filesOf(b.batchId), [`${stem(1)}.denoise.wav`, `${stem(1)}.wav`]);
  });

  test('expired rows are deleted, kept ones stay; the call rows stay and say what expired', async () => {
    const [a40, a70, a10, held] = a.ids as [number, number, number, number];
    const has = async (table: typeof transcript | typeof analysis | typeof auditAnswer, id: number) =>
      (await stack.db.select().from(table).where(eq(table.callId, id))).length;
    assert.deepEqual(
      [await has(transcript, a40), await has(analysis, a40), await has(auditAnswer, a40)],
      [0, 1, 2],
    );
    assert.deepEqual(
      [await has(transcript, a70), await has(analysis, a70), await has(auditAnswer, a70)],
      [0, 0, 2],
    );
    for (const id of [a10, held, ...b.ids])
      assert.deepEqual([await has(transcript, id), await has(analysis, id)], [1, 1], `call ${id} kept`);
    const rows = await stack.db
      .select()
      .from(call)
      .where(inArray(call.id, [...a.ids, ...b.ids]));
    const byId = new Map(rows.map((r) => [r.id, r]));
    assert.ok(byId.get(a40)?.recordingExpiredAt && byId.get(a40)?.transcriptExpiredAt);
    assert.equal(byId.get(a40)?.analysisExpiredAt, null);
    assert.ok(byId.get(a70)?.analysisExpiredAt);
    assert.equal(byId.get(a70)?.answerExpiredAt, null);
    assert.equal(byId.get(held)?.recordingExpiredAt, null, 'a held call is skipped');
    assert.ok(byId.get(b.ids[1]!)?.recordingExpiredAt);
    assert.equal(byId.get(b.ids[0]!)?.recordingExpiredAt, null);
  });

  test("the call's earlier result versions lose the expired parts too, and keep the rest", async () => {
    const [version] = await stack.db.select().from(resultVersion).where(eq(resultVersion.callId, a.ids[1]!));
    assert.equal(version?.snapshot.transcript, null);
    assert.equal(version?.snapshot.analysis, null);
    assert.equal(version?.snapshot.answers.length, 1, 'answers are kept by A');
    assert.equal(version?.snapshot.auditScore, 50, 'numbers stay');
  });

  test('reading an expired recording answers 410 "expired by retention"; the call answers what is left', async () => {
    const [a40, , a10] = a.ids as [number, number, number];
    const gone = await stack.app.request(`/calls/${a40}/audio`);
    assert.equal(gone.status, 410);
    const body = (await gone.json()) as { detail: string; code: string };
    assert.match(body.detail, /expired by retention/);
    assert.equal(body.code, 'gone');
    assert.equal((await stack.app.request(`/calls/${a10}/audio`)).status, 200);
    const detail = await stack.app.request(`/calls/${a40}`);
    assert.equal(detail.status, 200);
    const d = (await detail.json()) as { expired: Record<string, string | null> };
    assert.ok(d.expired.recording && d.expired.transcript, JSON.stringify(d.expired));
    assert.equal(d.expired.analysis, null);
  });

  test('an expired recording has no audio_url and the call page says it expired', async () => {
    const [a40, , a10] = a.ids as [number, number, number];
    const d = (await (await stack.app.request(`/calls/${a40}`)).json()) as { audio_url: string | null };
    assert.equal(d.audio_url, null);
    const kept = (await (await stack.app.request(`/calls/${a10}`)).json()) as { audio_url: string | null };
    assert.match(String(kept.audio_url), /\/calls\/\d+\/audio/);
    const player = await (await stack.app.request(`/ui/f/calls/${a40}/player`)).text();
    assert.match(player, /id="recording-expired"/);
    assert.doesNotMatch(player, /<audio /);
  });

  test('a reaudit needing what expired is a 409 naming it, and admits nothing', async () => {
    const [a40, a70] = a.ids as [number, number];
    const batches = async () => (await stack.db.select({ id: batchStatus.id }).from(batchStatus)).length;
    const before = await batches();
    const reaudit = async (body: object) => {
      const res = await stack.app.request('/reaudit', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, detail: String(((await res.json()) as { detail?: string }).detail) };
    };
    const stt = await reaudit({ call_ids: [a40], stages: ['stt'] });
    assert.equal(stt.status, 409, stt.detail);
    assert.match(
      stt.detail,
      new RegExp(`^stt cannot re-run: the recording expired by retention for .*call ${a40}`),
    );
    const llm2 = await reaudit({ call_ids: [a70], stages: ['llm2'] });
    assert.equal(llm2.status, 409, llm2.detail);
    assert.match(
      llm2.detail,
      new RegExp(`llm2 cannot re-run: the transcript expired by retention for .*call ${a70}`),
    );
    assert.equal(await batches(), before, 'no reaudit batch was made');
  });

  test('GET /retention/runs shows the run with its counts', async () => {
    const res = await stack.app.request('/retention/runs?limit=50');
    assert.equal(res.status, 200);
    const { runs } = (await res.json()) as {
      runs: { id: number; status: string; counts: { process_id: number; kind: string; calls: number }[] }[];
    };
    const run = runs.find((r) => r.id === first.result.runId);
    assert.equal(run?.status, 'Completed');
    assert.deepEqual(
      run?.counts.filter((n) => n.process_id === B).map((n) => [n.kind, n.calls]),
      [['recording', 1]],
    );
  });

  test('a second run removes nothing and counts nothing; the held call goes once its batch let it go', async () => {
    const second = await runRetention(`second-${tag}`);
    assert.equal(second.result.status, 'Completed');
    assert.deepEqual(await countsOf(second.result.runId), {});
    assert.equal((await filesOf(a.batchId)).length, 4);
    await stack.db.delete(callLock).where(eq(callLock.callId, heldCall));
    const third = await runRetention(`third-${tag}`);
    assert.deepEqual(await countsOf(third.result.runId), {
      'A/recording': [1, 2],
      'A/transcript': [1, 1],
    });
    await recordHistory(stack.client, first.workflowId, 'retention.two-processes');
  });
});

describe('a run interrupted mid-way', () => {
  test('a page that fails (database fault) is retried: every call expires once and is counted once', async () => {
    await setPolicy(C, { recordingDays: 30 });
    const c = await seedCalls(C, [40, 40, 40, 40, 40]);
    // The third call's mark fails twice: the first page (two calls) has committed, the second rolls back.
    const fault = await failUpdates(
      stack.database.pool,
      'call',
      `OLD.id = ${c.ids[2]} AND NEW.recordingExpiredAt IS NOT NULL`,
      2,
    );
    try {
      const run = await runRetention(`interrupted-${tag}`, { pageSize: 2 });
      assert.equal(await fault.fired(), 2, 'the fault hit the run');
      assert.equal(run.result.status, 'Completed');
      assert.deepEqual(await countsOf(run.result.runId), { 'C/recording': [5, 10] });
      assert.deepEqual(await filesOf(c.batchId), []);
      const marked = await stack.db.select().from(call).where(inArray(call.id, c.ids));
      assert.ok(marked.every((r) => r.recordingExpiredAt));
    } finally {
      await fault.remove();
    }
  });
});

describe('files are removed only after the commit, and files left behind go with the next attempt', () => {
  const G = base + 6;
  const H = base + 7;
  before(async () => {
    await stack.db.insert(process).values([
      { id: G, name: `retention ${tag} G` },
      { id: H, name: `retention ${tag} H` },
    ]);
  });
  after(async () => {
    await stack.db.delete(processPolicy).where(inArray(processPolicy.processId, [G, H]));
    await stack.db.delete(process).where(inArray(process.id, [G, H]));
  });
  const countsFor = async (runId: number, processId: number) =>
    (await stack.db.select().from(retentionCount).where(eq(retentionCount.runId, runId)))
      .filter((r) => r.processId === processId)
      .map((r) => [r.kind, r.calls, r.items]);

  test("a page whose last statement (its claims' release) fails removed no file: the retry removes and counts all", async () => {
    await setPolicy(G, { recordingDays: 30 });
    const g = await seedCalls(G, [40, 40, 40]);
    // The release of the first page's claim on its first call fails once: that page rolls back whole.
    const name = `fault_${tag}_release`;
    await stack.database.pool.query(`CREATE TABLE ${name} (n INT NOT NULL) ENGINE=MEMORY`);
    await stack.database.pool.query(`INSERT INTO ${name} VALUES (0)`);
    await stack.database.pool.query(`
      CREATE TRIGGER ${name} BEFORE DELETE ON callLock FOR EACH ROW
      BEGIN
        IF OLD.callId = ${g.ids[0]} AND OLD.batchId = 0 AND (SELECT n FROM ${name}) = 0 THEN
          UPDATE ${name} SET n = 1;
          SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected database fault';
        END IF;
      END`);
    try {
      const run = await runRetention(`release-fails-${tag}`, { pageSize: 2 });
      const [[fired]] = (await stack.database.pool.query(`SELECT n FROM ${name}`)) as unknown as [
        [{ n: number }],
      ];
      assert.equal(fired?.n, 1, 'the fault hit the run');
      assert.equal(run.result.status, 'Completed');
      // Every file counted: none went with the page that rolled back.
      assert.deepEqual(await countsFor(run.result.runId, G), [['recording', 3, 6]]);
      assert.deepEqual(await filesOf(g.batchId), []);
    } finally {
      await stack.database.pool.query(`DROP TRIGGER IF EXISTS ${name}`);
      await stack.database.pool.query(`DROP TABLE IF EXISTS ${name}`);
    }
  });

  test('files of a call marked but not removed (the worker died after the commit) and of an erased call go with the next run', async () => {
    await setPolicy(H, { recordingDays: 30 });
    const h = await seedCalls(H, [40, 40]);
    // The first call's page committed (marked, counted by its run) and the worker died before removing files.
    await stack.db.update(call).set({ recordingExpiredAt: new Date() }).where(eq(call.id, h.ids[0]!));
    // An erasure committed and its files stayed (DELETE answered files_error, or the process died).
    const erased = await seedCalls(H, [1]);
    await stack.db
      .update(call)
      .set({ status: 'Erased', erasedAt: new Date(), audioName: `erased-${erased.ids[0]}` })
      .where(eq(call.id, erased.ids[0]!));
    assert.equal((await filesOf(h.batchId)).length, 4);
    assert.equal((await filesOf(erased.batchId)).length, 2);
    const run = await runRetention(`leftovers-${tag}`);
    assert.equal(run.result.status, 'Completed');
    assert.deepEqual(await filesOf(h.batchId), []);
    assert.deepEqual(await filesOf(erased.batchId), [], "the erased call's files");
    // Only the call this run marked is counted (the other one was counted by the run that marked it).
    assert.deepEqual(await countsFor(run.result.runId, H), [['recording', 1, 2]]);
  });
});

describe('a run that gives a process up', () => {
  test('the other processes finish, the run is Failed naming it, and the next run finishes it: totals exact', async () => {
    const E = base + 4;
    const F = base + 5;
    await stack.db.insert(process).values([
      { id: E, name: `retention ${tag} E` },
      { id: F, name: `retention ${tag} F` },
    ]);
    try {
      await setPolicy(E, { recordingDays: 30 });
      await setPolicy(F, { recordingDays: 30 });
      const e = await seedCalls(E, [40, 40, 40]);
      const f = await seedCalls(F, [40, 40]);
      // E's second call cannot be marked, twice: the first run (one attempt) gives E up after its first page.
      const fault = await failUpdates(
        stack.database.pool,
        'call',
        `OLD.id = ${e.ids[1]} AND NEW.recordingExpiredAt IS NOT NULL`,
        2,
      );
      const counts = async (runId: number) =>
        (await stack.db.select().from(retentionCount).where(eq(retentionCount.runId, runId)))
          .filter((r) => r.processId === E || r.processId === F)
          .map((r) => [r.processId === E ? 'E' : 'F', r.calls, r.items]);
      try {
        const workflowId = `${stack.config.COFI_TASK_QUEUE}/retention-gives-up-${tag}`;
        await assert.rejects(
          stack.client.workflow.execute(retention, {
            taskQueue: mainQueue(stack.config.COFI_TASK_QUEUE),
            workflowId,
            args: [{ pageSize: 1, attempts: 1 }],
          }),
        );
        const [failedRun] = await stack.db
          .select()
          .from(retentionRun)
          .where(eq(retentionRun.workflowId, workflowId));
        assert.equal(failedRun?.status, 'Failed');
        assert.match(String(failedRun?.error), new RegExp(`process ${E}: .*injected database fault`));
        assert.doesNotMatch(String(failedRun?.error), new RegExp(`process ${F}`));
        assert.deepEqual(await counts(failedRun!.id), [
          ['E', 1, 2],
          ['F', 2, 4],
        ]);
        assert.deepEqual(await filesOf(f.batchId), [], "F's recordings went in the failed run");
        const next = await runRetention(`after-failure-${tag}`, { pageSize: 1 });
        assert.equal(next.result.status, 'Completed');
        assert.equal(await fault.fired(), 2);
        assert.deepEqual(await counts(next.result.runId), [['E', 2, 4]]);
        assert.deepEqual(await filesOf(e.batchId), []);
        await recordHistory(stack.client, workflowId, 'retention.gives-up');
      } finally {
        await fault.remove();
      }
    } finally {
      await stack.db.delete(processPolicy).where(inArray(processPolicy.processId, [E, F]));
      await stack.db.delete(process).where(inArray(process.id, [E, F]));
    }
  });
});

describe('a run whose worker is killed mid-way', () => {
  test('the new worker retries the process and finishes it: each call expired and counted once', async () => {
    const D = base + 3;
    await stack.db.insert(process).values({ id: D, name: `retention ${tag} D` });
    await setPolicy(D, { recordingDays: 30 });
    const d = await seedCalls(
      D,
      Array.from({ length: 12 }, () => 40),
    );
    // A slow database for this process's calls only, so the kill lands mid-run, between pages or in one.
    const slow = `slow_${tag}`;
    await stack.database.pool.query(
      `CREATE TRIGGER ${slow} BEFORE UPDATE ON \`call\` FOR EACH ROW BEGIN IF NEW.processId = ${D} THEN DO SLEEP(0.3); END IF; END`,
    );
    try {
      const workflowId = `${stack.config.COFI_TASK_QUEUE}/retention-killed-${tag}`;
      const handle = await stack.client.workflow.start(retention, {
        taskQueue: mainQueue(stack.config.COFI_TASK_QUEUE),
        workflowId,
        args: [{ pageSize: 1 }],
      });
      const counted = async () => {
        const rows = await stack.db.select().from(retentionCount).where(eq(retentionCount.processId, D));
        return rows[0]?.calls ?? 0;
      };
      for (let i = 0; (await counted()) < 2; i++) {
        assert.ok(i < 600, 'the run started on process D');
        await new Promise((r) => setTimeout(r, 50));
      }
      await stack.restartWorkers();
      const result = await handle.result();
      assert.equal(result.status, 'Completed');
      assert.deepEqual(
        (await stack.db.select().from(retentionCount).where(eq(retentionCount.runId, result.runId)))
          .filter((r) => r.processId === D)
          .map((r) => [r.kind, r.calls, r.items]),
        [['recording', 12, 24]],
      );
      assert.deepEqual(await filesOf(d.batchId), []);
      // The process's activity ran more than once: the kill cut it.
      const history = await handle.fetchHistory();
      const attempts = (history.events ?? [])
        .map((e) => e.activityTaskStartedEventAttributes?.attempt ?? 0)
        .filter((n) => n > 0);
      assert.ok(Math.max(...attempts) >= 2, `attempts: ${attempts.join(', ')}`);
    } finally {
      await stack.database.pool.query(`DROP TRIGGER IF EXISTS ${slow}`);
      await stack.db.delete(processPolicy).where(eq(processPolicy.processId, D));
      await stack.db.delete(process).where(eq(process.id, D));
    }
  });
});

describe('the schedule', () => {
  test('the worker start creates it with the configured cron, and a new cron updates it', async () => {
    const config = { ...stack.config, RETENTION_CRON: '45 2 * * *' };
    const id = await ensureRetentionSchedule(stack.client, config);
    assert.equal(id, retentionScheduleId(config.COFI_TASK_QUEUE));
    const handle = stack.client.schedule.getHandle(id!);
    try {
      const described = await handle.describe();
      assert.equal(described.action.type, 'startWorkflow');
      assert.equal((described.action as { workflowType: string }).workflowType, 'retention');
      const at = (spec: typeof described.spec) => {
        const cal = spec.calendars?.[0] as { hour?: { start: number }[]; minute?: { start: number }[] };
        return [cal?.hour?.[0]?.start, cal?.minute?.[0]?.start];
      };
      assert.deepEqual(at(described.spec), [2, 45], JSON.stringify(described.spec));
      await ensureRetentionSchedule(stack.client, { ...config, RETENTION_CRON: '10 4 * * *' });
      assert.deepEqual(at((await handle.describe()).spec), [4, 10]);
      assert.equal(await ensureRetentionSchedule(stack.client, { ...config, RETENTION_CRON: '' }), null);
    } finally {
      await handle.delete();
    }
  });
});
