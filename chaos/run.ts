// `npm run chaos`: the fault suite. A 200-call audit per fault on a stack of its own (Temporal on :7300,
// MariaDB on :3400, data in .data/chaos), the fault injected while it runs, then the tables checked.
// Prints: fault, times injected, calls completed, calls failed, rows lost, rows duplicated.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { makeWav } from '../test/support/audio.js';
import { type Verdict, verifyBatch } from './checks.js';
import { httpOk, type ManagedProcess, managed, ops, sleep } from './processes.js';

const root = path.resolve(import.meta.dirname, '..');
const data = path.join(root, '.data', 'chaos');
const CALLS = Number(process.env.CHAOS_CALLS ?? 200);
const opsEnv = { TEMPORAL_PORT: '7300', TEMPORAL_UI_PORT: '8300', MARIADB_PORT: '3400', COFI_DATA_DIR: data };
const node = (id: string, port: number, capacity: number) => ({
  id,
  url: `http://127.0.0.1:${port}`,
  capacity,
  stages: ['lid', 'stt'],
});
const llm = { id: 'chaos-llm', url: 'http://127.0.0.1:9310', capacity: 16 };
const fleet = {
  nodes: [node('chaos-1', 9301, 4), node('chaos-2', 9302, 4), node('chaos-3', 9303, 2)],
  llm: [llm],
};
const app = {
  DATABASE_URL: 'mysql://cofi:cofi@127.0.0.1:3400/cofi_chaos',
  TEMPORAL_ADDRESS: '127.0.0.1:7300',
  TEMPORAL_UI_URL: 'http://127.0.0.1:8300',
  COFI_TASK_QUEUE: 'chaos',
  AUDIO_DIR: path.join(data, 'audio'),
  API_PORT: '5164',
  COFI_FLEET: JSON.stringify(fleet),
  DAILY_CRON: '',
  WORKER_METRICS_PORT: '9466',
  TEMPORAL_METRICS_PORT: '0',
  LID_TIMEOUT_MS: '4000',
  STT_TIMEOUT_MS: '6000',
  LLM_TIMEOUT_MS: '6000',
  LOG_LEVEL: 'warn',
};
const api = 'http://127.0.0.1:5164';
const logs = path.join(data, 'logs');

// Node 3 runs in a simulator process of its own so that it can be taken away for good.
const simFleet = (nodes: typeof fleet.nodes, withLlm: boolean) =>
  JSON.stringify({ nodes, llm: [withLlm ? llm : { ...llm, url: 'http://unserved.invalid:1' }] });
const simEnv = { SIM_TIME_SCALE: '0.05', SIM_SAMPLES: '0' };
let faults: Record<string, string> = {};
const procs = {
  worker: managed('worker', 'worker/main.ts', app, logs, () => httpOk('http://127.0.0.1:9466/metrics')),
  api: managed('api', 'api/main.ts', app, logs, () => httpOk(`${api}/health`)),
  simMain: null as unknown as ManagedProcess,
  simNode3: managed(
    'sim-node3',
    'simulator/main.ts',
    { ...app, ...simEnv, COFI_FLEET: simFleet([fleet.nodes[2]!], false) },
    logs,
    () => httpOk('http://127.0.0.1:9303/health'),
  ),
};
const startSimMain = async () => {
  procs.simMain = managed(
    'sim-main',
    'simulator/main.ts',
    { ...app, ...simEnv, ...faults, COFI_FLEET: simFleet(fleet.nodes.slice(0, 2), true) },
    logs,
    () => httpOk('http://127.0.0.1:9301/health'),
  );
  await procs.simMain.start();
};

async function upload(label: string): Promise<{ batchId: number; taskId: string }> {
  const form = new FormData();
  for (let i = 0; i < CALLS; i++)
    form.append('files', new Blob([makeWav(2 + (i % 3), i + label.length * 1000)]), `${label}-${i}.wav`);
  form.append('process_id', '1');
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await fetch(`${api}/audit/upload`, { method: 'POST', body: form });
    const body = (await res.json()) as { batch_id: number; task_id: string; detail?: string };
    if (res.status === 200) return { batchId: body.batch_id, taskId: body.task_id };
    if (res.status !== 409) throw new Error(`upload answered ${res.status}: ${body.detail}`);
    await sleep(2000);
  }
  throw new Error('the previous upload never finished');
}

