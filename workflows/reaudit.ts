// A reaudit: delete the chosen results of named calls, then re-run those stages (and the stages computed from
// them) as a tracked batch. A cancel is heard from the first moment: during the clean-up it stops between two
// tables, so each call keeps a consistent prefix of its results and nothing is half deleted.
import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { type BatchResult, BatchRun, type BatchRunState, bookkeeping } from './batchRun.js';
import { type BatchSettings, callSettledSignal, cancelSignal, stateQuery } from './definitions.js';

export type ReauditInput = BatchSettings & {
  batchId: number;
  state?: BatchRunState;
};

export async function reauditV2(input: ReauditInput): Promise<BatchResult> {
  const run = new BatchRun('reaudit', input.state);
  setHandler(cancelSignal, run.cancel);
  setHandler(callSettledSignal, run.settle);
  setHandler(stateQuery, run.view);

  return run.execute(async () => {
    if (!run.state) {
      const opened = await bookkeeping.openBatch({
        batchId: input.batchId,
        kind: 'reaudit',
        runId: workflowInfo().firstExecutionRunId,
      });
      const state = run.begin(opened, input);
      run.setPhase('cleaning');
      // Results computed last go first: stopped between two tables, no call keeps an answer computed from a
      // transcript that is gone.
      for (const stage of [...state.stages].reverse()) {
        if (run.cancelRequested) break;
        await bookkeeping.cleanupStage({ batch: { batchId: state.batchId, attempt: state.attempt }, stage });
      }
    }
    await run.runCalls((next) => continueAsNew<typeof reauditV2>({ ...input, state: next }));
  });
}
