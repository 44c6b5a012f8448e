// One call through its stages; each GPU stage runs on the task queue of the node the call was sent to.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  proxyActivities,
  proxyLocalActivities,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import type { CallRoute, StageInput } from '../../activities/types.js';
import { failureContext, NON_RETRYABLE_TYPES } from '../../core/errors.js';
import { audioQueue, gpuQueue, llmQueue } from '../../core/fleet.js';
import type { Stage } from '../../core/stages.js';
import { assertNever } from '../../core/stages.js';
import { callOutcomeSignal, type StageRetry } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;

export type CallPipelineInput = {
  batchId: number;
  callId: number;
  stages: Stage[];
  /** The batch workflow that gets this call's stage reports (live progress), by id. */
  parentWorkflowId: string;
  /** The deployment's task-queue prefix: GPU and LLM queues are named from it. */
  prefix: string;
  /** How stage activities retry (STAGE_ATTEMPTS, STAGE_RETRY_MAX_MS); absent: 8 attempts, 30 s apart at most. */
  retry?: StageRetry;
};
export type CallPipelineOutput = { callId: number; ok: boolean; failedStage?: Stage };

const DEFAULT_RETRY: StageRetry = { attempts: 8, maxIntervalMs: 30_000 };

/**
 * Stage activities: a retryable failure (connection, timeout, 429, 5xx) is tried `attempts` times, 1 s, 2 s,
 * 4 s... apart up to `maxIntervalMs` (with the defaults, 8 times over about 90 s); then the call fails with
 * the last error, or a GPU stage moves to another node. Other failures fail at once.
 */
function stageRetry({ attempts, maxIntervalMs }: StageRetry) {
  return {
    initialInterval: Math.min(1000, maxIntervalMs),
    backoffCoefficient: 2,
    maximumInterval: maxIntervalMs,
    maximumAttempts: attempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_TYPES, 'unsupported_language'],
  };
}

/** Bookkeeping only touches the database: it retries until the database is back, however long that takes. */
const main = proxyLocalActivities<Activities['main']>({
  startToCloseTimeout: '2 minutes',
  retry: { ...stageRetry(DEFAULT_RETRY), maximumAttempts: undefined },
});

function audio(prefix: string, retry: StageRetry) {
  return proxyActivities<Activities['audio']>({
    taskQueue: audioQueue(prefix),
    startToCloseTimeout: '15 minutes',
    heartbeatTimeout: '30 seconds',
    // On cancel, wait until the activity has really stopped: its late result must not land after the
    // call was recorded as cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: stageRetry(retry),
  });
}

function gpu(prefix: string, retry: StageRetry, route: CallRoute, stage: 'lid' | 'stt') {
  return proxyActivities<Activities['gpu']>({
    taskQueue: gpuQueue(prefix, route.gpuNode),
    // STT of a long call takes minutes; the heartbeat notices a dead worker long before that.
    startToCloseTimeout: stage === 'stt' ? '30 minutes' : '3 minutes',
    heartbeatTimeout: '30 seconds',
    // On cancel, wait until the activity has really stopped: its late result must not land after the
    // call was recorded as cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: stageRetry(retry),
  });
}

function llm(prefix: string, retry: StageRetry, route: CallRoute) {
  return proxyActivities<Activities['llm']>({
    taskQueue: llmQueue(prefix, route.llmEndpoint),
    startToCloseTimeout: '10 minutes',
    heartbeatTimeout: '30 seconds',
    // On cancel, wait until the activity has really stopped: its late result must not land after the
    // call was recorded as cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: stageRetry(retry),
  });
}