async function waitTerminal(pool: mysql.Pool, batchId: number, minutes = 10): Promise<string> {
  const deadline = Date.now() + minutes * 60_000;
  for (;;) {
    try {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT status FROM batchStatus WHERE id = ?', [
        batchId,
      ]);
      const status = String(rows[0]?.status);
      if (['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'].includes(status)) return status;
    } catch {
      // MariaDB may be the thing that is down.
    }
    if (Date.now() > deadline) return 'Stuck';
    await sleep(1000);
  }
}

type Row = { fault: string; injected: number; verdict: Verdict; seconds: number; notes: string[] };
const results: Row[] = [];

/** Keeps a scenario's row for the table and prints its line. */
function record(row: Row, status: string) {
  results.push(row);
  const v = row.verdict;
  console.log(
    `[chaos] ${row.fault}: ${status}, ${v.completed} completed, ${v.failed} failed, ${v.lost} lost, ${v.duplicated} duplicated`,
  );
}

async function scenario(
  fault: string,
  inject: (batch: { batchId: number; taskId: string }) => Promise<{ injected: number; notes?: string[] }>,
) {
  const pool = mysql.createPool({ uri: app.DATABASE_URL, connectionLimit: 2 });
  const started = Date.now();
  const batch = await upload(fault.replace(/\W+/g, '-'));
  const { injected, notes = [] } = await inject(batch);
  const status = await waitTerminal(pool, batch.batchId);
  const verdict = await verifyBatch(pool, batch.batchId, 9);
  if (status === 'Stuck') verdict.problems.push('the batch did not finish within 10 minutes');
  record({ fault, injected, verdict, seconds: Math.round((Date.now() - started) / 1000), notes }, status);
  await pool.end();
  return batch;
}

/** Stops the worker with `signal` and starts a new one, `times` times at random moments 1 to 3.5 s apart. */
async function restartWorker(signal: NodeJS.Signals, times: number): Promise<{ injected: number }> {
  for (let i = 0; i < times; i++) {
    await sleep(1000 + Math.random() * 2500);
    await procs.worker.kill(signal);
    await procs.worker.start();
  }
  return { injected: times };
}

/**
 * A reaudit of a finished batch's calls (stt, so llm1 and llm2 too) with the worker killed while it runs;
 * afterwards the original batch must still hold exactly one transcript, analysis and answer set per call.
 */
async function reauditScenario(fault: string, audited: { batchId: number }, kills: number) {
  const pool = mysql.createPool({ uri: app.DATABASE_URL, connectionLimit: 2 });
  const started = Date.now();
  const [names] = await pool.query<mysql.RowDataPacket[]>('SELECT audioName FROM `call` WHERE batchId = ?', [
    audited.batchId,
  ]);
  const res = await fetch(`${api}/reaudit`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ audio_names: names.map((r) => r.audioName), stages: ['stt'] }),
  });
  const body = (await res.json()) as { batch_id: number; detail?: string };
  if (res.status !== 200) throw new Error(`reaudit answered ${res.status}: ${body.detail}`);
  const { injected } = await restartWorker('SIGKILL', kills);
  const status = await waitTerminal(pool, body.batch_id);
  const verdict = await verifyBatch(pool, audited.batchId, 9);
  const notes: string[] = [];
  if (status !== 'Completed') notes.push(`the reaudit ended ${status}`);
  const [counts] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT completedFiles, totalFiles FROM batchStatus WHERE id = ?',
    [body.batch_id],
  );
  if (counts[0]?.completedFiles !== names.length)
    notes.push(`the reaudit counts ${counts[0]?.completedFiles} of ${names.length} completed`);
  record({ fault, injected, verdict, seconds: Math.round((Date.now() - started) / 1000), notes }, status);
  await pool.end();
}

