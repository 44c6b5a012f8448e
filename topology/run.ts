// `npm run topology`: cofi as a multi-process deployment, and what happens to it when parts of it are killed.
// Brings up Temporal (the cluster of ops/cluster.sh; `--temporal dev` for the dev server), a MariaDB of its own,
// the simulator (three GPU nodes, one LLM endpoint), two API replicas, two orchestrator workers, three GPU node
// agents and one LLM agent, then runs a 500-call audit twice: undisturbed (the baseline time), and disturbed,
// killing one at a time an orchestrator worker (kill -9, started again 10 s later), a node agent (kill -9,
// started again 20 s later) and Temporal's history service. The upload goes through API replica 1 and the
// batch is watched through replica 2. Prints and writes (topology/results/topology.{json,md}) a table of calls
// completed, rows lost, rows duplicated, per node the most requests it ever had in flight against its capacity,
// and the time to finish against the undisturbed run; exits 0 only when nothing was lost or duplicated, every
// call completed, no node went over its capacity and every fault hit the batch while it ran.
//
//   --calls N        calls per audit (default 500; small: 60)
//   --small          the small version: one audit, one fault (a node agent killed and started again), two
//                    orchestrators as in the full run; no history kill, no baseline unless --baseline
//   --baseline       (with --small) run the undisturbed audit too
//   --temporal dev   the Temporal dev server instead of the cluster (its history kill stops the whole server)
//   --time-scale X   the simulator's latency multiplier (default 0.8: a 500-call audit then takes about 2 minutes here)
//   --out DIR        where results go (default topology/results; the small version writes none unless given)
//
// From a test: `const result = await runTopology({ small: true, calls: 60 }); assert.equal(result.ok, true)`.
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import mysql from 'mysql2/promise';
import { createApiClient, fileParts } from '../api/client.js';
import { commitStamp } from '../bench/verdict.js';
import { type Verdict, verifyBatch } from '../chaos/checks.js';
import { makeWav } from '../test/support/audio.js';
import { countDuplicates, type Duplicates } from './duplicates.js';
import {
  API_PORTS,
  appEnv,
  type CofiProcess,
  createStack,
  DATA,
  DATABASE_URL,
  LOGS,
  mariadb,
  openPorts,
  SIM_STATS,
  type Stack,
  sleep,
  type TemporalKind,
  type TemporalSide,
  temporalSide,
} from './stack.js';

const root = path.resolve(import.meta.dirname, '..');
const QUESTIONS = 9;
const TERMINAL = ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'];

export type TopologyOptions = {
  /** Calls per audit (default 500, small 60). */
  calls?: number;
  /** One disturbed audit with one fault: a node agent kill -9, started again after 20 s. */
  small?: boolean;
  /** Run the undisturbed audit first (default: the full run yes, the small one no). */
  baseline?: boolean;
  temporal?: TemporalKind;
  /** The simulator's latency multiplier (default 0.8). */
  timeScale?: number;
  /** Where topology.json and topology.md go; none: not written (the small version's default). */
  out?: string;
  /** Progress lines (default console.log). */
  log?: (line: string) => void;
};

/** Per node: the most requests it had in flight at once during the audit, and its capacity. */
export type NodeLoad = {
  id: string;
  kind: string;
  capacity: number;
  /** The most requests in flight at once during this audit (from the simulator's request log). */
  peak: number;
  /** The simulator's own count of the most requests in flight at once, since it started (both audits). */
  maxConcurrent: number;
  /** Requests the node received during the audit. */
  requests: number;
};
export type Fault = {
  what: string;
  /** Seconds after the upload was accepted. */
  at: number;
  /** How the fault was shown to hit the batch at work. */
  proof: string;
  problems: string[];
};
export type RunResult = {
  run: 'undisturbed' | 'disturbed';
  label: string;
  status: string;
  verdict: Verdict;
  duplicates: Duplicates;
  nodes: NodeLoad[];
  /** From the upload's start to the batch's end as replica 2 saw it. */
  seconds: number;
  /** The longest time no call completed while the batch ran, and when it began (s after the upload). */
  longestStall: { seconds: number; from: number };
  /** Completed calls as replica 2 reported them, every 5 s: [s after the upload, completed]. */
  progress: [number, number][];
  /** GPU requests beyond the two (LID, STT) each completed call needed: work done again after a fault. */
  repeatedGpuRequests: number;
  faults: Fault[];
  problems: string[];
};
export type TopologyResult = {
  ok: boolean;
  date: string;
  commit: string;
  changedFiles: string[];
  temporal: TemporalKind;
  calls: number;
  timeScale: number;
  callSeconds: string;
  runs: RunResult[];
  /** Disturbed time / undisturbed time, when both ran. */
  slowdown: number | null;
  problems: string[];
  table: string;
};

