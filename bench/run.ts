// `npm run bench`: how fast cofi orchestrates and how busy it keeps the (simulated) GPU fleet. Not a test:
// it writes bench/results/bench.json, bench/results/report.md and bench/results/gpu-slots.svg.
//   BENCH_THROUGHPUT_CALLS=1000  calls for the zero-latency throughput run
//   BENCH_UTIL_CALLS=1000        calls for the utilisation runs (pipelined and stage-barrier)
//   BENCH_SCALE_CALLS=10000      calls for the scale run (0 skips it)
//   BENCH_SEARCH_CALLS=100000    calls for the search and export run (0 skips it)
//   BENCH_TIME_SCALE=0.5         simulator latency multiplier in the utilisation runs
//   BENCH_OUT=bench/results      where the results go (a reduced run should not overwrite the committed ones)
// A part whose batch did not end Completed, every call through every stage, refuses the run: it exits 1 and
// writes no results. bench.json and summary.json name the commit measured (and any tracked file changed).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { RowDataPacket } from 'mysql2/promise';
import { ops } from '../chaos/processes.js';
import { AUDIT_STAGES } from '../core/stages.js';
import { makeWav } from '../test/support/audio.js';
import { auditForm, uploadAudit, waitForBatch } from '../test/support/http.js';
import { type Stack, startStack } from '../test/support/stack.js';
import { BATCH_WORKFLOW_TASK_TIMEOUT, batchSettings, workflowIds } from '../workflows/definitions.js';
import { actionsPerCall } from './actions.js';
import { type Series, slotChart } from './chart.js';
import { runScale, type ScaleResult } from './scale.js';
import { runSearchBench, SEARCH_TARGET_P95_MS, type SearchBenchResult } from './search.js';
import { stageBarrierBatch } from './stageBarrier.js';
import { commitStamp, RefusedRun, requireAllDone, requireCompleted, summary } from './verdict.js';

const root = path.resolve(import.meta.dirname, '..');
// A stack of its own (Temporal :7400, MariaDB :3410, data in .data/bench), so that neither the tests'
// servers nor what earlier runs left in them affect the numbers.
const data = path.join(root, '.data', 'bench');
const opsEnv = { TEMPORAL_PORT: '7400', TEMPORAL_UI_PORT: '8400', MARIADB_PORT: '3410', COFI_DATA_DIR: data };
const DATABASE_URL = 'mysql://cofi:cofi@127.0.0.1:3410/cofi_bench';
const TEMPORAL_ADDRESS = '127.0.0.1:7400';
/** Every part starts on an empty Temporal database: a store that grows run after run slows the server. */
function freshTemporal() {
  ops('temporal', 'stop', opsEnv);
  rmSync(path.join(data, 'temporal'), { recursive: true, force: true });
  ops('temporal', 'start', opsEnv);
}
const out = path.resolve(root, process.env.BENCH_OUT ?? path.join('bench', 'results'));
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const N_THROUGHPUT = env('BENCH_THROUGHPUT_CALLS', 1000);
const N_UTIL = env('BENCH_UTIL_CALLS', 1000);
const N_SCALE = env('BENCH_SCALE_CALLS', 10000);
const N_SEARCH = env('BENCH_SEARCH_CALLS', 100000);
const TIME_SCALE = env('BENCH_TIME_SCALE', 0.5);
const NODES = [
  { id: 'gpu-a', capacity: 4, lidPath: '/detect-language' },
  { id: 'gpu-b', capacity: 4, lidPath: '/detect-language' },
  { id: 'gpu-c', capacity: 2, lidPath: '/detect-language' },
];
const GPU_SLOTS = NODES.reduce((n, x) => n + x.capacity, 0);
const LLM = [{ id: 'llm-a', capacity: 16 }];

/** Call durations: a deterministic spread of 60..600 s (a contact centre's mix). */
const duration = (i: number) => 60 + ((i * 7919) % 541);
/** 200 Hz WAVs: the header says the true duration, the bytes stay small. */
const calls = (n: number, tag: string, seconds: (i: number) => number) =>
  Array.from({ length: n }, (_, i) => ({
    name: `${tag}-${i}.wav`,
    bytes: makeWav(seconds(i), i * 31 + tag.length, 200),
  }));

async function runAudit(stack: Stack, files: ReturnType<typeof calls>, stages?: string) {
  const started = Date.now();
  const res = await uploadAudit(
    stack.app,
    auditForm(files, { process_id: '1', ...(stages ? { stages } : {}) }),
  );
  if (res.status !== 200) throw new Error(`upload: ${res.status} ${JSON.stringify(res.body)}`);
  const accepted = Date.now();
  const { final } = await waitForBatch(stack.app, res.body.task_id, 3 * 3600_000);
  return {
    batchId: Number(res.body.batch_id),
    taskId: String(res.body.task_id),
    started,
    accepted,
    ended: Date.now(),
    status: String(final.status),
  };
}

