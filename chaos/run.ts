// `npm run chaos`: the fault suite. A 200-call audit per fault on a stack of its own (Temporal on :7300,
// MariaDB on :3400, data in .data/chaos), the fault injected while work is in flight (and shown to be),
// then what was sent checked against the tables, and the repeated work counted from the simulator's request
// logs and the workflow histories. Exits non-zero on any problem, a stuck batch included.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import mysql from 'mysql2/promise';
import { answer, createApiClient, fileParts } from '../api/client.js';
import { commitStamp } from '../bench/verdict.js';
import type { RequestRecord } from '../simulator/server.js';
import { makeWav } from '../test/support/audio.js';
import { type SentFile, type Verdict, verifyBatch } from './checks.js';
import { httpOk, type ManagedProcess, managed, ops, sleep } from './processes.js';
import {
  type ActivityAttempts,
  activityAttempts,
  countRepeats,
  type RequestRepeats,
  requestLog,
} from './repeats.js';

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
const cofi = createApiClient(api);
const logs = path.join(data, 'logs');

// Node 3 runs in a simulator process of its own so that it can be taken away for good.
const simFleet = (nodes: typeof fleet.nodes, withLlm: boolean) =>
  JSON.stringify({ nodes, llm: [withLlm ? llm : { ...llm, url: 'http://unserved.invalid:1' }] });
const TIME_SCALE = 0.05;
const simEnv = { SIM_TIME_SCALE: String(TIME_SCALE), SIM_SAMPLES: '0' };
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

/** The files of a scenario: CALLS WAVs of 2 to 4 s, named after the scenario. */
function filesFor(label: string): { name: string; bytes: Uint8Array }[] {
  return Array.from({ length: CALLS }, (_, i) => ({
    name: `${label}-${i}.wav`,
    bytes: makeWav(2 + (i % 3), i + label.length * 1000),
  }));
}

type Batch = { batchId: number; taskId: string; sent: SentFile[] };

async function upload(label: string): Promise<Batch> {
  const files = filesFor(label);
  const form = { files: fileParts(files.map((f) => new File([f.bytes], f.name))), process_id: '1' };
  const sent = files.map((f) => ({ name: f.name, bytes: f.bytes.length }));
  for (let attempt = 0; attempt < 60; attempt++) {
    const res = await cofi.audit.upload.$post({ form });
    if (res.status === 200) {
      const body = await res.json();
      return { batchId: body.batch_id, taskId: body.task_id, sent };
    }
    if (res.status !== 409) throw new Error(`upload answered ${res.status}: ${(await res.json()).detail}`);
    await sleep(2000);
  }
  throw new Error('the previous upload never finished');
}

// The simulators' request logs, kept from their last read (a simulator that was killed keeps what it said).
const simUrls = ['http://127.0.0.1:9301', 'http://127.0.0.1:9302', 'http://127.0.0.1:9303', llm.url];
const seenLogs = new Map<string, RequestRecord[]>();
/** Reads every simulator's request log; returns the requests in flight now. */
async function readLogs(): Promise<number> {
  let inFlight = 0;
  for (const url of simUrls) {
    const log = await requestLog(url);
    if (!log) continue;
    inFlight += log.inFlight;
    // A restarted simulator starts a new log: keep what the old one said before it.
    const old = seenLogs.get(url) ?? [];
    const first = log.requests[0]?.start ?? Number.POSITIVE_INFINITY;
    seenLogs.set(url, [...old.filter((r) => r.start < first), ...log.requests]);
  }
  return inFlight;
}
/** Requests in flight on every simulator now (a cheap read: no past requests). */
async function requestsInFlight(): Promise<number> {
  const logs = await Promise.all(simUrls.map((url) => requestLog(url, Date.now() + 60_000)));
  return logs.reduce((n, log) => n + (log?.inFlight ?? 0), 0);
}
const requestsSince = (from: number) => [...seenLogs.values()].flat().filter((r) => r.start >= from);

