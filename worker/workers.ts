// Builds cofi's Temporal workers: one for workflows and bookkeeping, one for audio clean-up, one per GPU node
// and one per LLM endpoint, each node worker capped at the node's capacity (backpressure without a home-made
// scheduler). WORKER_ROLES says which of them this process runs; a node's worker (its agent) runs only while it
// holds the node's lease, so the capacity holds however many processes run.

import { execFile } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  bundleWorkflowCode,
  DefaultLogger,
  type LogLevel,
  type NativeConnection,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { Activities } from '../activities/index.js';
import type { Fleet } from '../core/config.js';
import { audioQueue, gpuQueue, llmQueue, mainQueue } from '../core/fleet.js';
import { tasksInHand } from '../core/nodeSlots.js';
import type { Db } from '../drizzle/client.js';
import { acquireLease, type LeaseKey, newHolder, releaseLease, retireHolder } from './agentLease.js';
import { parseRoles, type WorkerRoles } from './roles.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/** The workflow bundle (`workflowsPath`: another entry point, e.g. the benchmark's, which adds its own). */
export function bundleWorkflows(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  return bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
}

/**
 * The workflow bundle, built by a process of its own (worker/bundle.ts) into `file`: the bundler's memory goes
 * with that process instead of staying in the worker's.
 */
export async function bundleWorkflowsApart(file: string): Promise<{ codePath: string }> {
  const script = fileURLToPath(new URL('./bundle.ts', import.meta.url));
  await new Promise<void>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', script, file], (err, _out, stderr) =>
      err ? reject(new Error(`bundling the workflows failed: ${stderr || err.message}`)) : resolve(),
    );
  });
  return { codePath: file };
}

const quietBundlerLogger = {
  trace() {},
  debug() {},
  info() {},
  warn: (message: string) => console.warn(message),
  error: (message: string) => console.error(message),
  log() {},
};

let runtimeInstalled = false;
/** The SDK's own log level (its default, INFO, logs every worker state change). Once per process. */
export function installRuntime(level: LogLevel = 'WARN', metricsBind?: string): void {
  if (runtimeInstalled) return;
  Runtime.install({
    logger: new DefaultLogger(level),
    ...(metricsBind ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsBind } } } } : {}),
  });
  runtimeInstalled = true;
}

export type WorkerSetOptions = {
  connection: NativeConnection;
  namespace: string;
  prefix: string;
  fleet: Fleet;
  activities: Activities;
  /** The workflows: needed only by the orchestrator role. */
  workflowBundle?: WorkflowBundleWithSourceMap | { codePath: string };
  /** What this process polls (WORKER_ROLES); default: everything. */
  roles?: WorkerRoles;
  /** Where node agents hold their lease (required when the roles include a node or an endpoint). */
  db?: Db;
  /** How long an agent's lease lasts without renewal (NODE_AGENT_LEASE_MS; default 15 s). */
  leaseMs?: number;
  /** Where agents say that they took, wait for or lost a node's queue (default: the console). */
  log?: (message: string) => void;
  /** Workflow runs kept in memory; bounds worker memory for large batches. */
  maxCachedWorkflows?: number;
  /** How long a shutdown lets the activities in hand finish before cancelling them (default 0: at once). */
  shutdownGraceMs?: number;
};

/** The workers of one process: the orchestrator's and audio worker at once, each node agent once it holds its lease. */
export type WorkerSet = {
  roles: WorkerRoles;
  /** Runs until `signal` aborts, then shuts every worker down gracefully and gives the leases up. */
  run(signal: AbortSignal): Promise<void>;
};

