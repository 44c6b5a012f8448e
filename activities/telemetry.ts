// Wraps stage activities so each attempt is logged with its ids and measured (duration, in flight per
// node, failures by error class) without the stages knowing about it.
import { Context } from '@temporalio/activity';
import { instrumentStage, type Telemetry } from '../core/instrument.js';
import type { CallRoute } from './types.js';

type StageArgs = { batchId: number; callId: number; route?: CallRoute; stage?: string };

export function observed<I extends StageArgs, O>(
  telemetry: Telemetry | undefined,
  stage: string,
  node: (input: I) => string,
  run: (input: I) => Promise<O>,
): (input: I) => Promise<O> {
  if (!telemetry?.logger && !telemetry?.metrics) return run;
  return (input) => {
    const info = Context.current().info;
    return instrumentStage(
      telemetry,
      {
        batchId: input.batchId,
        callId: input.callId,
        stage: input.stage ?? stage,
        node: node(input),
        workflowId: info.workflowExecution?.workflowId,
        attempt: info.attempt,
      },
      () => run(input),
    );
  };
}