/** Whether a batch has not ended yet (the fault must hit a batch at work). */
async function running(pool: mysql.Pool, batchId: number): Promise<boolean> {
  const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT status FROM batchStatus WHERE id = ?', [
    batchId,
  ]);
  return !TERMINAL.includes(String(rows[0]?.status));
}

async function temporalClient<T>(use: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: app.TEMPORAL_ADDRESS });
  try {
    return await use(new Client({ connection, namespace: 'default' }));
  } finally {
    await connection.close();
  }
}

/** Retried activity attempts of a batch's call workflows, once visibility lists all `calls` of them. */
async function attemptsOf(batchId: number, calls: number): Promise<ActivityAttempts> {
  const query = `CofiBatchId = ${batchId} AND WorkflowType = 'callPipelineV2'`;
  return temporalClient(async (client) => {
    for (let i = 0; i < 30; i++) {
      const listed = await client.workflow.count(query);
      if (listed.count >= calls) break;
      await sleep(1000);
    }
    return activityAttempts(client, query);
  });
}

const TERMINAL = ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'];

async function waitTerminal(pool: mysql.Pool, batchId: number, minutes = 10): Promise<string> {
  const deadline = Date.now() + minutes * 60_000;
  for (;;) {
    try {
      const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT status FROM batchStatus WHERE id = ?', [
        batchId,
      ]);
      const status = String(rows[0]?.status);
      if (TERMINAL.includes(status)) return status;
    } catch {
      // MariaDB may be the thing that is down.
    }
    if (Date.now() > deadline) return 'Stuck';
    await sleep(1000);
  }
}

type Injection = {
  injected: number;
  /** How the fault was shown to hit work in flight (requests in flight at a kill, faults served, ...). */
  proof: string;
  /** What went wrong beyond the tables: a fault that hit nothing, an answer that should not have come. */
  notes?: string[];
  /** For worker stops: how many found a GPU or LLM request in flight (else the histories must show a cut). */
  stopsWithRequests?: number;
};
type Row = {
  fault: string;
  status: string;
  injected: number;
  proof: string;
  verdict: Verdict;
  repeats: RequestRepeats;
  attempts: ActivityAttempts;
  seconds: number;
  notes: string[];
};
const results: Row[] = [];

/** Keeps a scenario's row for the table and prints its line. */
function record(row: Row) {
  results.push(row);
  const v = row.verdict;
  const r = row.repeats;
  console.log(
    `[chaos] ${row.fault}: ${row.status}, sent ${v.sent}, ${v.final} final (${v.completed} completed, ${v.failed} failed), ${v.lost} lost; ` +
      `${r.repeated} repeated requests (${r.retriesAfterFailure} after a failure), ${r.repeatedCompleted} repeated completed work ` +
      `(${r.repeatedGpuSeconds} GPU s), ${row.attempts.retried} retried activity attempts; ${row.proof}`,
  );
}

/** The LLM requests the calls of a batch needed: one per completed LLM stage. */
async function llmNeeded(pool: mysql.Pool, batchId: number) {
  const [rows] = await pool.query<mysql.RowDataPacket[]>(
    `SELECT COALESCE(SUM(d.llm1Done AND c.skipReason IS NULL), 0) llm1, COALESCE(SUM(d.llm2Done AND c.skipReason IS NULL), 0) llm2
       FROM \`call\` c JOIN fileDistribution d ON d.callId = c.id WHERE c.batchId = ?`,
    [batchId],
  );
  return { llm1: Number(rows[0]?.llm1 ?? 0), llm2: Number(rows[0]?.llm2 ?? 0) };
}

/** What a finished scenario cost in repeated work, from the request logs since `from` and the histories. */
async function repeatedWork(pool: mysql.Pool, batchId: number, calls: number, from: number) {
  await readLogs();
  const repeats = countRepeats(requestsSince(from), await llmNeeded(pool, batchId), TIME_SCALE);
  const attempts = await attemptsOf(batchId, calls);
  return { repeats, attempts };
}

