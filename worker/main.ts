// The worker process: migrations, then the workflow worker plus one worker per GPU node and LLM endpoint.

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
import { ensureDailySchedule } from './schedule.js';
import { startExitSweep } from './sweep.js';
import { connectClient, connectWorker, ensureSearchAttributes } from './temporal.js';
import { bundleWorkflowsApart, createWorkers, installRuntime, runWorkers } from './workers.js';

const config = configOrExit();
installRuntime(
  config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'INFO' : 'WARN',
  config.TEMPORAL_METRICS_PORT ? `${config.METRICS_HOST}:${config.TEMPORAL_METRICS_PORT}` : undefined,
);
const logger = createLogger(config, 'worker');
const metrics = createPipelineMetrics(new Registry(), {
  processMetrics: true,
  capacity: [...config.fleet.nodes, ...config.fleet.llm].map((n) => ({ node: n.id, slots: n.capacity })),
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
  workflowBundle: await bundleWorkflowsApart(path.join(tmpdir(), `cofi-workflows-${process.pid}.js`)),
  shutdownGraceMs: config.WORKER_SHUTDOWN_GRACE_MS,
});
const schedule = await ensureDailySchedule(client, config);
if (schedule)
  console.log(
    `[cofi] daily batch schedule "${schedule}": ${config.DAILY_CRON} (UTC), reading ${config.DAILY_DIR}`,
  );
const sweep = startExitSweep(
  { db: database.db, temporal: client, prefix: config.COFI_TASK_QUEUE },
  config.EXIT_SWEEP_MS,
  (r) => logger.warn(r, `batch ${r.batchId} recorded as ${r.status}: ${r.reason}`),
);
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => stop.abort());
console.log(
  `[cofi] worker running on task queue "${config.COFI_TASK_QUEUE}" with ${config.fleet.nodes.length} GPU node(s) and ${config.fleet.llm.length} LLM endpoint(s), heap limit ${Math.round(getHeapStatistics().heap_size_limit / 1048576)} MiB`,
);
await runWorkers(workers, stop.signal);
await sweep.stop();
metricsServer?.close();
await database.close();
await client.connection.close();
