// An audit upload: one batch of uploaded calls, each through its own callPipeline child.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import type { Stage } from '../../core/stages.js';
import { type BatchRunState, initialState, runBatch } from './batchRunner.js';
import type { BatchSettings, BatchSnapshot } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
const main = proxyActivities<Activities['main']>({ startToCloseTimeout: '2 minutes' });

export type AuditUploadInput = BatchSettings & {
  batchId: number;
  stages: Stage[];
  /** Set when this run continues an earlier one. */
  state?: BatchRunState;
};

export async function auditUpload(input: AuditUploadInput): Promise<BatchSnapshot> {
  let state = input.state;
  if (!state) {
    const { total } = await main.startBatch({ batchId: input.batchId, runId: workflowInfo().runId });
    state = initialState(input.batchId, 'audit', input.stages, total, input);
  }
  return runBatch(state, (next) => continueAsNew<typeof auditUpload>({ ...input, state: next }));
}
