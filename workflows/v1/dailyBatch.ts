// The daily batch: ingest the day's recordings, then the same per-call children as an audit, with the
// optional audio clean-up stages (denoise, ivr) before LID. Run by a Temporal Schedule or on demand.
import { continueAsNew, proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { orderStages, type Stage } from '../../core/stages.js';
import { type BatchRunState, initialState, runBatch } from './batchRunner.js';
import type { BatchSettings, BatchSnapshot } from './definitions.js';

type Activities = ReturnType<typeof createActivities>;
const main = proxyActivities<Activities['main']>({ startToCloseTimeout: '30 minutes' });

export type DailyBatchInput = BatchSettings & {
  /** The day to process (YYYY-MM-DD); absent: `dayOffset` days before the run (the schedule uses 1). */
  date?: string;
  dayOffset?: number;
  /** Folder under DAILY_DIR to read instead of `<date>/`. */
  folder?: string;
  audioStages: ('denoise' | 'ivr')[];
  state?: BatchRunState;
};

export async function dailyBatch(input: DailyBatchInput): Promise<BatchSnapshot> {
  let state = input.state;
  if (!state) {
    // Date.now() is deterministic in a workflow: the time of the current workflow task, replayed as recorded.
    const date =
      input.date ?? new Date(Date.now() - (input.dayOffset ?? 1) * 86_400_000).toISOString().slice(0, 10);
    const stages = orderStages<Stage>(['distribute', ...input.audioStages, 'lid', 'stt', 'llm1', 'llm2']);
    const { batchId } = await main.ingestDaily({
      batchDate: date,
      folder: input.folder,
      stages,
      workflowId: workflowInfo().workflowId,
      runId: workflowInfo().runId,
    });
    const { total } = await main.startBatch({ batchId, runId: workflowInfo().runId });
    state = initialState(batchId, 'daily', stages, total, input);
    input = { ...input, date };
  }
  return runBatch(state, (next) => continueAsNew<typeof dailyBatch>({ ...input, state: next }));
}
