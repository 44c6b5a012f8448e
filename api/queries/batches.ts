// Reads behind the batch endpoints and pages: list, one batch with its stage timings, events, failures, calls.
import { and, asc, desc, eq, gt, inArray, lt, type SQL } from 'drizzle-orm';
import { metadataView } from '../../core/callMetadata.js';
import { type Progress, stageStatus } from '../../core/progress.js';
import { type BatchKind, type BatchStatus, eventStageName, STAGES, type Stage } from '../../core/stages.js';
import type { Db } from '../../drizzle/client.js';
import {
  analysis,
  type BatchRow,
  batchExecutionLog,
  batchStatus,
  call,
  processingLogs,
  reauditCall,
} from '../../drizzle/schema/index.js';
import { callTotals, ledgerProgressOf } from '../../lifecycle/ledger.js';
import { batchView, temporalUrl } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import type { BatchDetail, BatchEvent, BatchSummary, CallSummary, Failure } from '../schemas.js';
import type { TemporalLinks } from '../temporalLinks.js';

const iso = (d: Date) => d.toISOString();
const isoOrNull = (d: Date | null) => (d ? d.toISOString() : null);

export type Page<T> = { items: T[]; next: number | null };
const page = <T>(rows: T[], limit: number, key: (row: T) => number): Page<T> => ({
  items: rows.slice(0, limit),
  next: rows.length > limit ? key(rows[limit - 1] as T) : null,
});

export async function findBatch(db: Db, id: number): Promise<BatchRow> {
  const [row] = await db.select().from(batchStatus).where(eq(batchStatus.id, id));
  if (!row) throw new ApiError('not_found', `no batch with id ${id}`);
  return row;
}

export type BatchFilter = { kind?: BatchKind; status?: BatchStatus; limit: number; before?: number };

/** Newest first, each with its progress from the ledger (one GROUP BY for the page). */
export async function listBatches(deps: ApiDeps, filter: BatchFilter): Promise<Page<BatchSummary>> {
  const where: SQL[] = [];
  if (filter.kind) where.push(eq(batchStatus.kind, filter.kind));
  if (filter.status) where.push(eq(batchStatus.status, filter.status));
  if (filter.before) where.push(lt(batchStatus.id, filter.before));
  const rows = await deps.database.db
    .select()
    .from(batchStatus)
    .where(and(...where))
    .orderBy(desc(batchStatus.id))
    .limit(filter.limit + 1);
  const { items, next } = page(rows, filter.limit, (r) => r.id);
  const progress = await ledgerProgressOf(
    deps.database.db,
    items.map((r) => ({ ...r, stages: r.stages as Stage[] })),
  );
  return { items: items.map((row) => batchSummary(deps, row, progress.get(row.id)!)), next };
}

export function batchSummary(deps: ApiDeps, row: BatchRow, progress: Progress): BatchSummary {
  const stages = STAGES.filter((s) => (row.stages as string[]).includes(s));
  const totals = callTotals(progress, stages);
  return {
    batch_id: row.id,
    task_id: row.taskId,
    kind: row.kind,
    status: row.status,
    batch_date: row.batchDate,
    process_id: row.processId,
    category_mapping_id: row.categoryMappingId,
    stages,
    total_files: row.totalFiles,
    completed: totals.completed,
    no_speech: totals.noSpeech,
    failed: totals.failed,
    cancelled: totals.cancelled,
    stage_status: Object.fromEntries(
      stages.map((s) => [s, row.status === 'Pending' ? 'Pending' : stageStatus(progress[s]!)]),
    ),
    progress,
    created_at: iso(row.createdAt),
    started_at: isoOrNull(row.startedAt),
    completed_at: isoOrNull(row.completedAt),
    workflow_id: row.workflowId,
    temporal_url: temporalUrl(deps, row),
  };
}

/** batchView (live while it runs) plus when each stage started and finished, from the event log. */
export async function batchDetail(deps: ApiDeps, row: BatchRow): Promise<BatchDetail> {
  const view = await batchView(deps, row);
  const marks = await deps.database.db
    .select({
      stage: batchExecutionLog.stage,
      type: batchExecutionLog.eventType,
      at: batchExecutionLog.createdAt,
    })
    .from(batchExecutionLog)
    .where(
      and(
        eq(batchExecutionLog.batchId, row.id),
        inArray(batchExecutionLog.eventType, ['stage_start', 'stage_complete']),
      ),
    );
  const timings = Object.fromEntries(
    (row.stages as Stage[]).map((stage) => {
      const name = eventStageName(stage);
      const start = marks.find((m) => m.stage === name && m.type === 'stage_start')?.at ?? null;
      const end = marks.find((m) => m.stage === name && m.type === 'stage_complete')?.at ?? null;
      const seconds = start && end ? (end.getTime() - start.getTime()) / 1000 : null;
      return [stage, { started_at: isoOrNull(start), completed_at: isoOrNull(end), seconds }];
    }),
  );
  return {
    ...view,
    stage_status: view.stage_status as Record<string, string>,
    details: view.details as Record<string, unknown> | null,
    created_at: iso(view.created_at),
    started_at: isoOrNull(view.started_at),
    completed_at: isoOrNull(view.completed_at),
    stage_timings: timings,
  };
}