function busyOf(stack: Stack, kind: 'gpu' | 'llm', from: number, to: number) {
  return stack.sim
    .stats()
    .endpoints.filter((e) => e.kind === kind)
    .flatMap((e) => e.busy)
    .filter((b) => b.start >= from && b.end <= to + 1000);
}

function utilisation(stack: Stack, from: number, to: number) {
  const gpu = busyOf(stack, 'gpu', from, to);
  const llm = busyOf(stack, 'llm', from, to);
  const work = (b: typeof gpu) => b.reduce((s, x) => s + (x.end - x.start), 0);
  const bounds = { gpu: work(gpu) / GPU_SLOTS, llm: work(llm) / LLM.reduce((n, l) => n + l.capacity, 0) };
  const lowerBound = Math.max(bounds.gpu, bounds.llm);
  const makespan = to - from;
  return {
    makespanS: makespan / 1000,
    lowerBoundS: lowerBound / 1000,
    busiest: bounds.gpu >= bounds.llm ? 'gpu' : 'llm',
    utilisation: lowerBound / makespan,
    gpu,
  };
}

async function main() {
  // A clean slate: no batch, call or workflow of an earlier run (a day already ingested would be resumed).
  ops('temporal', 'stop', opsEnv);
  ops('mariadb', 'stop', opsEnv);
  rmSync(data, { recursive: true, force: true });
  ops('mariadb', 'start', opsEnv);
  process.env.COFI_TEST_DATABASE_URL = DATABASE_URL;
  process.env.COFI_TEST_TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  mkdirSync(out, { recursive: true });
  const result: Record<string, unknown> = {
    date: new Date().toISOString(),
    ...commitStamp(root),
    gpuSlots: GPU_SLOTS,
    nodes: NODES,
    llm: LLM,
  };
  const stackEnv = { MAX_UPLOAD_FILES: '10000', BATCH_WINDOW: '200', LOG_LEVEL: 'warn' };

  // 1. cofi's own overhead: every stage, zero simulated latency.
  let stack: Stack;
  if (N_THROUGHPUT > 0) {
    freshTemporal();
    stack = await startStack({
      nodes: NODES,
      llm: LLM,
      simulator: { timeScale: 0, scripts: null },
      env: stackEnv,
    });
    const t = await runAudit(
      stack,
      calls(N_THROUGHPUT, 'tp', () => 5),
    );
    requireCompleted('throughput', t.status);
    // Billable actions, from the histories (visibility lists the calls a moment after they closed).
    let actions = await actionsPerCall(
      stack.client,
      workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
      `CofiBatchId = ${t.batchId} AND WorkflowType = 'callPipelineV2'`,
    );
    for (let i = 0; i < 30 && actions.calls < N_THROUGHPUT; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      actions = await actionsPerCall(
        stack.client,
        workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
        `CofiBatchId = ${t.batchId} AND WorkflowType = 'callPipelineV2'`,
      );
    }
    result.throughput = {
      calls: N_THROUGHPUT,
      status: t.status,
      seconds: (t.ended - t.started) / 1000,
      callsPerSecond: N_THROUGHPUT / ((t.ended - t.accepted) / 1000),
      uploadSeconds: (t.accepted - t.started) / 1000,
      actions,
    };
    console.log('[bench] throughput', result.throughput);
    await stack.stop();
  }

  // 2 and 3. The same calls on the same fleet, pipelined (cofi) and stage-barrier (the predecessor's way).
  if (N_UTIL > 0) {
    freshTemporal();
    stack = await startStack({
      nodes: NODES,
      llm: LLM,
      simulator: { timeScale: TIME_SCALE, scripts: null },
      env: stackEnv,
      workflowsPath: path.join(root, 'bench', 'workflows.ts'),
    });
    const p = await runAudit(stack, calls(N_UTIL, 'pipe', duration));
    requireCompleted('utilisation, pipelined', p.status);
    const pipelined = utilisation(stack, p.accepted, p.ended);
    console.log('[bench] pipelined', { ...pipelined, gpu: undefined });
    const d = await runAudit(stack, calls(N_UTIL, 'barrier', duration), 'distribute');
    requireCompleted('utilisation, stage barrier (distribution)', d.status);
    const barrierStart = Date.now();
    await stack.client.workflow.execute(stageBarrierBatch, {
      workflowId: `${workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE)}-barrier-${d.batchId}`,
      taskQueue: stack.config.COFI_TASK_QUEUE,
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      args: [
        {
          batchId: d.batchId,
          attempt: 1,
          // The audit's stages after distribution, one at a time (redact among them: the LLMs read only its output).
          stages: AUDIT_STAGES.filter((st) => st !== 'distribute'),
          ...batchSettings(stack.config),
          window: 200,
        },
      ],
    });
    const barrierEnd = Date.now();
    const [through] = await stack.database.pool.query<RowDataPacket[]>(
      'SELECT COUNT(*) n FROM fileDistribution WHERE batchId = ? AND lidDone AND sttDone AND llm1Done AND llm2Done',
      [d.batchId],
    );
    requireAllDone('utilisation, stage barrier', Number(through[0]?.n), N_UTIL);
    // Distribution is part of both runs: the barrier's clock starts when its upload was accepted.
    const barrier = utilisation(stack, d.accepted, barrierEnd);
    console.log('[bench] barrier', {
      ...barrier,
      gpu: undefined,
      barrierPhaseS: (barrierEnd - barrierStart) / 1000,
    });
    result.utilisation = {
      calls: N_UTIL,
      timeScale: TIME_SCALE,
      pipelined: { ...pipelined, gpu: undefined },
      stageBarrier: { ...barrier, gpu: undefined },
      speedup: barrier.makespanS / pipelined.makespanS,
    };
    writeFileSync(
      path.join(out, 'gpu-slots.svg'),
      slotChart(
        [
          {
            label: `pipelined (cofi): ${(pipelined.utilisation * 100).toFixed(0)}% of the bound`,
            color: '#1f77b4',
            busy: pipelined.gpu,
            start: p.accepted,
            end: p.ended,
          } satisfies Series,
          {
            label: `stage barrier: ${(barrier.utilisation * 100).toFixed(0)}%`,
            color: '#d62728',
            busy: barrier.gpu,
            start: d.accepted,
            end: barrierEnd,
          },
        ],
        GPU_SLOTS,
        `Busy GPU slots over time, ${N_UTIL} calls, ${GPU_SLOTS} slots`,
      ),
    );
    await stack.stop();
  }

  // 4. Scale: a day of many recordings, worker and API in processes of their own.
  if (N_SCALE > 0) {
    freshTemporal();
    result.scale = await runScale(N_SCALE, {
      data,
      databaseUrl: DATABASE_URL,
      temporalAddress: TEMPORAL_ADDRESS,
      namespace: 'default',
      fleet: {
        nodes: NODES.map((x, i) => ({ ...x, url: `http://127.0.0.1:${9401 + i}`, stages: ['lid', 'stt'] })),
        llm: LLM.map((x) => ({ ...x, url: 'http://127.0.0.1:9410' })),
      },
      simPorts: { gpu: NODES.map((_, i) => 9401 + i), llm: 9410 },
    });
    console.log('[bench] scale', result.scale);
    requireCompleted('scale', (result.scale as ScaleResult).status);
  }

  // 5. Search and export over many calls, written straight into a database of their own (no pipeline).
  if (N_SEARCH > 0) {
    const search = await runSearchBench(N_SEARCH, DATABASE_URL);
    const full = search.exports.find((e) => e.of === 'every call');
    requireAllDone('search, export of every call', full?.rows ?? 0, N_SEARCH);
    result.search = search;
    console.log('[bench] search', { ...search, perQuery: undefined });
  }
  ops('mariadb', 'stop', opsEnv);
  ops('temporal', 'stop', opsEnv);

  writeFileSync(path.join(out, 'bench.json'), JSON.stringify(result, null, 2));
  writeFileSync(path.join(out, 'summary.json'), `${JSON.stringify(summary(result), null, 2)}\n`);
  writeFileSync(path.join(out, 'report.md'), report(result));
  console.log(`[bench] wrote ${path.relative(root, out)}/bench.json, summary.json, report.md, gpu-slots.svg`);
  process.exit(0);
}