/** Simulated call lengths: 30 to 150 s (200 Hz WAVs: the header says the length, the bytes stay small). */
const callSeconds = (i: number) => 30 + ((i * 7919) % 121);

type SimEndpoint = {
  id: string;
  kind: string;
  capacity: number | null;
  peakSince: number;
  maxConcurrent: number;
  inFlight: number;
  requests: number;
};
async function simStats(since = 0): Promise<SimEndpoint[]> {
  const res = await fetch(`${SIM_STATS}/stats?since=${since}`, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as SimEndpoint[];
}
const inFlightOn = async (id?: string) =>
  (await simStats(Date.now() + 60_000).catch(() => []))
    .filter((e) => !id || e.id === id)
    .reduce((n, e) => n + e.inFlight, 0);

export async function runTopology(options: TopologyOptions = {}): Promise<TopologyResult> {
  const small = options.small ?? false;
  const calls = options.calls ?? (small ? 60 : 500);
  const timeScale = options.timeScale ?? 0.8;
  const withBaseline = options.baseline ?? !small;
  const log = options.log ?? ((line: string) => console.log(`[topology] ${line}`));
  const stamp = commitStamp(root);
  const temporal = temporalSide(options.temporal ?? 'cluster');
  const stack = createStack(temporal, timeScale);
  const runs: RunResult[] = [];
  const problems: string[] = [];
  active = { stack, log };
  const pool = mysql.createPool({ uri: DATABASE_URL, connectionLimit: 2 });
  try {
    log(`fresh state in ${path.relative(root, DATA)}; Temporal: ${temporal.kind} on ${temporal.address}`);
    stopServers(temporal);
    rmSync(DATA, { recursive: true, force: true });
    mkdirSync(LOGS, { recursive: true });
    temporal.start();
    mariadb.start();
    execFileSync(process.execPath, ['--import', 'tsx', 'drizzle/cli.ts'], {
      cwd: root,
      env: { ...process.env, ...appEnv(temporal) },
      stdio: 'inherit',
    });
    // One at a time: on two cores, starting eight cofi processes at once slows each past its readiness wait.
    for (const p of stack.all()) {
      const t = Date.now();
      await p.start();
      log(`${p.name} up (${((Date.now() - t) / 1000).toFixed(1)} s)`);
    }
    if (withBaseline) runs.push(await audit('undisturbed', pool, calls, log, async () => []));
    runs.push(await audit('disturbed', pool, calls, log, (batch) => disturb(stack, batch, small, log)));
  } catch (err) {
    problems.push(`the run broke off: ${(err as Error).stack ?? String(err)}`);
  } finally {
    await pool.end().catch(() => undefined);
    await shutdown(stack, log);
    active = null;
    const open = await openPorts(temporal);
    if (open.length) problems.push(`ports still open after the run: ${open.join(', ')}`);
  }
  const base = runs.find((r) => r.run === 'undisturbed');
  const disturbed = runs.find((r) => r.run === 'disturbed');
  const slowdown = base && disturbed ? Math.round((disturbed.seconds / base.seconds) * 100) / 100 : null;
  for (const r of runs) problems.push(...r.problems.map((p) => `${r.run}: ${p}`));
  const table = renderTable(runs, base?.seconds ?? null);
  const result: TopologyResult = {
    ok: problems.length === 0 && runs.length === (withBaseline ? 2 : 1),
    date: new Date().toISOString(),
    ...stamp,
    temporal: temporal.kind,
    calls,
    timeScale,
    callSeconds: '30..150',
    runs,
    slowdown,
    problems,
    table,
  };
  if (options.out) writeResults(options.out, result);
  return result;
}

type Batch = {
  taskId: string;
  batchId: number;
  accepted: number;
  /** The newest status replica 2 gave: calls completed and in flight. */
  seen: { completed: number; inFlight: number };
};

/** One audit: upload through replica 1, watch through replica 2, disturb while it runs, then judge. */
async function audit(
  run: RunResult['run'],
  pool: mysql.Pool,
  calls: number,
  log: (line: string) => void,
  disturbance: (batch: Batch) => Promise<Fault[]>,
): Promise<RunResult> {
  const label = `${run}-${Date.now().toString(36)}`;
  const files = Array.from({ length: calls }, (_, i) => ({
    name: `${label}-${i}.wav`,
    bytes: makeWav(callSeconds(i), i * 31 + run.length, 200),
  }));
  const sent = files.map((f) => ({ name: f.name, bytes: f.bytes.length }));
  const uploader = createApiClient(`http://127.0.0.1:${API_PORTS[0]}`);
  const watcher = createApiClient(`http://127.0.0.1:${API_PORTS[1]}`);
  const started = Date.now();
  const res = await uploader.audit.upload.$post({
    form: { files: fileParts(files.map((f) => new File([f.bytes], f.name))), process_id: '1' },
  });
  if (res.status !== 200) throw new Error(`${run}: the upload answered ${res.status}`);
  const body = await res.json();
  const batch: Batch = {
    taskId: body.task_id,
    batchId: body.batch_id,
    accepted: Date.now(),
    seen: { completed: 0, inFlight: 0 },
  };
  log(`${run}: ${calls} calls uploaded through api-1 as batch ${batch.batchId} (${batch.taskId})`);

  let status = '';
  let ended = 0;
  const progress: [number, number][] = [];
  const longestStall = { seconds: 0, from: 0 };
  const watch = (async () => {
    const deadline = Date.now() + 20 * 60_000;
    let lastLine = 0;
    let lastGain = { at: Date.now(), completed: 0 };
    const since = () => Math.round((Date.now() - batch.accepted) / 1000);
    while (Date.now() < deadline) {
      const r = await watcher.audit.status[':task_id']
        .$get({ param: { task_id: batch.taskId } })
        .catch(() => null);
      if (r?.status === 200) {
        const s = await r.json();
        batch.seen = { completed: s.completed, inFlight: s.in_flight };
        const stalled = (Date.now() - lastGain.at) / 1000;
        if (stalled > longestStall.seconds) {
          longestStall.seconds = Math.round(stalled);
          longestStall.from = Math.round((lastGain.at - batch.accepted) / 1000);
        }
        if (s.completed > lastGain.completed) lastGain = { at: Date.now(), completed: s.completed };
        if (since() >= (progress.at(-1)?.[0] ?? -5) + 5) progress.push([since(), s.completed]);
        if (Date.now() - lastLine > 15_000) {
          log(
            `${run}: ${s.completed}/${s.total_files} completed, ${s.failed} failed, ${s.in_flight} in flight (api-2)`,
          );
          lastLine = Date.now();
        }
        if (TERMINAL.includes(s.status)) {
          status = s.status;
          ended = Date.now();
          return;
        }
      }
      await sleep(500);
    }
    status = 'Stuck';
    ended = Date.now();
  })();
  const faults = await disturbance(batch).catch((err: Error): Fault[] => [
    { what: 'disturbance', at: 0, proof: '', problems: [`broke off: ${err.message}`] },
  ]);
  await watch;
  const seconds = Math.round((ended - started) / 100) / 10;
  log(`${run}: batch ${status} after ${seconds} s`);

  // Requests a killed agent left running finish on the node for nobody: wait for them before counting.
  for (let i = 0; i < 60 && (await inFlightOn()) > 0; i++) await sleep(500);
  const problems: string[] = [];
  const verdict = await verifyBatch(pool, batch.batchId, QUESTIONS, {
    sent,
    audioRoot: path.join(DATA, 'audio'),
  });
  const duplicates = await countDuplicates(pool, batch.batchId, `${label}-%`);
  const nodes: NodeLoad[] = (await simStats(started)).map((e) => ({
    id: e.id,
    kind: e.kind,
    capacity: e.capacity ?? 0,
    peak: e.peakSince,
    maxConcurrent: e.maxConcurrent,
    requests: e.requests,
  }));
  if (status !== 'Completed') problems.push(`the batch ended ${status}`);
  if (verdict.completed !== calls) problems.push(`${verdict.completed} of ${calls} calls completed`);
  if (verdict.lost > 0) problems.push(`${verdict.lost} lost: ${verdict.problems.slice(0, 5).join('; ')}`);
  else problems.push(...verdict.problems.slice(0, 5));
  if (duplicates.total > 0)
    problems.push(`${duplicates.total} duplicated row(s): ${JSON.stringify(duplicates.byTable)}`);
  for (const n of nodes) {
    if (n.peak > n.capacity)
      problems.push(`${n.id} had ${n.peak} requests in flight, over its capacity ${n.capacity}`);
    else if (n.maxConcurrent > n.capacity)
      problems.push(
        `${n.id}: the simulator counted ${n.maxConcurrent} requests in flight at once, over ${n.capacity}`,
      );
  }
  // Each call needs one LID and one STT request: the rest is work a fault made the nodes do again.
  const gpuRequests = nodes.filter((n) => n.kind === 'gpu').reduce((sum, n) => sum + n.requests, 0);
  const repeatedGpuRequests = gpuRequests - 2 * verdict.completed;
  for (const f of faults) problems.push(...f.problems.map((p) => `${f.what}: ${p}`));
  return {
    run,
    label,
    status,
    verdict,
    duplicates,
    nodes,
    seconds,
    longestStall,
    progress,
    repeatedGpuRequests,
    faults,
    problems,
  };
}

/** Whether the batch is still running (a fault must hit it at work), from the database. */
async function batchRunning(batchId: number): Promise<boolean> {
  const pool = mysql.createPool({ uri: DATABASE_URL, connectionLimit: 1 });
  try {
    const [rows] = await pool.query<mysql.RowDataPacket[]>('SELECT status FROM batchStatus WHERE id = ?', [
      batchId,
    ]);
    return !TERMINAL.includes(String(rows[0]?.status));
  } finally {
    await pool.end();
  }
}

/**
 * The faults, one at a time with a pause between: an orchestrator worker kill -9 (started again after 10 s), a
 * node agent kill -9 while its node has requests in flight (started again after 20 s), and the history service
 * (brought back after 10 s). The small version kills the node agent only.
 */
async function disturb(
  stack: Stack,
  batch: Batch,
  small: boolean,
  log: (line: string) => void,
): Promise<Fault[]> {
  const faults: Fault[] = [];
  const at = () => Math.round((Date.now() - batch.accepted) / 1000);
  const fault = async (what: string, act: (problems: string[]) => Promise<string>) => {
    const problems: string[] = [];
    if (!(await batchRunning(batch.batchId))) problems.push('the batch had ended before the fault');
    const when = at();
    log(`fault at +${when} s: ${what}`);
    const proof = await act(problems);
    log(`  ${proof}`);
    faults.push({ what, at: when, proof, problems });
  };
  /**
   * Kills `p` and starts it again after `downMs`; says what was in flight when it went. With `node`, the kill
   * waits (up to 30 s) for a request in flight on that node and comes the moment one is seen.
   */
  const killAndRestart = async (p: CofiProcess, downMs: number, problems: string[], node?: string) => {
    let requests = await inFlightOn(node);
    for (let i = 0; i < 300 && node && requests === 0; i++) {
      await sleep(50);
      requests = await inFlightOn(node);
    }
    if (node && requests === 0) problems.push(`no request was in flight on ${node} at the kill`);
    const calls = batch.seen.inFlight;
    await p.kill('SIGKILL');
    await sleep(downMs);
    const t = Date.now();
    await p.start();
    const hit = node
      ? `${requests} request(s) in flight on ${node}`
      : `${calls} calls of the batch in flight and ${requests} request(s) on the fleet`;
    return `${p.name} killed with ${hit}, down ${downMs / 1000} s, polling again ${((Date.now() - t) / 1000).toFixed(1)} s after its start`;
  };
  // The small version's audit is short: its one fault comes as soon as gpu-a is at work.
  await sleep(small ? 1000 : 8000);
  if (!small) {
    const orchestrator = stack.orchestrators[0]!;
    await fault(`kill -9 ${orchestrator.name}`, (problems) => killAndRestart(orchestrator, 10_000, problems));
    await sleep(10_000);
  }
  const agent = stack.agents.find((a) => a.nodeId === 'gpu-a')!;
  await fault(`kill -9 ${agent.name}`, (problems) => killAndRestart(agent, 20_000, problems, 'gpu-a'));
  if (!small) {
    await sleep(10_000);
    await fault('Temporal history service killed', async () => {
      const calls = batch.seen.inFlight;
      const how = stack.temporal.killHistory();
      await sleep(10_000);
      const t = Date.now();
      stack.temporal.restartHistory();
      return `${how} with ${calls} calls of the batch in flight; down 10 s, back ${((Date.now() - t) / 1000).toFixed(1)} s after its start`;
    });
  }
  return faults;
}

/** The run in progress, for a Ctrl-C to stop. */
let active: { stack: Stack; log: (line: string) => void } | null = null;

/** Stops the run in progress (its processes and servers) and exits 130: what Ctrl-C does. */
async function interruptRun(): Promise<never> {
  const run = active;
  active = null;
  if (run) await shutdown(run.stack, run.log);
  process.exit(130);
}

function stopServers(temporal: TemporalSide) {
  try {
    temporal.stop();
  } catch {
    // Nothing was running.
  }
  mariadb.stop();
}

/** Stops every process of the run (TERM, then KILL after 15 s), then MariaDB and Temporal. */
async function shutdown(stack: Stack, log: (line: string) => void) {
  await Promise.all(
    stack.all().map(async (p) => {
      const killed = setTimeout(() => void p.kill('SIGKILL'), 15_000);
      await p.kill('SIGTERM').catch(() => undefined);
      clearTimeout(killed);
    }),
  );
  try {
    stopServers(stack.temporal);
  } catch (err) {
    log(`stopping the servers: ${(err as Error).message}`);
  }
}

const loads = (r: RunResult) =>
  r.nodes.map((n) => `${n.id} ${n.peak}/${n.capacity}${n.peak > n.capacity ? ' **OVER**' : ''}`).join(', ');

function renderTable(runs: RunResult[], baseline: number | null): string {
  const lines = [
    '| run | calls completed | rows lost | rows duplicated | the largest number of requests a node ever had in flight / its capacity | time to finish (against the undisturbed run) | faults |',
    '|---|---|---|---|---|---|---|',
  ];
  for (const r of runs) {
    const time =
      r.run === 'undisturbed' || baseline === null
        ? `${r.seconds} s`
        : `${r.seconds} s (${(r.seconds / baseline).toFixed(2)}×)`;
    const stall = `longest without a call completing: ${r.longestStall.seconds} s`;
    const faults = r.faults.length ? r.faults.map((f) => `+${f.at} s ${f.what}`).join('; ') : 'none';
    lines.push(
      `| ${r.run} | ${r.verdict.completed} of ${r.verdict.sent} | ${r.verdict.lost} | ${r.duplicates.total} | ${loads(r)} | ${time}; ${stall} | ${faults} |`,
    );
  }
  return lines.join('\n');
}

function writeResults(dir: string, result: TopologyResult) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'topology.json'), `${JSON.stringify(result, null, 2)}\n`);
  const changed = result.changedFiles.length ? ` (with changes to ${result.changedFiles.join(', ')})` : '';
  const faults = result.runs.flatMap((r) => r.faults.map((f) => `- +${f.at} s, ${f.what}: ${f.proof}`));
  const md = [
    `# cofi topology run (${result.date}, commit ${result.commit}${changed})`,
    '',
    `Temporal: ${result.temporal === 'cluster' ? 'the cluster of ops/cluster.sh (frontend, history, matching and worker as separate processes, PostgreSQL)' : 'the dev server'}. ` +
      `Two API replicas (upload through api-1, batch watched through api-2), two orchestrator workers, three GPU node agents (gpu-a x4, gpu-b x4, gpu-c x2) and one LLM agent (llm-a x16) against the simulator; ` +
      `${result.calls} calls of ${result.callSeconds} s per audit, simulator latency x${result.timeScale}. Everything on this one 2-core machine.`,
    '',
    result.table,
    '',
    ...(faults.length ? ['Faults:', '', ...faults, ''] : []),
    result.ok
      ? 'Verdict: **pass**.'
      : `Verdict: **FAIL**\n\n${result.problems.map((p) => `- ${p}`).join('\n')}`,
    '',
  ].join('\n');
  writeFileSync(path.join(dir, 'topology.md'), md);
  // Committed results are linted like the rest of the repository: written in biome's format.
  const files = ['topology.json', 'topology.md'].map((f) => path.join(dir, f));
  try {
    execFileSync(path.join(root, 'node_modules', '.bin', 'biome'), ['format', '--write', ...files], {
      stdio: 'ignore',
    });
  } catch {
    // Outside the repository's lint (another --out) an unformatted file is no problem.
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      small: { type: 'boolean', default: false },
      baseline: { type: 'boolean' },
      temporal: { type: 'string', default: 'cluster' },
      'time-scale': { type: 'string' },
      out: { type: 'string' },
    },
  });
  const temporal = values.temporal;
  if (temporal !== 'cluster' && temporal !== 'dev') {
    console.error(`--temporal must be cluster or dev, not ${temporal}`);
    process.exit(2);
  }
  const calls = values.calls === undefined ? undefined : Number(values.calls);
  if (calls !== undefined && !(Number.isInteger(calls) && calls >= 1 && calls <= 10_000)) {
    console.error(`--calls must be a whole number from 1 to 10000, not ${values.calls}`);
    process.exit(2);
  }
  const timeScale = values['time-scale'] === undefined ? undefined : Number(values['time-scale']);
  if (timeScale !== undefined && !(timeScale >= 0)) {
    console.error(`--time-scale must be a number >= 0, not ${values['time-scale']}`);
    process.exit(2);
  }
  const out = values.out ?? (values.small ? undefined : path.join(root, 'topology', 'results'));
  // Ctrl-C or a TERM: runTopology's cleanup runs (its finally), then the exit.
  let interrupted = false;
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.on(sig, () => {
      if (interrupted) return;
      interrupted = true;
      console.log(`[topology] ${sig}: stopping every process of the run`);
      void interruptRun();
    });
  const result = await runTopology({
    small: values.small,
    temporal,
    ...(calls !== undefined ? { calls } : {}),
    ...(values.baseline !== undefined ? { baseline: values.baseline } : {}),
    ...(timeScale !== undefined ? { timeScale } : {}),
    ...(out ? { out } : {}),
  });
  console.log(`\n${result.table}\n`);
  for (const p of result.problems.slice(0, 40)) console.log(`  problem: ${p}`);
  if (out) console.log(`results in ${path.relative(root, out)}/topology.{json,md}`);
  console.log(result.ok ? 'topology: pass' : `topology: FAILED (${result.problems.length} problem(s))`);
  process.exit(result.ok ? 0 : 1);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