async function scenario(
  fault: string,
  inject: (batch: Batch, pool: mysql.Pool) => Promise<Injection>,
  beforeUpload?: (label: string) => Promise<Injection>,
) {
  const pool = mysql.createPool({ uri: app.DATABASE_URL, connectionLimit: 2 });
  await readLogs();
  const started = Date.now();
  const label = fault.replace(/\W+/g, '-');
  const early = await beforeUpload?.(label);
  const batch = await upload(label);
  const injection = early ?? (await inject(batch, pool));
  const status = await waitTerminal(pool, batch.batchId);
  const verdict = await verifyBatch(pool, batch.batchId, 9, { sent: batch.sent, audioRoot: app.AUDIO_DIR });
  if (status === 'Stuck') verdict.problems.push('the batch did not finish within 10 minutes');
  else if (status !== 'Completed' && status !== 'CompletedWithErrors')
    verdict.problems.push(`the batch ended ${status}`);
  const { repeats, attempts } = await repeatedWork(pool, batch.batchId, batch.sent.length, started);
  const cut = cutNothing(injection, repeats, attempts);
  record({
    fault,
    status,
    injected: injection.injected,
    proof: injection.proof,
    verdict,
    repeats,
    attempts,
    seconds: Math.round((Date.now() - started) / 1000),
    notes: [...(injection.notes ?? []), ...cut],
  });
  await pool.end();
  return batch;
}

/**
 * Worker stops must hit work in flight: a request in flight at a stop, an answer finished for a worker that
 * was gone, or an activity attempt the histories show retried.
 */
function cutNothing(injection: Injection, repeats: RequestRepeats, attempts: ActivityAttempts): string[] {
  if (injection.stopsWithRequests === undefined || injection.stopsWithRequests > 0) return [];
  if (repeats.undelivered > 0 || attempts.retried > 0) return [];
  return ['no worker stop hit work in flight (no request in flight, none undelivered, no activity retried)'];
}

/**
 * Stops the worker with `signal` and starts a new one, `times` times at random moments 1 to 3.5 s apart;
 * each stop must find the batch running, and requests in flight on the simulated nodes are counted.
 */
async function restartWorker(
  signal: NodeJS.Signals,
  times: number,
  pool: mysql.Pool,
  batchId: number,
): Promise<Injection> {
  const notes: string[] = [];
  let withRequests = 0;
  let requests = 0;
  for (let i = 0; i < times; i++) {
    await sleep(1000 + Math.random() * 2500);
    // The stop lands while a GPU or LLM request is being answered (a restarted worker needs a few seconds
    // before it sends any): up to 20 s of waiting for one.
    for (let w = 0; w < 200 && (await requestsInFlight()) === 0; w++) await sleep(100);
    const inFlight = await readLogs();
    if (!(await running(pool, batchId))) notes.push(`stop ${i + 1} came after the batch had ended`);
    if (inFlight > 0) withRequests++;
    requests += inFlight;
    await procs.worker.kill(signal);
    await procs.worker.start();
  }
  return {
    injected: times,
    stopsWithRequests: withRequests,
    proof: `${withRequests} of ${times} stops with requests in flight (${requests} requests)`,
    notes,
  };
}

/**
 * A reaudit of a finished batch's calls (stt, so llm1 and llm2 too) with the worker killed while it runs;
 * afterwards the original batch must still hold exactly one transcript, analysis and answer set per call.
 */
