// createActivities(deps): every activity, grouped by the task queue that runs it.
import { createAudioActivities } from './audio.js';
import { createBatchActivities } from './batch.js';
import { createDailyActivities } from './daily.js';
import type { ActivityDeps } from './deps.js';
import { createDistributeActivities } from './distribute.js';
import { keepRequestInDatabase } from './failedRequest.js';
import { createFailureActivities } from './failures.js';
import { createGpuActivities } from './gpu.js';
import { createLlmActivities } from './llm.js';
import { createReauditActivities } from './reaudit.js';
import { createRedactActivities } from './redact.js';
import { createRetentionActivities } from './retention.js';
import { observed } from './telemetry.js';
import { createV1Activities } from './v1/index.js';

export function createActivities(deps: ActivityDeps) {
  const gpu = createGpuActivities(deps);
  const llm = createLlmActivities(deps);
  const audio = createAudioActivities(deps);
  const redact = createRedactActivities(deps);
  const distribute = createDistributeActivities(deps);
  const t = deps.telemetry;
  // Stage activities' failures reach Temporal without the request; the request waits in the database.
  const db = deps.db;
  return {
    /** The main queue: batch bookkeeping, distribution, failures. */
    main: {
      ...createBatchActivities(deps),
      ...createDailyActivities(deps),
      ...createReauditActivities(deps),
      ...createFailureActivities(deps),
      ...createRetentionActivities(deps),
      redistributeCall: distribute.redistributeCall,
      rerouteLlm: distribute.rerouteLlm,
      // The first batch shape's bookkeeping, for batches that started before the ledger.
      ...createV1Activities(deps),
      distributeCall: observed(t, 'distribute', () => 'main', distribute.distributeCall),
      routeCall: distribute.routeCall,
    },
    /** Audio clean-up and redaction (ffmpeg), concurrency = the worker host's cores. */
    audio: {
      runAudioStage: keepRequestInDatabase(
        db,
        'denoise',
        observed(t, 'audio', () => 'worker', audio.runAudioStage),
      ),
      runRedact: keepRequestInDatabase(
        db,
        'redact',
        observed(t, 'redact', () => 'worker', redact.runRedact),
      ),
    },
    /** One queue per GPU node, concurrency = the node's capacity. */
    gpu: {
      runLid: keepRequestInDatabase(
        db,
        'lid',
        observed(t, 'lid', (i) => i.route.gpuNode, gpu.runLid),
      ),
      runStt: keepRequestInDatabase(
        db,
        'stt',
        observed(t, 'stt', (i) => i.route.gpuNode, gpu.runStt),
      ),
    },
    /** One queue per LLM endpoint, concurrency = its capacity. */
    llm: {
      runLlm1: keepRequestInDatabase(
        db,
        'llm1',
        observed(t, 'llm1', (i) => i.route.llmEndpoint, llm.runLlm1),
      ),
      runLlm2: keepRequestInDatabase(
        db,
        'llm2',
        observed(t, 'llm2', (i) => i.route.llmEndpoint, llm.runLlm2),
      ),
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
