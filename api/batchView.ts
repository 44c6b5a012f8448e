// The status of a batch as the API shows it: live from the workflow's query while it runs, else from the
// tables (the same numbers: the query counts what the stage activities wrote).
import { WorkflowNotFoundError } from '@temporalio/client';
import { eq } from 'drizzle-orm';
import { progressFromRows } from '../activities/batchRows.js';
import { emptyProgress, type Progress, stageStatus, withCancelled } from '../core/progress.js';
import { BATCH_STATUS_COLUMN, isTerminal, STAGES, type Stage } from '../core/stages.js';
import { type BatchRow, batchStatus } from '../drizzle/schema/index.js';
import { progressQuery } from '../workflows/definitions.js';
import type { ApiDeps } from './deps.js';
import { ApiError, quoted } from './errors.js';

export async function findBatchByTask(
  deps: ApiDeps,
  taskId: string,
  kind: BatchRow['kind'],
): Promise<BatchRow> {
  const [row] = await deps.database.db.select().from(batchStatus).where(eq(batchStatus.taskId, taskId));
  if (!row || row.kind !== kind) throw new ApiError('not_found', `no ${kind} task with id ${quoted(taskId)}`);
  return row;
}

/**
 * A batch's progress from the database: as its workflow counted it once it ended (stored by finishBatch),
 * else counted from the rows.
 */
export async function batchProgress(deps: ApiDeps, batch: BatchRow): Promise<Progress> {
  const stages = batch.stages as Stage[];
  // A pending reaudit's calls still carry the flags of their earlier run: nothing of this batch is done yet.
  if (batch.status === 'Pending') return emptyProgress(stages, batch.totalFiles);
  const stored = (batch.details as { progress?: Progress } | null)?.progress;
  if (!isTerminal(batch.status) || !stored) return progressFromRows(deps.database.db, batch.id, stages);
  return withCancelledCounts(stored);
}

/** Progress counted before `cancelled` existed (stored, or from a workflow of an older worker). */
function withCancelledCounts(progress: Progress): Progress {
  return Object.fromEntries(
    Object.entries(progress).map(([stage, count]) => [stage, count && withCancelled(count)]),
  ) as Progress;
}

async function liveSnapshot(deps: ApiDeps, batch: BatchRow) {
  try {
    const handle = deps.temporal.workflow.getHandle(batch.workflowId);
    const snapshot = await deps.temporal.withDeadline(Date.now() + 3000, () => handle.query(progressQuery));
    return snapshot.batchId === batch.id ? snapshot : null;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) {
      // No worker to answer, or Temporal down: the tables still answer.
    }
    return null;
  }
}

export function temporalUrl(deps: ApiDeps, batch: BatchRow): string {
  const ns = encodeURIComponent(deps.config.TEMPORAL_NAMESPACE);
  const id = encodeURIComponent(batch.workflowId);
  return `${deps.config.TEMPORAL_UI_URL}/namespaces/${ns}/workflows/${id}${batch.runId ? `/${batch.runId}` : ''}`;
}

export async function batchView(deps: ApiDeps, batch: BatchRow) {
  const finished = isTerminal(batch.status);
  const snapshot = finished ? null : await liveSnapshot(deps, batch);
  const progress = snapshot ? withCancelledCounts(snapshot.progress) : await batchProgress(deps, batch);
  const stages = batch.stages as Stage[];
  return {
    task_id: batch.taskId,
    batch_id: batch.id,
    kind: batch.kind,
    status: batch.status,
    source: snapshot ? 'workflow' : 'database',
    batch_date: batch.batchDate,
    process_id: batch.processId,
    category_mapping_id: batch.categoryMappingId,
    total_files: batch.totalFiles,
    completed: snapshot?.completed ?? batch.completedFiles,
    failed: snapshot?.failed ?? batch.failedFiles,
    cancelled: snapshot?.cancelled ?? batch.cancelledFiles,
    in_flight: snapshot?.inFlight ?? 0,
    progress,
    stage_status: Object.fromEntries(
      STAGES.filter((s) => stages.includes(s)).map((s) => [
        s,
        snapshot ? stageStatus(progress[s]!) : batch[BATCH_STATUS_COLUMN[s]],
      ]),
    ),
    details: batch.details ? { ...(batch.details as object), progress: undefined } : null,
    created_at: batch.createdAt,
    started_at: batch.startedAt,
    completed_at: batch.completedAt,
    workflow_id: batch.workflowId,
    temporal_url: temporalUrl(deps, batch),
  };
}
