// The benchmark's scale run: a day of N recordings through the daily batch, with the worker, the API and
// the simulator as separate processes, so that the worker's and the API's memory are their own.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import mysql from 'mysql2/promise';
import { answer, createApiClient } from '../api/client.js';
import { httpOk, managed, sleep } from '../chaos/processes.js';
import { makeWav } from '../test/support/audio.js';

export type ScaleEnv = {
  data: string;
  databaseUrl: string;
  temporalAddress: string;
  namespace: string;
  fleet: unknown;
  simPorts: { gpu: number[]; llm: number };
};

export type ScaleResult = {
  calls: number;
  status: string;
  ingestSeconds: number;
  seconds: number;
  callsPerSecond: number;
  peakRssMiB: { worker: number; api: number };
  /** Resident memory of the worker, sampled every 10 s (MiB): flat means bounded. */
  workerRssMiB: number[];
  batchWorkflowRuns: number;
  largestBatchHistory: number;
  largestCallHistory: number;
  rowsPerCall: Record<string, number>;
};

/** Resident and peak resident set of a process, from /proc (Linux). */
function memory(pid: number | undefined): { rss: number; hwm: number } {
  if (!pid) return { rss: 0, hwm: 0 };
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kb('VmRSS') / 1024, hwm: kb('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

export async function runScale(n: number, env: ScaleEnv): Promise<ScaleResult> {
  const day = '2026-01-15';
  const dailyDir = path.join(env.data, 'daily');
  const logs = path.join(env.data, 'logs');
  rmSync(dailyDir, { recursive: true, force: true });
  rmSync(path.join(env.data, 'audio'), { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  // The folder layout of a real day: one folder per hour of recordings.
  for (let i = 0; i < n; i++) {
    const dir = path.join(dailyDir, day, String(8 + (i % 10)).padStart(2, '0'));
    if (i < 10) mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `call-${String(i).padStart(5, '0')}.wav`), makeWav(3, i + 1, 200));
  }
  const app = {
    DATABASE_URL: env.databaseUrl,
    TEMPORAL_ADDRESS: env.temporalAddress,
    TEMPORAL_NAMESPACE: env.namespace,
    COFI_TASK_QUEUE: 'bench-scale',
    AUDIO_DIR: path.join(env.data, 'audio'),
    DAILY_DIR: dailyDir,
    DAILY_CRON: '',
    API_PORT: '5264',
    COFI_FLEET: JSON.stringify(env.fleet),
    BATCH_WINDOW: '200',
    WORKER_METRICS_PORT: '9566',
    TEMPORAL_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  };
  const api = 'http://127.0.0.1:5264';
  const sim = managed(
    'sim',
    'simulator/main.ts',
    { ...app, SIM_TIME_SCALE: '0', SIM_SAMPLES: '0' },
    logs,
    () => httpOk(`http://127.0.0.1:${env.simPorts.llm}/health`),
  );
  const worker = managed('worker', 'worker/main.ts', app, logs, () =>
    httpOk('http://127.0.0.1:9566/metrics'),
  );
  const apiProc = managed('api', 'api/main.ts', app, logs, () => httpOk(`${api}/health`));
  const pool = mysql.createPool({ uri: env.databaseUrl, connectionLimit: 2 });
  const connection = await Connection.connect({ address: env.temporalAddress });
  const client = new Client({ connection, namespace: env.namespace });
  try {
    await sim.start();
    await worker.start();
    await apiProc.start();
    const peak = { worker: 0, api: 0 };
    const workerRss: number[] = [];
    let ticks = 0;
    const sampler = setInterval(() => {
      const w = memory(worker.pid());
      const a = memory(apiProc.pid());
      peak.worker = Math.max(peak.worker, w.hwm);
      peak.api = Math.max(peak.api, a.hwm);
      if (ticks++ % 10 === 0) workerRss.push(Math.round(w.rss));
    }, 1000);

    const started = Date.now();
    const cofi = createApiClient(api);
    const accepted = await answer(cofi.batches.$post({ json: { date: day, audio_stages: [] } }));
    let ingested = 0;
    let status = '';
    let progressed = Date.now();
    let lastDone = -1;
    for (;;) {
      await sleep(2000);
      const body = await answer(cofi.daily.status[':task_id'].$get({ param: { task_id: accepted.task_id } }));
      status = body.status;
      if (!ingested && (body.total_files ?? 0) >= n) ingested = Date.now();
      if (['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'].includes(status)) break;
      if (body.completed !== lastDone) {
        lastDone = body.completed ?? 0;
        progressed = Date.now();
      } else if (Date.now() - progressed > 10 * 60_000) {
        throw new Error(`the scale run made no progress for 10 minutes (${JSON.stringify(body)})`);
      }
    }
    const ended = Date.now();
    clearInterval(sampler);

    const [rows] = await pool.query<mysql.RowDataPacket[]>(
      'SELECT id, workflowId FROM batchStatus WHERE taskId = ?',
      [accepted.task_id],
    );
    const batchId = Number(rows[0]?.id);
    // History lengths from the visibility store: every run of the batch workflow and every call's child.
    let batchRuns = 0;
    let largestBatch = 0;
    for await (const w of client.workflow.list({ query: `WorkflowId = '${rows[0]?.workflowId}'` })) {
      batchRuns++;
      largestBatch = Math.max(largestBatch, w.historyLength);
    }
    let largestCall = 0;
    for await (const w of client.workflow.list({ query: `CofiBatchId = ${batchId}` })) {
      largestCall = Math.max(largestCall, w.historyLength);
    }
    const perCall: Record<string, number> = {};
    for (const [name, sql] of [
      ['call', 'SELECT COUNT(*) n FROM `call` WHERE batchId = ?'],
      ['fileDistribution', 'SELECT COUNT(*) n FROM fileDistribution WHERE batchId = ?'],
      [
        'lidResult',
        'SELECT COUNT(*) n FROM lidResult l JOIN `call` c ON c.id = l.callId WHERE c.batchId = ?',
      ],
      [
        'transcript',
        'SELECT COUNT(*) n FROM transcript t JOIN `call` c ON c.id = t.callId WHERE c.batchId = ?',
      ],
      ['analysis', 'SELECT COUNT(*) n FROM analysis a JOIN `call` c ON c.id = a.callId WHERE c.batchId = ?'],
      [
        'auditAnswer',
        'SELECT COUNT(*) n FROM auditAnswer a JOIN `call` c ON c.id = a.callId WHERE c.batchId = ?',
      ],
      ['batchExecutionLog', 'SELECT COUNT(*) n FROM batchExecutionLog WHERE batchId = ?'],
      ['processingLogs', 'SELECT COUNT(*) n FROM processing_logs WHERE batch_id = ?'],
    ] as const) {
      const [r] = await pool.query<mysql.RowDataPacket[]>(sql, [batchId]);
      perCall[name] = Number(r[0]?.n ?? 0) / n;
    }
    return {
      calls: n,
      status,
      ingestSeconds: ingested ? (ingested - started) / 1000 : Number.NaN,
      seconds: (ended - started) / 1000,
      callsPerSecond: n / ((ended - started) / 1000),
      peakRssMiB: { worker: Math.round(peak.worker), api: Math.round(peak.api) },
      workerRssMiB: workerRss,
      batchWorkflowRuns: batchRuns,
      largestBatchHistory: largestBatch,
      largestCallHistory: largestCall,
      rowsPerCall: perCall,
    };
  } finally {
    for (const p of [apiProc, worker, sim]) await p.kill('SIGTERM').catch(() => undefined);
    await connection.close();
    await pool.end();
  }
}