/** The event log, oldest first; `after` is the last event id already seen (for polling). */
export async function batchEvents(
  db: Db,
  batchId: number,
  after: number,
  limit: number,
): Promise<Page<BatchEvent>> {
  const rows = await db
    .select()
    .from(batchExecutionLog)
    .where(and(eq(batchExecutionLog.batchId, batchId), gt(batchExecutionLog.id, after)))
    .orderBy(asc(batchExecutionLog.id))
    .limit(limit + 1);
  const { items, next } = page(rows, limit, (r) => r.id);
  return {
    next,
    items: items.map((e) => ({
      id: e.id,
      stage: e.stage,
      event_type: e.eventType,
      status: e.status,
      message: e.message,
      call_id: e.callId,
      total_files: e.totalFiles,
      successful_files: e.successfulFiles,
      failed_files: e.failedFiles,
      metadata: e.metadata ?? null,
      created_at: iso(e.createdAt),
    })),
  };
}

/** processing_logs of a batch (its `batch_id` is a string, as in the predecessor), with the failed request. */
export async function batchFailures(
  db: Db,
  batchId: number,
  after: number,
  limit: number,
  temporal: TemporalLinks,
): Promise<Page<Failure>> {
  const rows = await db
    .select()
    .from(processingLogs)
    .where(and(eq(processingLogs.batchId, String(batchId)), gt(processingLogs.id, after)))
    .orderBy(asc(processingLogs.id))
    .limit(limit + 1);
  const { items, next } = page(rows, limit, (r) => r.id);
  return {
    next,
    items: items.map((f) => ({
      id: f.id,
      call_id: /^\d+$/.test(f.callId) ? Number(f.callId) : null,
      audio_name: f.audioName,
      stage: f.stageName,
      status: f.status,
      error_type: f.errorType,
      error_message: f.errorMessage,
      request_url: f.requestUrl,
      input_payload: parsePayload(f.inputPayload),
      attempts: f.attempts,
      created_at: iso(f.createdAt),
      temporal_url: /^\d+$/.test(f.callId) ? temporal.callInBatch(batchId, Number(f.callId)) : null,
    })),
  };
}

function parsePayload(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A batch's calls in id order: its own, or for a reaudit the calls it covers. */
export async function batchCalls(
  db: Db,
  batch: BatchRow,
  after: number,
  limit: number,
): Promise<Page<CallSummary>> {
  const base = db
    .select({ call, category: analysis.category, subCategory: analysis.subCategory })
    .from(call)
    .leftJoin(analysis, eq(analysis.callId, call.id));
  const rows =
    batch.kind === 'reaudit'
      ? await base
          .innerJoin(reauditCall, eq(reauditCall.callId, call.id))
          .where(and(eq(reauditCall.batchId, batch.id), gt(call.id, after)))
          .orderBy(asc(call.id))
          .limit(limit + 1)
      : await base
          .where(and(eq(call.batchId, batch.id), gt(call.id, after)))
          .orderBy(asc(call.id))
          .limit(limit + 1);
  const { items, next } = page(rows, limit, (r) => r.call.id);
  return { next, items: items.map((r) => callSummary(r.call, r.category, r.subCategory)) };
}

export function callSummary(
  c: typeof call.$inferSelect,
  category: string | null,
  subCategory: string | null,
): CallSummary {
  return {
    call_id: c.id,
    batch_id: c.batchId,
    audio_name: c.audioName,
    status: c.status,
    stage: c.stage,
    lang: c.lang,
    score: c.auditScore,
    // Only with a score: a reaudit that re-runs llm2 clears the score first, and the flag is that score's.
    critical_failure: c.auditScore === null ? null : (c.criticalFailure ?? null),
    skip_reason: c.skipReason ?? null,
    failed_stage: c.failedStage,
    error_message: c.errorMessage,
    duration: c.audioDuration,
    gpu_node: c.gpuNode,
    category,
    sub_category: subCategory,
    ...metadataView(c),
    updated_at: iso(c.updatedAt),
  };
}