export async function createWorkers(options: WorkerSetOptions): Promise<WorkerSet> {
  const { connection, namespace, prefix, fleet, activities } = options;
  const roles = options.roles ?? parseRoles('all', fleet);
  if (roles.orchestrator && !options.workflowBundle)
    throw new Error('the orchestrator role needs the workflow bundle');
  // Heartbeats carry cancellation to a running activity: send them often enough that a cancelled reaudit
  // stops its GPU requests within about a second.
  const common = {
    connection,
    namespace,
    // A deploy's SIGTERM should not throw away minutes of transcription that are about to finish.
    shutdownGraceTime: options.shutdownGraceMs ?? 0,
    maxHeartbeatThrottleInterval: '2 seconds',
    defaultHeartbeatThrottleInterval: '1 second',
  } as const;
  const fixed = await Promise.all([
    ...(roles.orchestrator
      ? [
          Worker.create({
            ...common,
            taskQueue: mainQueue(prefix),
            workflowBundle: options.workflowBundle!,
            activities: activities.main,
            maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
            maxConcurrentActivityTaskExecutions: 50,
          }),
        ]
      : []),
    ...(roles.audio
      ? [
          Worker.create({
            ...common,
            taskQueue: audioQueue(prefix),
            activities: activities.audio,
            maxConcurrentActivityTaskExecutions: availableParallelism(),
          }),
        ]
      : []),
  ]);
  // One agent per GPU node and LLM endpoint this process serves: alike but for queue, activities and capacity.
  const served = [
    ...roles.nodes.map((id) => ({
      kind: 'gpu' as const,
      id,
      queue: gpuQueue(prefix, id),
      work: activities.gpu,
    })),
    ...roles.llm.map((id) => ({
      kind: 'llm' as const,
      id,
      queue: llmQueue(prefix, id),
      work: activities.llm,
    })),
  ];
  const agents: AgentSpec[] = served.map(({ kind, id, queue, work }) => {
    const capacity = (kind === 'gpu' ? fleet.nodes : fleet.llm).find((n) => n.id === id)!.capacity;
    return {
      key: { queue, kind, nodeId: id },
      create: () =>
        Worker.create({
          ...common,
          taskQueue: queue,
          activities: work,
          maxConcurrentActivityTaskExecutions: tasksInHand(capacity),
        }),
    };
  });
  if (agents.length > 0 && !options.db) throw new Error('node agents need the database for their lease');
  const lease = {
    db: options.db!,
    ttlMs: options.leaseMs ?? 15_000,
    log: options.log ?? ((m: string) => console.log(`[cofi] ${m}`)),
  };
  return {
    roles,
    async run(signal: AbortSignal) {
      const shutdown = () => {
        for (const w of fixed) if (w.getState() === 'RUNNING') w.shutdown();
      };
      signal.addEventListener('abort', shutdown, { once: true });
      const running = [...fixed.map((w) => w.run()), ...agents.map((a) => runAgent(a, lease, signal))];
      // Aborted before the workers ran: the listener came too late for them.
      if (signal.aborted) shutdown();
      await Promise.all(running);
    },
  };
}

type AgentSpec = { key: LeaseKey; create: () => Promise<Worker> };

/**
 * One node's agent: waits (as a standby) until it holds the node's lease, then polls the node's queue while
 * it renews the lease; should another agent take the lease (this one could not renew it in time), it stops
 * polling and waits again. A second agent for a node is thus refused its queue rather than sharing it: two
 * pollers each take up to the node's capacity in tasks, and Temporal has no limit per queue across pollers.
 */
async function runAgent(
  agent: AgentSpec,
  lease: { db: Db; ttlMs: number; log: (m: string) => void },
  signal: AbortSignal,
): Promise<void> {
  const { key } = agent;
  const holder = newHolder();
  const every = Math.max(200, Math.floor(lease.ttlMs / 3));
  const what = `${key.kind === 'gpu' ? 'GPU node' : 'LLM endpoint'} ${key.nodeId}`;
  let waiting = '';
  try {
    while (!signal.aborted) {
      let state: Awaited<ReturnType<typeof acquireLease>>;
      try {
        state = await acquireLease(lease.db, key, holder, lease.ttlMs);
      } catch (err) {
        lease.log(
          `agent of ${what}: cannot reach the database for its lease (${(err as Error).message}); retrying`,
        );
        await sleep(every, signal);
        continue;
      }
      if (!state.held) {
        if (waiting !== state.holder)
          lease.log(
            `agent of ${what}: standby, the queue is held by ${state.holder} (lease until ${state.expiresAt.toISOString()})`,
          );
        waiting = state.holder;
        await sleep(every, signal);
        continue;
      }
      waiting = '';
      const worker = await agent.create();
      lease.log(`agent of ${what}: polling ${key.queue} as ${holder}`);
      let lost = '';
      const renew = setInterval(() => {
        acquireLease(lease.db, key, holder, lease.ttlMs).then(
          (s) => {
            if (!s.held && !lost) {
              lost = s.holder;
              if (worker.getState() === 'RUNNING') worker.shutdown();
            }
          },
          // The database is away: keep serving; when it is back the renewal says whether the lease is still ours.
          () => undefined,
        );
      }, every);
      const stop = () => {
        if (worker.getState() === 'RUNNING') worker.shutdown();
      };
      signal.addEventListener('abort', stop, { once: true });
      const running = worker.run();
      // Aborted while the lease was taken or the worker created: stop it now.
      if (signal.aborted) stop();
      try {
        await running;
      } finally {
        clearInterval(renew);
        signal.removeEventListener('abort', stop);
      }
      if (lost) lease.log(`agent of ${what}: lost its lease to ${lost}; stopped polling, now a standby`);
    }
  } finally {
    await releaseLease(lease.db, key, holder).catch(() => undefined);
    retireHolder(holder);
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