async function reauditScenario(fault: string, audited: Batch, kills: number) {
  const pool = mysql.createPool({ uri: app.DATABASE_URL, connectionLimit: 2 });
  await readLogs();
  const started = Date.now();
  const body = await answer(
    cofi.reaudit.$post({ json: { audio_names: audited.sent.map((f) => f.name), stages: ['stt'] } }),
  );
  const injection = await restartWorker('SIGKILL', kills, pool, body.batch_id);
  const status = await waitTerminal(pool, body.batch_id);
  const verdict = await verifyBatch(pool, audited.batchId, 9, {
    sent: audited.sent,
    audioRoot: app.AUDIO_DIR,
  });
  const notes = injection.notes ?? [];
  if (status !== 'Completed') notes.push(`the reaudit ended ${status}`);
  const [counts] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT completedFiles, totalFiles FROM batchStatus WHERE id = ?',
    [body.batch_id],
  );
  if (counts[0]?.completedFiles !== audited.sent.length)
    notes.push(`the reaudit counts ${counts[0]?.completedFiles} of ${audited.sent.length} completed`);
  await readLogs();
  // The reaudit ran STT again for each call (one request each) and both LLM stages.
  const reaudited = audited.sent.length;
  const repeats = countRepeats(requestsSince(started), { llm1: reaudited, llm2: reaudited }, TIME_SCALE);
  const attempts = await attemptsOf(body.batch_id, reaudited);
  notes.push(...cutNothing(injection, repeats, attempts));
  record({
    fault,
    status,
    injected: injection.injected,
    proof: injection.proof,
    verdict,
    repeats,
    attempts,
    seconds: Math.round((Date.now() - started) / 1000),
    notes,
  });
  await pool.end();
}

/**
 * The API killed while a multi-file body is still streaming in: the body is sent slowly, and the kill comes
 * once a file of it is being written to the API's staging area. Afterwards nothing of it may be found (no
 * call or batch row, no workflow, no stored or staged file), and the retried upload (the scenario's batch)
 * must succeed.
 */
