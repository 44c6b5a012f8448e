// The worker process: migrations, then the workers its roles (WORKER_ROLES) name: the orchestrator (workflows,
// bookkeeping, exit sweep, daily schedule), audio clean-up, and the agents of GPU nodes and LLM endpoints.

import { tmpdir } from 'node:os';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { Registry } from 'prom-client';
import { createActivities } from '../activities/index.js';
import { probeAudio } from '../core/audio/probe.js';
import { createAudioStore } from '../core/audioStore.js';
import { configOrExit } from '../core/env.js';
import { analyseCall } from '../core/inference/analysis.js';
import { identifyLanguage } from '../core/inference/lid.js';
import { answerQuestionnaire } from '../core/inference/questionnaire.js';
import { transcribe } from '../core/inference/stt.js';
import { createLogger } from '../core/logger.js';
import { createPipelineMetrics, serveMetrics } from '../core/metrics.js';
import { prepareDatabase } from '../drizzle/migrate.js';
import { describeRoles, parseRoles, RolesError, type WorkerRoles } from './roles.js';
import { ensureDailySchedule, ensureRetentionSchedule } from './schedule.js';
import { startExitSweep } from './sweep.js';
import { connectClient, connectWorker, ensureSearchAttributes } from './temporal.js';
import { bundleWorkflowsApart, createWorkers, installRuntime } from './workers.js';

const config = configOrExit();
let roles: WorkerRoles;
try {
  roles = parseRoles(config.WORKER_ROLES, config.fleet);
} catch (err) {
  if (!(err instanceof RolesError)) throw err;
  console.error(`[cofi] ${err.message}`);
  process.exit(1);
}
installRuntime(
  config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'INFO' : 'WARN',
  config.TEMPORAL_METRICS_PORT ? `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}` : undefined,
);
const logger = createLogger(config, 'worker');
const metrics = createPipelineMetrics(new Registry(), {
  processMetrics: true,
  // Each node's capacity is reported by its agent only: summed over processes it stays the node's.
  capacity: [
    ...config.fleet.nodes.filter((n) => roles.nodes.includes(n.id)),
    ...config.fleet.llm.filter((l) => roles.llm.includes(l.id)),
  ].map((n) => ({ node: n.id, slots: n.capacity })),
});
const metricsServer = config.WORKER_METRICS_PORT
  ? await serveMetrics(metrics.registry, config.METRICS_HOST, config.WORKER_METRICS_PORT)
  : undefined;
const database = await prepareDatabase(config.DATABASE_URL);
const client = await connectClient(config);
await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
const activities = createActivities({
  db: database.db,
  temporal: client,
  config,
  audio: createAudioStore(config.AUDIO_DIR),
  inference: { identifyLanguage, transcribe, analyseCall, answerQuestionnaire, probeAudio },
  telemetry: { logger, metrics },
});
const workers = await createWorkers({
  connection: await connectWorker(config),
  namespace: config.TEMPORAL_NAMESPACE,
  prefix: config.COFI_TASK_QUEUE,
  fleet: config.fleet,
  activities,
  roles,
  db: database.db,
  leaseMs: config.NODE_AGENT_LEASE_MS,
  log: (message) => logger.info(message),
  // Only the orchestrator runs workflows: the other roles skip the bundling's seconds and memory.
  ...(roles.orchestrator && {
    workflowBundle: await bundleWorkflowsApart(path.join(tmpdir(), `cofi-workflows-${process.pid}.js`)),
  }),
  shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
});
const schedule = roles.orchestrator ? await ensureDailySchedule(client, config) : undefined;
if (schedule)
  console.log(
    `[cofi] daily batch schedule "${schedule}": ${config.DAILY_CRON} (UTC), reading ${config.DAILY_DIR}`,
  );
const retentionSchedule = roles.orchestrator ? await ensureRetentionSchedule(client, config) : undefined;
if (retentionSchedule)
  console.log(`[cofi] retention schedule "${retentionSchedule}": ${config.RETENTION_CRON} (UTC)`);
const sweep = roles.orchestrator
  ? startExitSweep(
      { db: database.db, temporal: client, prefix: config.COFI_TASK_QUEUE },
      config.EXIT_SWEEP_MS,
      (r) => logger.warn(r, `batch ${r.batchId} recorded as ${r.status}: ${r.reason}`),
    )
  : undefined;
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
console.log(
  `[cofi] worker running on task queue "${config.COFI_TASK_QUEUE}" as ${describeRoles(roles)} (fleet: ${config.fleet.nodes.length} GPU node(s), ${config.fleet.llm.length} LLM endpoint(s)), heap limit ${Math.round(getHeapStatistics().heap_size_limit / 1048576)} MiB`,
);
await workers.run(stop.signal);
await sweep?.stop();
metricsServer?.close();
await database.close();
await client.connection.close();
