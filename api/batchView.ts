// The status of a batch as the API shows it: live from the workflow's query while it runs, else from the
// tables (the same numbers: the query counts what the stage activities wrote).
import { WorkflowNotFoundError } from '@temporalio/client';
import { and, count, eq, inArray, sql } from 'drizzle-orm';
import { batchCallIds } from '../activities/batch.js';
import { emptyProgress, type Progress, stageStatus, withCancelled } from '../core/progress.js';
import { BATCH_STATUS_COLUMN, DONE_FLAG, isTerminal, STAGES, type Stage } from '../core/stages.js';
import { type BatchRow, batchStatus, call, fileDistribution } from '../drizzle/schema/index.js';
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

/** Progress counted from the rows: `fileDistribution` flags for done, `call.failedStage` for failed. */
export async function progressFromTables(deps: ApiDeps, batch: BatchRow): Promise<Progress> {
  const db = deps.database.db;
  const stages = batch.stages as Stage[];
  const ids = await batchCallIds(db, batch.id);
  const progress = emptyProgress(stages, ids.length);
  // A pending reaudit's calls still carry the flags of their earlier run: nothing of this batch is done yet.
  if (ids.length === 0 || batch.status === 'Pending') return progress;
  const flagSums = Object.fromEntries(
    stages.map((s) => {
      const flag = DONE_FLAG[s];
      return [s, flag ? sql<number>`COALESCE(SUM(${fileDistribution[flag]}), 0)` : count()];
    }),
  );
  const [done] = await db
    .select(flagSums)
    .from(fileDistribution)
    .where(inArray(fileDistribution.callId, ids));
  // A cancelled call counts as cancelled in every stage whose flag it has not set.
  const cancelledSums = Object.fromEntries(
    stages.map((s) => {
      const flag = DONE_FLAG[s];
      return [s, flag ? sql<number>`COALESCE(SUM(1 - ${fileDistribution[flag]}), 0)` : sql<number>`0`];
    }),
  );
  const [cancelled] = await db
    .select(cancelledSums)
    .from(fileDistribution)
    .innerJoin(call, eq(call.id, fileDistribution.callId))
    .where(and(inArray(fileDistribution.callId, ids), eq(call.status, 'Cancelled')));
  const failed = await db
    .select({ stage: call.failedStage, n: count() })
    .from(call)
    .where(and(inArray(call.id, ids), eq(call.status, 'Failed')))
    .groupBy(call.failedStage);
  for (const stage of stages) {
    const c = progress[stage]!;
    c.done = Number((done as Record<string, unknown> | undefined)?.[stage] ?? 0);
    c.failed = failed.find((f) => f.stage === stage)?.n ?? 0;
    c.skipped = failed
      .filter(
        (f) => f.stage && stages.indexOf(f.stage) >= 0 && stages.indexOf(f.stage) < stages.indexOf(stage),
      )
      .reduce((sum, f) => sum + f.n, 0);
    c.cancelled = Number((cancelled as Record<string, unknown> | undefined)?.[stage] ?? 0);
  }
  return progress;
}

/**
 * A batch's progress from the database: as its workflow counted it once it ended (stored by finishBatch),
 * else counted from the rows.
 */
export async function batchProgress(deps: ApiDeps, batch: BatchRow): Promise<Progress> {
  const stored = (batch.details as { progress?: Progress } | null)?.progress;
  if (!isTerminal(batch.status) || !stored) return progressFromTables(deps, batch);
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