async function killDuringUpload(label: string, pool: mysql.Pool): Promise<Injection> {
  const notes: string[] = [];
  const files = filesFor(label);
  const boundary = `chaos-${Date.now()}`;
  const chunks: Uint8Array[] = [];
  for (const f of files) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${f.name}"\r\nContent-Type: audio/wav\r\n\r\n`,
      ),
      f.bytes,
      Buffer.from('\r\n'),
    );
  }
  chunks.push(
    Buffer.from(
      `--${boundary}\r\nContent-Disposition: form-data; name="process_id"\r\n\r\n1\r\n--${boundary}--\r\n`,
    ),
  );
  // The upload must be admitted: wait until no batch runs (an upload during one is refused with a 409).
  for (let i = 0; i < 600; i++) {
    const [open] = await pool.query<mysql.RowDataPacket[]>(
      `SELECT COUNT(*) n FROM batchStatus WHERE status NOT IN (${TERMINAL.map(() => '?').join(', ')})`,
      TERMINAL,
    );
    if (Number(open[0]?.n) === 0) break;
    await sleep(1000);
  }
  const [before] = await pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) n FROM batchStatus');
  const staging = path.join(app.AUDIO_DIR, 'staging');
  const audioBefore = readdirSync(app.AUDIO_DIR);
  const startedAt = new Date();
  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const chunk = chunks[next++];
      if (!chunk) return controller.close();
      await sleep(5);
      controller.enqueue(chunk);
    },
  });
  const answer = fetch(`${api}/audit/upload`, {
    method: 'POST',
    body,
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}` },
    duplex: 'half',
  } as RequestInit).then(
    (res) => `answered ${res.status}`,
    (err: Error) => `cut: ${err.message}`,
  );
  // In flight: a third of the parts sent and a file of them in the staging area.
  const staged = () =>
    !existsSync(staging)
      ? 0
      : readdirSync(staging, { withFileTypes: true }).filter(
          (d) => d.isDirectory() && readdirSync(path.join(staging, d.name)).length > 0,
        ).length;
  for (let i = 0; i < 600 && !(next > chunks.length / 3 && staged() > 0); i++) await sleep(20);
  const sentParts = next;
  const inFlight = sentParts < chunks.length && staged() > 0;
  if (!inFlight)
    notes.push(`the kill did not find the body streaming (${sentParts} of ${chunks.length} parts sent)`);
  await procs.api.kill('SIGKILL');
  const outcome = await answer;
  if (!outcome.startsWith('cut')) notes.push(`the killed upload ${outcome}`);
  await procs.api.start();
  const [after] = await pool.query<mysql.RowDataPacket[]>('SELECT COUNT(*) n FROM batchStatus');
  if (after[0]?.n !== before[0]?.n)
    notes.push(`${after[0]?.n - before[0]?.n} batch row(s) from the killed upload`);
  const [calls] = await pool.query<mysql.RowDataPacket[]>(
    'SELECT COUNT(*) n FROM `call` WHERE audioName LIKE ?',
    [`${label}-%`],
  );
  if (Number(calls[0]?.n) > 0) notes.push(`${calls[0]?.n} call row(s) from the killed upload`);
  const workflows = await temporalClient((client) =>
    client.workflow.count(`StartTime >= "${startedAt.toISOString()}"`),
  );
  if (workflows.count > 0) notes.push(`${workflows.count} workflow(s) started by the killed upload`);
  const newEntries = readdirSync(app.AUDIO_DIR).filter((e) => !audioBefore.includes(e));
  if (newEntries.length) notes.push(`new audio folders from the killed upload: ${newEntries.join(', ')}`);
  const left = staged();
  if (left > 0) notes.push(`${left} half-written staging folder(s) left by the killed upload`);
  return {
    injected: 1,
    proof: `killed with ${sentParts} of ${chunks.length} body parts sent and a file being staged`,
    notes,
  };
}

/** The commit the run starts on, and the tracked files that differed from it. */
const stamp = commitStamp(root);

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

    const baseline = await scenario('none (baseline)', async () => ({ injected: 0, proof: 'no fault' }));
    await reauditScenario('reaudit (stt, llm1, llm2) of the baseline + worker kill -9', baseline, 5);
    await scenario('worker kill -9', (b, pool) => restartWorker('SIGKILL', 10, pool, b.batchId));
    // What a deploy does: SIGTERM, the worker finishes its workflow tasks and the requests in hand, and
    // stops; a new one starts. No workflow task is left to time out and no GPU request is cut.
    await scenario('worker restart (SIGTERM, as in a deploy)', (b, pool) =>
      restartWorker('SIGTERM', 5, pool, b.batchId),
    );
    await scenario('Temporal server restart', async (b, pool) => {
      const notes: string[] = [];
      await sleep(3000);
      const busy = await running(pool, b.batchId);
      if (!busy) notes.push('the batch had ended before Temporal stopped');
      ops('temporal', 'stop', opsEnv);
      const down = !(await httpOk('http://127.0.0.1:8300')) && !(await portOpen(7300));
      if (!down) notes.push('Temporal still answered after its stop');
      await sleep(3000);
      ops('temporal', 'start', opsEnv);
      return { injected: 1, proof: `stopped with the batch running: ${busy}; port closed: ${down}`, notes };
    });
    await scenario('MariaDB down 30 s', async (b, pool) => {
      const notes: string[] = [];
      await sleep(3000);
      const busy = await running(pool, b.batchId);
      if (!busy) notes.push('the batch had ended before MariaDB stopped');
      ops('mariadb', 'stop', opsEnv);
      const refused = await mysql
        .createConnection({ uri: app.DATABASE_URL, connectTimeout: 3000 })
        .then(async (c) => {
          await c.end();
          return false;
        })
        .catch(() => true);
      if (!refused) notes.push('MariaDB accepted a connection during the outage');
      await sleep(30_000);
      ops('mariadb', 'start', opsEnv);
      return {
        injected: 1,
        proof: `stopped with the batch running: ${busy}; connections refused: ${refused}`,
        notes,
      };
    });
    await scenario('API kill -9 while its batch runs', async (b, pool) => {
      const notes: string[] = [];
      await sleep(1000);
      const busy = await running(pool, b.batchId);
      if (!busy) notes.push('the batch had ended before the kill');
      await procs.api.kill('SIGKILL');
      await procs.api.start();
      const status = await cofi.audit.status[':task_id'].$get({ param: { task_id: b.taskId } });
      if (status.status !== 200) notes.push(`status after restart answered ${status.status}`);
      const files = fileParts([new File([makeWav(1, 7)], 'second.wav')]);
      const second = await cofi.audit.upload.$post({ form: { files, process_id: '1' } });
      if (second.status !== 409) notes.push(`a second upload answered ${second.status}, not 409`);
      return { injected: 1, proof: `killed with the batch running: ${busy}`, notes };
    });
    const pool = mysql.createPool({ uri: app.DATABASE_URL, connectionLimit: 2 });
    await scenario(
      'API kill -9 mid-upload (body streaming), then the upload retried',
      async () => ({ injected: 0, proof: '' }),
      (label) => killDuringUpload(label, pool),
    );
    await pool.end();
    await procs.simMain.kill();
    faults = {
      SIM_FAIL_5XX: '0.3',
      SIM_FAIL_TIMEOUT: '0.05',
      SIM_FAIL_RESET: '0.05',
      SIM_FAIL_MALFORMED: '0.1',
      SIM_SEED: '7',
    };
    await startSimMain();
    await scenario('GPU faults (30% 5xx, timeouts, resets, bad JSON) + node 3 gone', async (b, pool) => {
      const notes: string[] = [];
      await sleep(2000);
      const busy = await running(pool, b.batchId);
      const inFlight = await readLogs();
      const prefix = b.sent[0]?.name.replace(/-\d+\.wav$/, '-') ?? '?';
      const node3 =
        seenLogs.get('http://127.0.0.1:9303')?.filter((r) => r.subject.startsWith(prefix)).length ?? 0;
      if (!busy) notes.push('the batch had ended before node 3 was killed');
      if (node3 === 0) notes.push('node 3 had received no request of the batch before its kill');
      await procs.simNode3.kill('SIGKILL');
      return {
        injected: 1,
        proof: `node 3 killed after ${node3} requests, ${inFlight} in flight on the fleet`,
        notes,
      };
    });
    const last = results.at(-1);
    if (last && last.repeats.faults === 0) last.notes.push('the simulator injected no fault');
    if (last) last.proof += `; ${last.repeats.faults} faults injected`;
  } finally {
    for (const p of [procs.api, procs.worker, procs.simMain, procs.simNode3])
      await p?.kill('SIGTERM').catch(() => undefined);
    ops('mariadb', 'stop', opsEnv);
    ops('temporal', 'stop', opsEnv);
  }

  const lines = [
    '| fault | injected | sent | final | lost | repeated requests (after a failure) | repeated completed work (GPU s) | retried activity attempts | seconds | fault shown by |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const r of results) {
    const v = r.verdict;
    const p = r.repeats;
    lines.push(
      `| ${r.fault} | ${r.injected} | ${v.sent} | ${v.final} (${v.completed} completed, ${v.failed} failed) | ${v.lost} | ${p.repeated} (${p.retriesAfterFailure}) | ${p.repeatedCompleted} (${p.repeatedGpuSeconds}) | ${r.attempts.retried} | ${r.seconds} | ${r.proof} |`,
    );
  }
  console.log(`\n${lines.join('\n')}\n`);
  const problems = results.flatMap((r) => [...r.verdict.problems, ...r.notes].map((p) => `${r.fault}: ${p}`));
  for (const p of problems.slice(0, 40)) console.log(`  problem: ${p}`);
  mkdirSync(path.join(root, 'bench', 'results'), { recursive: true });
  writeFileSync(
    path.join(root, 'bench', 'results', 'chaos.json'),
    JSON.stringify({ calls: CALLS, ...stamp, results }, null, 2),
  );
  // The verdict is the exit status: any problem (a loss, a stuck batch, a fault that hit nothing) fails.
  const ok = problems.length === 0 && results.every((r) => r.verdict.lost === 0 && r.verdict.countsMatch);
  console.log(
    ok
      ? 'chaos: every fault hit work in flight, and every file sent is a final call with its rows'
      : `chaos: FAILED (${problems.length} problem(s))`,
  );
  process.exit(ok ? 0 : 1);
}

async function portOpen(port: number): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

await main();
