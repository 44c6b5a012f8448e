// One call through the stages it still has to run, each on the task queue the stage registry names (a GPU
// stage on the queue of the node the call was distributed to). The stage activities write the ledger; the
// call reports its end to its batch once, by signal, so any run of the batch hears it.
import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  TimeoutFailure,
} from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { CallRoute, StageInput } from '../activities/types.js';
import type { CallEnd } from '../core/batchWindow.js';
import { failureContext, NON_RETRYABLE_TYPES } from '../core/errors.js';
import { audioQueue, gpuQueue, llmQueue } from '../core/fleet.js';
import { assertNever, STAGE_REGISTRY, type Stage } from '../core/stages.js';
import { callSettledSignal, type StageRetry } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
type StageActivities = Activities['gpu'] & Activities['llm'] & Activities['audio'];

export type CallPipelineInput = {
  batchId: number;
  /** The batch's attempt (a day run again is attempt 2): part of the event keys. */
  attempt: number;
  callId: number;
  /** Every stage of the batch: a call that stops counts once in each of them. */
  stages: Stage[];
  /** What this call still has to run, in order (a day run again skips what the call finished). */
  run: Stage[];
  route: CallRoute;
  /** The batch workflow this call reports to, by id (not run: the batch may have continued as new). */
  parentWorkflowId: string;
  /** The deployment's task-queue prefix: stage queues are named from it. */
  prefix: string;
  /** How stage activities retry (STAGE_ATTEMPTS, STAGE_RETRY_MAX_MS); absent: 8 attempts, 30 s apart at most. */
  retry?: StageRetry;
};

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

/**
 * The activities of a stage, on the queue and with the timeouts its registry entry gives. With `unpicked`, a
 * GPU or LLM request that waits in its queue past `retry.scheduleToStartMs` fails as not picked up (Temporal
 * does not retry that), and the call moves elsewhere.
 */
function stageActivities(
  prefix: string,
  retry: StageRetry,
  route: CallRoute,
  stage: Stage,
  unpicked: boolean,
) {
  const spec = STAGE_REGISTRY[stage];
  const runner = spec.runner;
  let taskQueue: string;
  switch (runner) {
    case 'gpu':
      taskQueue = gpuQueue(prefix, route.gpuNode);
      break;
    case 'llm':
      taskQueue = llmQueue(prefix, route.llmEndpoint);
      break;
    case 'audio':
      taskQueue = audioQueue(prefix);
      break;
    case 'batch':
      throw new Error(`${stage} is run by the batch, not by a call`);
    default:
      assertNever(runner);
  }
  return proxyActivities<StageActivities>({
    taskQueue,
    startToCloseTimeout: spec.startToClose,
    heartbeatTimeout: spec.heartbeat ?? undefined,
    ...(unpicked && runner !== 'audio' && retry.scheduleToStartMs
      ? { scheduleToStartTimeout: retry.scheduleToStartMs }
      : {}),
    // On cancel, wait until the activity has really stopped: its late result must not land after the call
    // was recorded as cancelled.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: stageRetry(retry),
  });
}

export async function callPipelineV2(input: CallPipelineInput): Promise<CallEnd> {
  const { batchId, callId } = input;
  const retry = input.retry ?? DEFAULT_RETRY;
  // Calls started before the schedule-to-start timeout existed have no scheduleToStartMs and replay as they ran.
  const unpicked = retry.scheduleToStartMs !== undefined && patched('schedule-to-start-reroute');
  let route = input.route;
  let end: CallEnd = 'completed';
  let current: Stage | undefined;
  let cancellation: unknown;
  try {
    for (const [i, stage] of input.run.entries()) {
      current = stage;
      route = await runStage(input.prefix, retry, unpicked, stage, {
        batchId,
        callId,
        route,
        last: i === input.run.length - 1,
      });
    }
  } catch (err) {
    const stage = current ?? input.run[0] ?? input.stages[0]!;
    await CancellationScope.nonCancellable(() =>
      main.recordCallFailure({
        ...describeFailure({ batchId, callId }, stage, err),
        attempt: input.attempt,
        stages: input.stages,
      }),
    );
    end = isCancellation(err) ? 'cancelled' : 'failed';
    if (end === 'cancelled') cancellation = err;
  }
  // The one report to the batch. A batch that has ended (or was terminated) no longer listens: nothing to do.
  await CancellationScope.nonCancellable(() =>
    getExternalWorkflowHandle(input.parentWorkflowId).signal(callSettledSignal, { batchId, callId, end }),
  ).catch(() => undefined);
  if (cancellation) throw cancellation;
  return end;
}

