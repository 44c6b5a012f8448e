// The daily batch of one date: ingest the day's recordings (a day run again adds only new ones and resumes
// the rest), then the same call workflows as an audit, with the optional audio clean-up stages before LID.
// Its workflow id is the date's: a scheduled and an on-demand run of one day are one workflow.
import { continueAsNew, setHandler, workflowInfo } from '@temporalio/workflow';
import { type BatchResult, BatchRun, type BatchRunState, bookkeeping } from './batchRun.js';
import { type BatchSettings, callSettledSignal, cancelSignal, stateQuery } from './definitions.js';

export type DailyBatchInput = BatchSettings & {
  /** The day to process (YYYY-MM-DD). */
  date: string;
  /** Folder under DAILY_DIR to read instead of `<date>/`. */
  folder?: string;
  audioStages: ('denoise' | 'ivr')[];
  state?: BatchRunState;
};

/** What a day's workflow carries in its memo: an on-demand request joins a running day only if they agree. */
export type DailyMemo = { date: string; folder: string | null; audioStages: string[] };

export async function dailyBatchV2(input: DailyBatchInput): Promise<BatchResult> {
  const run = new BatchRun('daily', input.state);
  setHandler(cancelSignal, run.cancel);
  setHandler(callSettledSignal, run.settle);
  setHandler(stateQuery, run.view);

  return run.execute(async () => {
    if (!run.state) {
      const opened = await bookkeeping.ingestDay({
        date: input.date,
        ...(input.folder !== undefined && { folder: input.folder }),
        audioStages: input.audioStages,
        workflowId: workflowInfo().workflowId,
        runId: workflowInfo().firstExecutionRunId,
      });
      run.begin(opened, input);
    }
    await run.runCalls((next) => continueAsNew<typeof dailyBatchV2>({ ...input, state: next }));
  });
}
