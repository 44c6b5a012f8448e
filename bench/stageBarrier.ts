// The predecessor's way, kept to measure against (`npm run bench`, never in the production bundle): every
// call finishes a stage before any call starts the next one. The same call workflows and window as cofi's
// batches, one stage at a time, over a batch whose calls were already distributed.
import { continueAsNew, setHandler } from '@temporalio/workflow';
import type { Stage } from '../core/stages.js';
import { BatchRun, type BatchRunState } from '../workflows/batchRun.js';
import { type BatchSettings, callSettledSignal } from '../workflows/definitions.js';

export type StageBarrierInput = BatchSettings & {
  batchId: number;
  attempt: number;
  stages: Stage[];
  /** Which stage is running, and its window, when continuing as new. */
  stageIndex?: number;
  state?: BatchRunState;
};

export async function stageBarrierBatch(input: StageBarrierInput): Promise<void> {
  let run: BatchRun | undefined;
  setHandler(callSettledSignal, (settled) => run?.settle(settled));
  for (let i = input.stageIndex ?? 0; i < input.stages.length; i++) {
    const stage = input.stages[i]!;
    run = new BatchRun('audit', i === input.stageIndex ? input.state : undefined);
    if (!run.state) {
      // Each stage runs a call in a workflow of its own: the one of the stage before may still be closing.
      run.begin({ batchId: input.batchId, attempt: input.attempt, stages: [stage] }, input).childTag = stage;
    }
    await run.runCalls((next) =>
      continueAsNew<typeof stageBarrierBatch>({ ...input, stageIndex: i, state: next }),
    );
  }
}
