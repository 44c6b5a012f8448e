// The real stack for integration tests: MariaDB and Temporal (started by ops/test.sh), cofi's workers
// in this process on their own task queues, the API app, and simulated GPU nodes on loopback ports.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities } from '../../activities/index.js';
import { createApp } from '../../api/app.js';
import { probeAudio } from '../../core/audio/probe.js';
import { createAudioStore } from '../../core/audioStore.js';
import { type Config, type Fleet, type GpuNode, loadConfig } from '../../core/config.js';
import { analyseCall } from '../../core/inference/analysis.js';
import { identifyLanguage } from '../../core/inference/lid.js';
import { answerQuestionnaire } from '../../core/inference/questionnaire.js';
import { transcribe } from '../../core/inference/stt.js';
import type { Database } from '../../drizzle/client.js';
import { prepareDatabase } from '../../drizzle/migrate.js';
import { startSimulator } from '../../simulator/server.js';
import { parseRoles } from '../../worker/roles.js';
import { startExitSweep } from '../../worker/sweep.js';
import { connectClient, connectWorker, ensureSearchAttributes } from '../../worker/temporal.js';
import { bundleWorkflows, createWorkers, installRuntime } from '../../worker/workers.js';

export const TEST_NAMESPACE = 'cofi-test';

export function testEnv(): Record<string, string> {
  const db = process.env.COFI_TEST_DATABASE_URL;
  const temporal = process.env.COFI_TEST_TEMPORAL_ADDRESS;
  if (!db || !temporal) {
    throw new Error(
      'integration tests need COFI_TEST_DATABASE_URL and COFI_TEST_TEMPORAL_ADDRESS: run them with `npm test`',
    );
  }
  return { DATABASE_URL: db, TEMPORAL_ADDRESS: temporal, TEMPORAL_NAMESPACE: TEST_NAMESPACE };
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/** Bundling the workflows takes seconds: once per test process (and entry point). */
export const sharedBundle = (workflowsPath?: string) => {
  const key = workflowsPath ?? '';
  if (!bundles.has(key)) bundles.set(key, bundleWorkflows(workflowsPath));
  return bundles.get(key)!;
};

export type StackOptions = {
  /** Simulated GPU nodes (capacity each) and LLM endpoints; defaults: two nodes, one LLM. */
  nodes?: { id: string; capacity: number; lidPath?: string }[];
  llm?: { id: string; capacity: number }[];
  simulator?: Omit<Parameters<typeof startSimulator>[0], 'nodes' | 'llm'>;
  env?: Record<string, string>;
  /** The workflows' entry point, when not cofi's own (the benchmark adds its stage-barrier batch). */
  workflowsPath?: string;
  /** How often the exit sweep runs (default 1 s; 0: never) and how old a batch without a workflow must be. */
  sweepMs?: number;
  sweepGraceMs?: number;
  /** Every simulated endpoint answers 429 instead of queueing when its slots are full. */
  rejectWhenBusy?: boolean;
  /** Real GPU nodes (cofi's CPU Whisper node) instead of simulated ones; the LLM stays simulated. */
  gpuNodes?: GpuNode[];
  /** WORKER_ROLES of the in-process workers (default: all), e.g. to leave a configured node unpolled. */
  roles?: string;
};

export type Stack = Awaited<ReturnType<typeof startStack>>;

export async function startStack(options: StackOptions = {}) {
  const nodes = options.nodes ?? [
    // One node identifies languages on the dedicated endpoint, one through transcriptions: both paths run.
    { id: 'node-a', capacity: 2, lidPath: '/detect-language' },
    { id: 'node-b', capacity: 2 },
  ];
  const llm = options.llm ?? [{ id: 'llm-a', capacity: 4 }];
  const sim = await startSimulator({
    ...options.simulator,
    nodes: (options.gpuNodes ? [] : nodes).map((n) => ({
      id: n.id,
      port: 0,
      capacity: n.capacity,
      rejectWhenBusy: options.rejectWhenBusy,
    })),
    llm: llm.map((l) => ({
      id: l.id,
      port: 0,
      capacity: l.capacity,
      rejectWhenBusy: options.rejectWhenBusy,
    })),
  });
  const fleet: Fleet = {
    nodes:
      options.gpuNodes ??
      nodes.map((n) => ({
        id: n.id,
        url: sim.nodes.find((s: { id: string }) => s.id === n.id)!.url,
        capacity: n.capacity,
        stages: ['lid', 'stt'],
        model: 'cofi-simulated-whisper',
        ...(n.lidPath ? { lidPath: n.lidPath } : {}),
      })),
    llm: llm.map((l) => ({
      id: l.id,
      url: sim.llm.find((s: { id: string }) => s.id === l.id)!.url,
      capacity: l.capacity,
      model: 'cofi-simulated-llm',
    })),
  };
  const audioDir = await mkdtemp(path.join(tmpdir(), 'cofi-audio-'));
  const config: Config = loadConfig({
    ...testEnv(),
    COFI_TASK_QUEUE: `test-${randomUUID().slice(0, 8)}`,
    AUDIO_DIR: audioDir,
    COFI_FLEET: JSON.stringify(fleet),
    // A test's worker restart cuts the activities in hand, as a crash does, unless the test asks for a grace.
    WORKER_SHUTDOWN_GRACE_MS: '0',
    ...options.env,
  });
  installRuntime();
  const database: Database = await prepareDatabase(config.DATABASE_URL);
  const client: Client = await connectClient(config);
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  const audio = createAudioStore(config.AUDIO_DIR);
  const inference = { identifyLanguage, transcribe, analyseCall, answerQuestionnaire, probeAudio };
  const connection = await connectWorker(config);
  const activities = createActivities({ db: database.db, temporal: client, config, audio, inference });
  const launch = async (
    roles = options.roles ?? config.WORKER_ROLES,
    log: (m: string) => void = () => {},
  ) => {
    const workers = await createWorkers({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      prefix: config.COFI_TASK_QUEUE,
      fleet: config.fleet,
      activities,
      roles: parseRoles(roles, config.fleet),
      db: database.db,
      leaseMs: config.NODE_AGENT_LEASE_MS,
      log,
      workflowBundle: await sharedBundle(options.workflowsPath),
      maxCachedWorkflows: 100,
      shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
    });
    const abort = new AbortController();
    return { abort, running: workers.run(abort.signal) };
  };
  let current = await launch();
  // As the worker does: batches whose workflow ended without recording it are recorded (every second here).
  const sweep = startExitSweep(
    { db: database.db, temporal: client, prefix: config.COFI_TASK_QUEUE },
    options.sweepMs ?? 1000,
    () => {},
    { graceMs: options.sweepGraceMs ?? 10_000 },
  );
  const app = createApp({ database, temporal: client, config, audio, probeAudio });
  return {
    app,
    config,
    database,
    db: database.db,
    client,
    sim,
    audio,
    /**
     * Stops every worker and starts new ones, as a worker restart: the activities in hand are cut at once,
     * or, with WORKER_SHUTDOWN_GRACE_MS, get that long to finish.
     */
    async restartWorkers() {
      current.abort.abort();
      await current.running;
      current = await launch();
    },
    /** Stops the workers (the work in hand is cut at once); `startWorkers` brings them back. */
    async stopWorkers() {
      current.abort.abort();
      await current.running;
    },
    async startWorkers() {
      current = await launch();
    },
    /**
     * Another worker process's set, as a second replica would run it (its own roles; `log` hears its agents):
     * returns its stop.
     */
    async extraWorkers(roles: string, log?: (m: string) => void) {
      const extra = await launch(roles, log);
      return async () => {
        extra.abort.abort();
        await extra.running;
      };
    },
    async stop() {
      await sweep.stop();
      current.abort.abort();
      await current.running;
      await connection.close();
      await sim.close();
      await client.connection.close();
      await database.close();
      await rm(audioDir, { recursive: true, force: true });
    },
  };
}
