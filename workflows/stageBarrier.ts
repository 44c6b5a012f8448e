// The predecessor's way, kept to measure against (`npm run bench`): every call finishes a stage before any
// call starts the next one. Not used by the API.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../activities/index.js';
import type { Stage } from '../core/stages.js';
import { type BatchRunState, initialState, runBatch } from './batchRunner.js';
import type { BatchSettings, BatchSnapshot } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
const main = proxyActivities<Activities['main']>({ startToCloseTimeout: '2 minutes' });

export type StageBarrierInput = BatchSettings & {
  batchId: number;
  stages: Stage[];
  /** Which stage is running, and its batch state, when continuing as new. */
  stageIndex?: number;
  state?: BatchRunState;
};

export async function stageBarrierBatch(input: StageBarrierInput): Promise<BatchSnapshot> {
  let result: BatchSnapshot | undefined;
  let total = input.state?.total;
  if (total === undefined)
    total = (await main.startBatch({ batchId: input.batchId, runId: workflowInfo().runId })).total;
  for (let i = input.stageIndex ?? 0; i < input.stages.length; i++) {
    const stage = input.stages[i]!;
    let state = i === input.stageIndex ? input.state : undefined;
    if (!state) {
      state = initialState(input.batchId, 'audit', [stage], total, input);
      state.childTag = stage;
    }
    result = await runBatch(state, (next) =>
      continueAsNew<typeof stageBarrierBatch>({ ...input, stageIndex: i, state: next }),
    );
  }
  if (!result) throw new Error('no stages');
  return result;
}
