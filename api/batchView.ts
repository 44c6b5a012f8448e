// The status of a batch as the API shows it: always counted from the ledger (one GROUP BY), whether its
// workflow runs, has ended or is unreachable; the batch row says its status and how it ended.
import { eq } from 'drizzle-orm';
import { stageStatus } from '../core/progress.js';
import { isTerminal, STAGES, type Stage } from '../core/stages.js';
import { type BatchRow, batchStatus } from '../drizzle/schema/index.js';
import { callTotals, ledgerProgress } from '../lifecycle/ledger.js';
import type { ApiDeps } from './deps.js';
import { ApiError, quoted } from './errors.js';
import { temporalLinks } from './temporalLinks.js';

export async function findBatchByTask(
  deps: ApiDeps,
  taskId: string,
  kind: BatchRow['kind'],
): Promise<BatchRow> {
  const [row] = await deps.database.db.select().from(batchStatus).where(eq(batchStatus.taskId, taskId));
  if (!row || row.kind !== kind) throw new ApiError('not_found', `no ${kind} task with id ${quoted(taskId)}`);
  return row;
}

/** A batch's progress and call counts, from its ledger. */
export async function batchProgress(deps: ApiDeps, batch: BatchRow) {
  const stages = batch.stages as Stage[];
  const progress = await ledgerProgress(deps.database.db, { ...batch, stages });
  return { stages, progress, totals: callTotals(progress, stages) };
}

/** The batch's current run in the Temporal Web UI (api/temporalLinks.ts says how). */
export function temporalUrl(deps: ApiDeps, batch: BatchRow): string {
  return temporalLinks(deps.config).batch(batch);
}

/** How a batch ended, when it has (`details.exit`, written with its final status). */
export function exitOf(batch: BatchRow): { status: string; reason: string | null } | null {
  const exit = (batch.details as { exit?: { status?: string; reason?: string | null } } | null)?.exit;
  return exit?.status ? { status: exit.status, reason: exit.reason ?? null } : null;
}

/**
 * A day that ended and is being run again: its workflow runs, but has not opened the batch yet (the batch still
 * shows the run before). Read from Temporal, only for ended days.
 */
async function dayRunQueued(deps: ApiDeps, batch: BatchRow): Promise<boolean> {
  if (batch.kind !== 'daily' || !isTerminal(batch.status)) return false;
  try {
    const d = await deps.temporal.workflow.getHandle(batch.workflowId).describe();
    return d.status.name === 'RUNNING' && d.raw.workflowExecutionInfo?.firstRunId !== batch.runId;
  } catch {
    return false;
  }
}

export async function batchView(deps: ApiDeps, batch: BatchRow) {
  const { stages, progress, totals } = await batchProgress(deps, batch);
  // A day run again reads Pending until its new run opens it, not the end of the run before.
  const status = (await dayRunQueued(deps, batch)) ? 'Pending' : batch.status;
  const ended = isTerminal(status);
  const { exit: _exit, progress: _stored, ...details } = (batch.details ?? {}) as Record<string, unknown>;
  return {
    task_id: batch.taskId,
    batch_id: batch.id,
    kind: batch.kind,
    status,
    source: 'ledger' as const,
    batch_date: batch.batchDate,
    process_id: batch.processId,
    category_mapping_id: batch.categoryMappingId,
    total_files: batch.totalFiles,
    completed: totals.completed,
    no_speech: totals.noSpeech,
    failed: totals.failed,
    cancelled: totals.cancelled,
    in_flight: ended ? 0 : totals.inFlight,
    progress,
    stage_status: Object.fromEntries(
      STAGES.filter((s) => stages.includes(s)).map((s) => [
        s,
        status === 'Pending' ? 'Pending' : stageStatus(progress[s]!),
      ]),
    ),
    exit_reason: exitOf(batch)?.reason ?? null,
    attempt: batch.attempt,
    details: batch.details ? details : null,
    created_at: batch.createdAt,
    started_at: batch.startedAt,
    completed_at: batch.completedAt,
    workflow_id: batch.workflowId,
    temporal_url: temporalUrl(deps, batch),
    temporal_workflows_url: temporalLinks(deps.config).batchWorkflows(batch.id),
  };
}