function report(r: Record<string, unknown>): string {
  const t = r.throughput as
    | {
        calls: number;
        callsPerSecond: number;
        uploadSeconds: number;
        actions: Awaited<ReturnType<typeof actionsPerCall>>;
      }
    | undefined;
  const u = r.utilisation as
    | {
        calls: number;
        timeScale: number;
        speedup: number;
        pipelined: Record<string, number>;
        stageBarrier: Record<string, number>;
      }
    | undefined;
  const s = r.scale as ScaleResult | undefined;
  const q = r.search as SearchBenchResult | undefined;
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
  const parts = [
    `# cofi benchmark (${r.date}, commit ${r.commit}${(r.changedFiles as string[]).length ? ' with changes' : ''})`,
    `Simulated fleet: ${GPU_SLOTS} GPU slots (${NODES.map((n) => `${n.id} x${n.capacity}`).join(', ')}), LLM ${LLM.map((l) => `${l.id} x${l.capacity}`).join(', ')}. Everything (Temporal dev server, MariaDB, cofi, simulator) on this one machine.`,
  ];
  if (t)
    parts.push(`## 1. Orchestration throughput (zero simulated latency)
${t.calls} calls through distribute, lid, stt, llm1, llm2: **${t.callsPerSecond.toFixed(1)} calls/s** after the upload was accepted (upload itself ${t.uploadSeconds.toFixed(1)} s).

Temporal billable actions per call, from the histories: **${t.actions.total}** (${t.actions.calls} calls; per call ${JSON.stringify(t.actions.perCall)}; the batch's share ${JSON.stringify(t.actions.batchShare)} over ${t.actions.batchRuns} run(s)).`);
  if (u)
    parts.push(`## 2 and 3. GPU utilisation, pipelined vs stage barrier
${u.calls} calls of 60..600 s, STT at 40x real time, latency x${u.timeScale}. Lower bound = busiest resource's service time / its slots.

| mode | makespan (s) | lower bound (s) | lower bound / makespan |
|---|---|---|---|
| pipelined (cofi) | ${u.pipelined.makespanS?.toFixed(1)} | ${u.pipelined.lowerBoundS?.toFixed(1)} | **${pct(u.pipelined.utilisation ?? 0)}** |
| stage barrier (predecessor) | ${u.stageBarrier.makespanS?.toFixed(1)} | ${u.stageBarrier.lowerBoundS?.toFixed(1)} | ${pct(u.stageBarrier.utilisation ?? 0)} |

Pipelined is ${u.speedup.toFixed(2)}x faster. ![busy GPU slots](gpu-slots.svg)`);
  if (s)
    parts.push(`## 4. Scale (daily batch, worker and API in their own processes)
${s.calls} calls: **${s.status}** in ${s.seconds.toFixed(0)} s (${s.callsPerSecond.toFixed(1)} calls/s, ingest ${s.ingestSeconds.toFixed(0)} s).
Peak RSS: worker **${s.peakRssMiB.worker} MiB**, API **${s.peakRssMiB.api} MiB**; worker RSS every 10 s: ${s.workerRssMiB.join(', ')} MiB.
The batch workflow ran ${s.batchWorkflowRuns} time(s) (continue-as-new); largest batch history ${s.largestBatchHistory} events, largest call history ${s.largestCallHistory} events (Temporal's hard limit: 51,200 events per run).

| table | rows per call |
|---|---|
${Object.entries(s.rowsPerCall)
  .map(([k, v]) => `| ${k} | ${v.toFixed(2)} |`)
  .join('\n')}`);
  if (q)
    parts.push(`## 5. Search and export
${q.calls} calls (${Object.entries(q.rowsPerCall)
      .map(([k, v]) => `${v} ${k}`)
      .join(
        ', ',
      )} per call) written in ${q.seedSeconds} s with multi-row INSERTs; ${q.searches} searches through the API (\`GET /calls/search\`, pages of 50, every other one followed by its second page): **p95 ${q.p95Ms} ms** (target < ${SEARCH_TARGET_P95_MS} ms), p50 ${q.p50Ms} ms, max ${q.maxMs} ms.

| query | searches | p50 (ms) | p95 (ms) | max (ms) | calls per page |
|---|---|---|---|---|---|
${q.perQuery.map((x) => `| ${x.query} | ${x.runs} | ${x.p50Ms} | ${x.p95Ms} | ${x.maxMs} | ${x.meanRows} |`).join('\n')}

CSV export (\`GET /calls/export.csv\`; rows=answers for the answers), read to the end by a client that keeps only the byte count. Heap growth is the peak over the export, garbage included; retained is what a full collection every 5,000 rows left.

| export | rows | seconds | rows/s | MB | heap growth (MiB) | retained (MiB) | RSS growth (MiB) |
|---|---|---|---|---|---|---|---|
${q.exports.map((e) => `| ${e.of} | ${e.rows} | ${e.seconds} | ${e.rowsPerSecond} | ${e.megabytes} | ${e.heapGrowthMiB} | ${e.retainedMiB} | ${e.rssGrowthMiB} |`).join('\n')}`);
  return `${parts.join('\n\n')}\n`;
}

await main().catch((err: unknown) => {
  if (!(err instanceof RefusedRun)) throw err;
  // Refused: no results are written, and the servers of this run are stopped.
  console.error(`[bench] refused: ${err.message}`);
  ops('mariadb', 'stop', opsEnv);
  ops('temporal', 'stop', opsEnv);
  process.exit(1);
});
