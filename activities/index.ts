// createActivities(deps): every activity, grouped by the task queue that runs it.
import { createAudioActivities } from './audio.js';
import { createBatchActivities } from './batch.js';
import { createDailyActivities } from './daily.js';
import type { ActivityDeps } from './deps.js';
import { createDistributeActivities } from './distribute.js';
import { createGpuActivities } from './gpu.js';
import { createLlmActivities } from './llm.js';
import { createReauditActivities } from './reaudit.js';

export function createActivities(deps: ActivityDeps) {
  return {
    /** The main queue: database bookkeeping and distribution. */
    main: {
      ...createBatchActivities(deps),
      ...createDistributeActivities(deps),
      ...createReauditActivities(deps),
      ...createDailyActivities(deps),
    },
    /** Audio clean-up (ffmpeg), concurrency = the worker host's cores. */
    audio: createAudioActivities(deps),
    /** One queue per GPU node, concurrency = the node's capacity. */
    gpu: createGpuActivities(deps),
    /** One queue per LLM endpoint, concurrency = its capacity. */
    llm: createLlmActivities(deps),
  };
}

export type Activities = ReturnType<typeof createActivities>;
export type { ActivityDeps } from './deps.js';
