// A batch workflow writes its final status a moment before it closes. Starting the next one in that moment
// would meet a workflow-id conflict, so callers wait for the close instead of answering 409.
import { WorkflowNotFoundError } from '@temporalio/client';
import { isTerminal } from '../core/stages.js';
import type { ApiDeps } from './deps.js';
import { ApiError, describeError } from './errors.js';

/**
 * Whether the workflow `workflowId` is running for real. One whose batch (`batchStatusOf` tells its status)
 * is already final is only closing: this waits up to 5 s for it and answers from the state after that.
 */
export async function workflowBusy(
  deps: ApiDeps,
  workflowId: string,
  batchStatusOf: (memo: Record<string, unknown>) => Promise<string | undefined>,
): Promise<boolean> {
  try {
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return false;
    const status = await batchStatusOf((description.memo ?? {}) as Record<string, unknown>);
    if (!status || !isTerminal(status)) return true;
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw new ApiError('unavailable', `Temporal is not reachable: ${describeError(err)}`);
  }
}
