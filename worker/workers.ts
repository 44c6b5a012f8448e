// Builds cofi's Temporal workers: one for workflows and bookkeeping, one per GPU node and one per LLM
// endpoint, each node worker capped at the node's capacity (backpressure without a home-made scheduler).

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
  workflowBundle: WorkflowBundleWithSourceMap | { codePath: string };
  /** Workflow runs kept in memory; bounds worker memory for large batches. */
  maxCachedWorkflows?: number;
  /** How long a shutdown lets the activities in hand finish before cancelling them (default 0: at once). */
  shutdownGraceMs?: number;
};

export async function createWorkers(options: WorkerSetOptions): Promise<Worker[]> {
  const { connection, namespace, prefix, fleet, activities } = options;
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
  return Promise.all([
    Worker.create({
      ...common,
      taskQueue: mainQueue(prefix),
      workflowBundle: options.workflowBundle,
      activities: activities.main,
      maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
      maxConcurrentActivityTaskExecutions: 50,
    }),
    Worker.create({
      ...common,
      taskQueue: audioQueue(prefix),
      activities: activities.audio,
      maxConcurrentActivityTaskExecutions: availableParallelism(),
    }),
    ...fleet.nodes.map((node) =>
      Worker.create({
        ...common,
        taskQueue: gpuQueue(prefix, node.id),
        activities: activities.gpu,
        maxConcurrentActivityTaskExecutions: tasksInHand(node.capacity),
      }),
    ),
    ...fleet.llm.map((endpoint) =>
      Worker.create({
        ...common,
        taskQueue: llmQueue(prefix, endpoint.id),
        activities: activities.llm,
        maxConcurrentActivityTaskExecutions: tasksInHand(endpoint.capacity),
      }),
    ),
  ]);
}

/** Runs workers until `signal` aborts, then shuts them down gracefully. */
export async function runWorkers(workers: Worker[], signal?: AbortSignal): Promise<void> {
  const shutdown = () => {
    for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
  };
  signal?.addEventListener('abort', shutdown, { once: true });
  await Promise.all(workers.map((w) => w.run()));
}
