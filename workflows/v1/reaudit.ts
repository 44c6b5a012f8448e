// A reaudit: reset the chosen results of named calls, then re-run those stages (and the ones that depend
// on them) as a tracked batch; a `cancel` signal stops it and the bookkeeping still runs.
import {
  CancellationScope,
  ContinueAsNew,
  continueAsNew,
  proxyActivities,
  workflowInfo,
} from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import type { ReauditStage } from '../../core/stages.js';
import { type BatchRunState, initialState, runBatch } from './batchRunner.js';
import type { BatchSettings, BatchSnapshot } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
const main = proxyActivities<Activities['main']>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '1 second', maximumInterval: '30 seconds' },
});

export type ReauditInput = BatchSettings & {
  batchId: number;
  /** The stages to re-run, in order, downstream stages included. */
  stages: ReauditStage[];
  state?: BatchRunState;
};

export async function reaudit(input: ReauditInput): Promise<BatchSnapshot> {
  let state = input.state;
  if (!state) {
    // Clean first: while the batch is Pending its old flags are not mistaken for progress.
    await main.cleanupForReaudit({ batchId: input.batchId, stages: input.stages });
    const { total } = await main.startBatch({ batchId: input.batchId, runId: workflowInfo().runId });
    state = initialState(input.batchId, 'reaudit', input.stages, total, input);
  }
  const release = () =>
    CancellationScope.nonCancellable(() => main.releaseCallLocks({ batchId: input.batchId }));
  let result: BatchSnapshot;
  try {
    result = await runBatch(state, (next) => continueAsNew<typeof reaudit>({ ...input, state: next }), {
      cancellable: true,
    });
  } catch (err) {
    // The locks outlive a continue-as-new; any other way out frees the calls.
    if (!(err instanceof ContinueAsNew)) await release();
    throw err;
  }
  // finishBatch released the locks with the final status.
  return result;
}