async function main() {
  rmSync(data, { recursive: true, force: true });
  mkdirSync(logs, { recursive: true });
  ops('temporal', 'start', opsEnv);
  ops('mariadb', 'start', opsEnv);
  try {
    execFileSync(process.execPath, ['--import', 'tsx', 'drizzle/cli.ts'], {
      cwd: root,
      env: { ...process.env, ...app },
      stdio: 'inherit',
    });
    await startSimMain();
    await procs.simNode3.start();
    await procs.worker.start();
    await procs.api.start();

    const baseline = await scenario('none (baseline)', async () => ({ injected: 0 }));
    await reauditScenario('reaudit (stt, llm1, llm2) of the baseline + worker kill -9', baseline, 5);
    await scenario('worker kill -9', () => restartWorker('SIGKILL', 10));
    // What a deploy does: SIGTERM, the worker finishes its workflow tasks and the requests in hand, and
    // stops; a new one starts. No workflow task is left to time out and no GPU request is cut.
    await scenario('worker restart (SIGTERM, as in a deploy)', () => restartWorker('SIGTERM', 5));
    await scenario('Temporal server restart', async () => {
      await sleep(3000);
      ops('temporal', 'stop', opsEnv);
      await sleep(3000);
      ops('temporal', 'start', opsEnv);
      return { injected: 1 };
    });
    await scenario('MariaDB down 30 s', async () => {
      await sleep(3000);
      ops('mariadb', 'stop', opsEnv);
      await sleep(30_000);
      ops('mariadb', 'start', opsEnv);
      return { injected: 1 };
    });
    await scenario('API restart during upload', async ({ taskId }) => {
      const notes: string[] = [];
      await sleep(1000);
      await procs.api.kill('SIGKILL');
      await procs.api.start();
      const status = await fetch(`${api}/audit/status/${taskId}`);
      if (status.status !== 200) notes.push(`status after restart answered ${status.status}`);
      const form = new FormData();
      form.append('files', new Blob([makeWav(1, 7)]), 'second.wav');
      form.append('process_id', '1');
      const second = await fetch(`${api}/audit/upload`, { method: 'POST', body: form });
      if (second.status !== 409) notes.push(`a second upload answered ${second.status}, not 409`);
      return { injected: 1, notes };
    });
    await procs.simMain.kill();
    faults = {
      SIM_FAIL_5XX: '0.3',
      SIM_FAIL_TIMEOUT: '0.05',
      SIM_FAIL_RESET: '0.05',
      SIM_FAIL_MALFORMED: '0.1',
      SIM_SEED: '7',
    };
    await startSimMain();
    await scenario('GPU faults (30% 5xx, timeouts, resets, bad JSON) + node 3 gone', async () => {
      await sleep(2000);
      await procs.simNode3.kill('SIGKILL');
      return { injected: 1 };
    });
  } finally {
    for (const p of [procs.api, procs.worker, procs.simMain, procs.simNode3])
      await p?.kill('SIGTERM').catch(() => undefined);
    ops('mariadb', 'stop', opsEnv);
    ops('temporal', 'stop', opsEnv);
  }

  const header =
    '| fault | times injected | calls completed | calls failed | rows lost | rows duplicated | seconds |';
  const lines = [header, '|---|---|---|---|---|---|---|'];
  for (const r of results) {
    const v = r.verdict;
    lines.push(
      `| ${r.fault} | ${r.injected} | ${v.completed} | ${v.failed} | ${v.lost} | ${v.duplicated} | ${r.seconds} |`,
    );
  }
  console.log(`\n${lines.join('\n')}\n`);
  const problems = results.flatMap((r) => [...r.verdict.problems, ...r.notes].map((p) => `${r.fault}: ${p}`));
  for (const p of problems.slice(0, 40)) console.log(`  problem: ${p}`);
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench', 'results', 'chaos.json'),
    JSON.stringify({ calls: CALLS, results }, null, 2),
  );
  const ok = results.every(
    (r) =>
      r.verdict.lost === 0 && r.verdict.duplicated === 0 && r.verdict.countsMatch && r.notes.length === 0,
  );
  console.log(ok ? 'chaos: every fault lost nothing and duplicated nothing' : 'chaos: FAILED');
  process.exit(ok ? 0 : 1);
}

await main();