/** Failures that say the GPU node itself is unreachable (after every retry), not that the call is bad. */
const NODE_DOWN = new Set(['connection', 'timeout']);

/** The request waited in its queue past the schedule-to-start timeout: no worker took it. */
function notPickedUp(err: unknown): boolean {
  return (
    err instanceof ActivityFailure &&
    err.cause instanceof TimeoutFailure &&
    err.cause.timeoutType === 'SCHEDULE_TO_START'
  );
}

const notPickedUpReason = (id: string, retry: StageRetry) =>
  `not picked up from ${id}'s queue within ${Math.round((retry.scheduleToStartMs ?? 0) / 1000)} s`;

/**
 * Runs a GPU stage on the call's node. When the node stops answering (its retries end in connection
 * errors or timeouts) the call moves to another node and the stage runs there; once every node was tried,
 * the last failure stands. When no worker picks the request up in time (the node's agent is gone, or the
 * node left the fleet), the call moves to a node an agent serves; it fails only when none is served.
 * Returns the route the call ends up on.
 */
async function onGpuNode(
  stage: 'lid' | 'stt',
  input: StageInput,
  retry: StageRetry,
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
      const unpicked = notPickedUp(err);
      if (!unpicked && !(cause instanceof ApplicationFailure && NODE_DOWN.has(cause.type ?? ''))) throw err;
      const next = await main.redistributeCall({
        batchId: input.batchId,
        callId: input.callId,
        stage,
        tried,
        reason: unpicked
          ? notPickedUpReason(route.gpuNode, retry)
          : `${(cause as ApplicationFailure).type}: ${(cause as ApplicationFailure).message}`,
        ...(unpicked ? { unpicked: true } : {}),
      });
      if (!next) throw err;
      route = next;
      tried.push(next.gpuNode);
    }
  }
}

/**
 * Runs an LLM stage on the call's endpoint; when no worker picks the request up in time, the call moves to
 * an endpoint an agent serves (the same one when it is the only one served), and fails when none is.
 */
async function onLlmEndpoint(
  stage: 'llm1' | 'llm2',
  input: StageInput,
  retry: StageRetry,
  run: (route: CallRoute) => Promise<void>,
): Promise<CallRoute> {
  let route = input.route;
  for (let moves = 0; ; moves++) {
    try {
      await run(route);
      return route;
    } catch (err) {
      if (!notPickedUp(err)) throw err;
      const next = await main.rerouteLlm({
        batchId: input.batchId,
        callId: input.callId,
        stage,
        route,
        moves,
        reason: notPickedUpReason(route.llmEndpoint, retry),
      });
      if (!next) throw err;
      route = next;
    }
  }
}

async function runStage(
  prefix: string,
  retry: StageRetry,
  unpicked: boolean,
  stage: Stage,
  input: StageInput,
): Promise<CallRoute> {
  const on = (route: CallRoute) => stageActivities(prefix, retry, route, stage, unpicked);
  switch (stage) {
    case 'lid':
      return onGpuNode('lid', input, retry, async (route) => {
        const lid = await on(route).runLid({ ...input, route });
        if (!lid.supported) {
          // A clear, recorded outcome rather than a crash: STT has no model for this language. LID recorded
          // the language but not the stage as done, so the call counts once: failed at lid.
          throw ApplicationFailure.nonRetryable(
            `spoken language "${lid.lang}" is not one of the configured languages`,
            'unsupported_language',
          );
        }
      });
    case 'stt':
      return onGpuNode('stt', input, retry, async (route) => {
        await on(route).runStt({ ...input, route });
      });
    case 'llm1':
      return onLlmEndpoint('llm1', input, retry, async (route) => {
        await on(route).runLlm1({ ...input, route });
      });
    case 'llm2':
      return onLlmEndpoint('llm2', input, retry, async (route) => {
        await on(route).runLlm2({ ...input, route });
      });
    case 'denoise':
    case 'ivr':
      await on(input.route).runAudioStage({ ...input, stage });
      return input.route;
    // Only calls of batches that list the stage get here: histories recorded before it never schedule it.
    case 'redact':
      await on(input.route).runRedact(input);
      return input.route;
    case 'distribute':
      throw new Error('distribute is run by the batch when it admits the call');
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
