// Deep links into the Temporal Web UI: a batch's current run, a call's workflows, the workflows of one call in
// one batch. Built from ids and search attributes alone (no request to Temporal per link).
import type { Config } from '../core/config.js';
import { isTerminal } from '../core/stages.js';
import type { BatchRow } from '../drizzle/schema/index.js';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';

export type TemporalLinks = ReturnType<typeof temporalLinks>;

export function temporalLinks(
  config: Pick<Config, 'TEMPORAL_UI_URL' | 'TEMPORAL_NAMESPACE' | 'COFI_TASK_QUEUE'>,
) {
  const base = `${config.TEMPORAL_UI_URL.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(config.TEMPORAL_NAMESPACE)}/workflows`;
  // Ids are this deployment's (its workflow ids start with its prefix): a namespace may hold another
  // deployment's, or an earlier database's, workflows with the same batch and call numbers.
  const own = `WorkflowId STARTS_WITH ${JSON.stringify(`${config.COFI_TASK_QUEUE}/`)}`;
  /** The Web UI's workflow list, filtered by a visibility query (newest first). */
  const list = (query: string) => `${base}?query=${encodeURIComponent(`${own} AND ${query}`)}`;
  const batchId = SEARCH_ATTRIBUTES.batchId.name;
  const callId = SEARCH_ATTRIBUTES.callId.name;
  return {
    /**
     * A batch's current run. Without a run id the Web UI opens the workflow id's latest run: a batch that
     * continued as new, or a day run again, is shown as it is now. An ended audit upload keeps its own first run:
     * every upload shares one workflow id, so the latest run may be a later upload's.
     */
    batch(batch: Pick<BatchRow, 'workflowId' | 'runId' | 'kind' | 'status'>): string {
      const workflow = `${base}/${encodeURIComponent(batch.workflowId)}`;
      const pinned = batch.kind === 'audit' && isTerminal(batch.status) && batch.runId;
      return pinned ? `${workflow}/${batch.runId}` : workflow;
    },
    /** Every workflow that ran a call, in any batch (its upload, days run again, reaudits). */
    call: (id: number) => list(`${callId} = ${id}`),
    /** The workflows of one call in one batch (one per attempt of the batch): where a failure happened. */
    callInBatch: (batch: number, call: number) => list(`${batchId} = ${batch} AND ${callId} = ${call}`),
    /** The batch's call workflows (and the batch's own runs), to find the ones still running. */
    batchWorkflows: (batch: number) => list(`${batchId} = ${batch}`),
  };
}
