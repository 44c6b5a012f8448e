// An audit upload: one batch of uploaded calls, each through its own call workflow. The API admitted the
// batch (rows, locks) and started this; from here on the workflow owns the batch until its final status.
import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { type BatchResult, BatchRun, type BatchRunState, bookkeeping } from './batchRun.js';
import { type BatchSettings, callSettledSignal, cancelSignal, stateQuery } from './definitions.js';

export type AuditUploadInput = BatchSettings & {
  batchId: number;
  /** Set when this run continues an earlier one. */
  state?: BatchRunState;
};

export async function auditUploadV2(input: AuditUploadInput): Promise<BatchResult> {
  const run = new BatchRun('audit', input.state);
  setHandler(cancelSignal, run.cancel);
  setHandler(callSettledSignal, run.settle);
  setHandler(stateQuery, run.view);

  return run.execute(async () => {
    if (!run.state) {
      const opened = await bookkeeping.openBatch({
        batchId: input.batchId,
        kind: 'audit',
        runId: workflowInfo().firstExecutionRunId,
      });
      run.begin(opened, input);
    }
    await run.runCalls((next) => continueAsNew<typeof auditUploadV2>({ ...input, state: next }));
  });
}