export async function callPipeline(input: CallPipelineInput): Promise<CallPipelineOutput> {
  const { batchId, callId, stages } = input;
  const parent = getExternalWorkflowHandle(input.parentWorkflowId);

  let route: CallRoute | undefined;
  for (const [i, stage] of stages.entries()) {
    const ref = { batchId, callId };
    const last = i === stages.length - 1;
    try {
      if (stage === 'distribute') {
        route = await main.distributeCall({ ...ref, last });
      } else {
        route ??= await main.routeCall(ref);
        route = await runStage(input.prefix, input.retry ?? DEFAULT_RETRY, stage, { ...ref, route, last });
      }
      // Live progress for the batch, not awaited (it goes out with the next stage's command). The outcome
      // itself is this workflow's result, which the batch reads from its child: a lost report costs nothing.
      if (!last)
        parent.signal(callOutcomeSignal, { callId, stage, ok: true, final: false }).catch(() => undefined);
    } catch (err) {
      await CancellationScope.nonCancellable(() => main.recordCallFailure(describeFailure(ref, stage, err)));
      if (isCancellation(err)) throw err;
      return { callId, ok: false, failedStage: stage };
    }
  }
  return { callId, ok: true };
}

/** Failures that say the GPU node itself is unreachable (after every retry), not that the call is bad. */
const NODE_DOWN = new Set(['connection', 'timeout']);

/**
 * Runs a GPU stage on the call's node. When the node stops answering (its retries end in connection
 * errors or timeouts) the call moves to another node and the stage runs there; once every node was tried,
 * the last failure stands. Returns the route the call ends up on.
 */
async function onGpuNode(
  stage: 'lid' | 'stt',
  input: StageInput,
  run: (route: CallRoute) => Promise<void>,
): Promise<CallRoute> {
  let route = input.route;
  const tried = [route.gpuNode];
  for (;;) {
    try {
      await run(route);
      return route;
    } catch (err) {
      const cause = err instanceof ActivityFailure ? err.cause : undefined;
      if (!(cause instanceof ApplicationFailure) || !NODE_DOWN.has(cause.type ?? '')) throw err;
      const next = await main.redistributeCall({
        batchId: input.batchId,
        callId: input.callId,
        stage,
        tried,
        reason: `${cause.type}: ${cause.message}`,
      });
      if (!next) throw err;
      route = next;
      tried.push(next.gpuNode);
    }
  }
}

async function runStage(
  prefix: string,
  retry: StageRetry,
  stage: Stage,
  input: StageInput,
): Promise<CallRoute> {
  switch (stage) {
    case 'lid':
      return onGpuNode('lid', input, async (route) => {
        const lid = await gpu(prefix, retry, route, 'lid').runLid({ ...input, route });
        if (!lid.supported) {
          // A clear, recorded outcome rather than a crash: STT has no model for this language.
          throw ApplicationFailure.nonRetryable(
            `spoken language "${lid.lang}" is not one of the configured languages`,
            'unsupported_language',
          );
        }
      });
    case 'stt':
      return onGpuNode('stt', input, async (route) => {
        await gpu(prefix, retry, route, 'stt').runStt({ ...input, route });
      });
    case 'llm1':
      await llm(prefix, retry, input.route).runLlm1(input);
      return input.route;
    case 'llm2':
      await llm(prefix, retry, input.route).runLlm2(input);
      return input.route;
    case 'denoise':
    case 'ivr':
      await audio(prefix, retry).runAudioStage({ ...input, stage });
      return input.route;
    case 'redact':
      throw new Error('redact came after this workflow shape: none of its batches lists it');
    case 'distribute':
      throw new Error('distribute is not a routed stage');
    default:
      assertNever(stage);
  }
}

function describeFailure(ref: { batchId: number; callId: number }, stage: Stage, err: unknown) {
  const cause = err instanceof ActivityFailure ? err.cause : err;
  const failure = cause instanceof ApplicationFailure ? cause : undefined;
  const cancelled = isCancellation(err);
  return {
    ...ref,
    stage,
    errorType: cancelled ? 'cancelled' : (failure?.type ?? (cause as Error)?.name ?? 'error'),
    message: cancelled ? 'cancelled before the stage finished' : ((cause as Error)?.message ?? String(err)),
    context: failureContext(failure),
  };
}
