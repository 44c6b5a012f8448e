// Admission: how a batch comes to be. Rows (batch, calls, call locks) in one transaction, then the workflow's
// start. The rows are rolled back only when the start definitely did not happen; once it did, the workflow
// owns the batch (it records every way it ends), so nothing here writes to a started batch again.
import { type Client, WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { and, desc, eq, inArray, isNull } from 'drizzle-orm';
import type { AudioInfo } from '../core/audio/probe.js';
import type { AudioStore } from '../core/audioStore.js';
import { type CallMetadata, metadataColumns } from '../core/callMetadata.js';
import type { Config } from '../core/config.js';
import { mainQueue } from '../core/fleet.js';
import { nameKey } from '../core/names.js';
import {
  type BatchStatus,
  isTerminal,
  orderStages,
  REAUDIT_STAGES,
  type ReauditStage,
  type Stage,
  withDependents,
} from '../core/stages.js';
import type { Db } from '../drizzle/client.js';
import {
  type BatchRow,
  batchStatus,
  call,
  callLock,
  fileDistribution,
  reauditCall,
  transcript,
} from '../drizzle/schema/index.js';
import { auditUploadV2 } from '../workflows/auditUpload.js';
import { type DailyMemo, dailyBatchV2 } from '../workflows/dailyBatch.js';
import {
  BATCH_WORKFLOW_TASK_TIMEOUT,
  batchSettings,
  cancelSignal,
  SEARCH_ATTRIBUTES,
  workflowIds,
} from '../workflows/definitions.js';
import { reauditV2 } from '../workflows/reaudit.js';
import { recordLostExits } from './exits.js';

export type LifecycleDeps = { db: Db; temporal: Client; config: Config; audio: AudioStore };

/** Why a request changed nothing (or, for `unavailable` with `pending`, may have). The API maps the code. */
export class Refusal extends Error {
  override name = 'Refusal';
  constructor(
    readonly code: 'conflict' | 'not_found' | 'timeout' | 'unavailable' | 'validation_error',
    readonly detail: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(detail);
  }
}

export const AUDIT_BUSY = 'Another audit upload is already being processed';

const today = () => new Date().toISOString().slice(0, 10);
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
const list = (names: string[]) => names.slice(0, 20).join(', ') + (names.length > 20 ? ', …' : '');

/** Did the start of `workflowId` for `batchId` happen? Asked after a start answered with an error. */
async function startedFor(deps: LifecycleDeps, workflowId: string, batchId: number): Promise<boolean | null> {
  try {
    const d = await deps.temporal.workflow.getHandle(workflowId).describe();
    return Number(d.memo?.batchId) === batchId;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    return null; // Temporal cannot say: the batch stays Pending and the exit sweep decides later
  }
}

/**
 * Starts a batch's workflow after its rows were written, or takes the rows back when it surely did not start.
 * `deadline` is the request's: past it, before the start, the rows are taken back and the answer is 504, so a
 * 504 never leaves a batch running.
 */
async function startOrRollBack(
  deps: LifecycleDeps,
  batchId: number,
  workflowId: string,
  start: () => Promise<unknown>,
  rollBack: () => Promise<void>,
  options: { deadline?: number; busy?: Refusal } = {},
): Promise<void> {
  if (options.deadline !== undefined && Date.now() > options.deadline) {
    await rollBack();
    throw new Refusal('timeout', 'the request took too long; nothing was started, send it again');
  }
  try {
    await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) {
      await rollBack();
      throw options.busy ?? new Refusal('conflict', `${workflowId} is already running`);
    }
    const started = await startedFor(deps, workflowId, batchId);
    if (started) return;
    if (started === false) {
      await rollBack();
      throw new Refusal('unavailable', `could not start the batch: ${message(err)}`);
    }
    throw new Refusal(
      'unavailable',
      `could not confirm the start of batch ${batchId} (${message(err)}); it is marked failed if its workflow did not start`,
      { batch_id: batchId },
    );
  }
}

/** Takes a batch's rows back: its calls' locks, its call links, its calls (an upload's own), the batch. */
async function removeBatch(deps: LifecycleDeps, batchId: number, ownCalls: boolean): Promise<void> {
  await deps.db.transaction(async (tx) => {
    await tx.delete(callLock).where(eq(callLock.batchId, batchId));
    await tx.delete(reauditCall).where(eq(reauditCall.batchId, batchId));
    if (ownCalls) await tx.delete(call).where(eq(call.batchId, batchId));
    await tx.delete(batchStatus).where(eq(batchStatus.id, batchId));
  });
  if (ownCalls) await deps.audio.removeBatch(batchId);
}

/** Whether an audit upload is being processed (one whose batch has ended is only closing: waited for, 5 s). */
export async function uploadBusy(deps: LifecycleDeps): Promise<boolean> {
  const workflowId = workflowIds.auditUpload(deps.config.COFI_TASK_QUEUE);
  try {
    const handle = deps.temporal.workflow.getHandle(workflowId);
    const description = await handle.describe();
    if (description.status.name !== 'RUNNING') return false;
    const batchId = Number(description.memo?.batchId);
    if (!Number.isInteger(batchId)) return true;
    const [row] = await deps.db
      .select({ status: batchStatus.status })
      .from(batchStatus)
      .where(eq(batchStatus.id, batchId));
    if (!row || !isTerminal(row.status)) return true;
    await Promise.race([handle.result().catch(() => undefined), new Promise((r) => setTimeout(r, 5000))]);
    return (await handle.describe()).status.name === 'RUNNING';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw new Refusal('unavailable', `Temporal is not reachable: ${message(err)}`);
  }
}

export type UploadedFile = { position: number; name: string; info: AudioInfo; metadata?: CallMetadata };

/** An audit upload: the batch, its calls (held by it) and its audio, then its workflow. */
export async function admitUpload(
  deps: LifecycleDeps,
  input: { stagingDir: string; files: UploadedFile[]; processId: number; mappingId: number; stages: Stage[] },
): Promise<{ batchId: number; taskId: string }> {
  const { db, config, audio } = deps;
  const workflowId = workflowIds.auditUpload(config.COFI_TASK_QUEUE);
  const batchId = await db.transaction(async (tx) => {
    const [inserted] = await tx.insert(batchStatus).values({
      batchDate: today(),
      kind: 'audit',
      taskId: `pending-${input.stagingDir.slice(-36)}`,
      workflowId,
      processId: input.processId,
      categoryMappingId: input.mappingId,
      stages: input.stages,
      totalFiles: input.files.length,
      source: 'upload',
    });
    const id = inserted.insertId;
    await tx
      .update(batchStatus)
      .set({ taskId: `audit-${id}` })
      .where(eq(batchStatus.id, id));
    await tx.insert(call).values(
      input.files.map((f) => ({
        batchId: id,
        audioName: f.name,
        storedPath: audio.batchFile(id, f.position, f.info.format),
        processId: input.processId,
        categoryMappingId: input.mappingId,
        audioFormat: f.info.format,
        audioBytes: f.info.bytes,
        audioDuration: f.info.duration,
        ...metadataColumns(f.metadata),
      })),
    );
    const calls = await tx.select({ id: call.id }).from(call).where(eq(call.batchId, id));
    await tx.insert(callLock).values(calls.map((c) => ({ callId: c.id, batchId: id })));
    return id;
  });
  try {
    await audio.commitStaging(input.stagingDir, batchId);
  } catch (err) {
    await removeBatch(deps, batchId, true);
    throw err;
  }
  const start = () =>
    deps.temporal.workflow.start(auditUploadV2, {
      workflowId,
      taskQueue: mainQueue(config.COFI_TASK_QUEUE),
      args: [{ batchId, ...batchSettings(config) }],
      workflowIdConflictPolicy: 'FAIL',
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: [
        { key: SEARCH_ATTRIBUTES.batchId, value: batchId },
        { key: SEARCH_ATTRIBUTES.processId, value: input.processId },
        { key: SEARCH_ATTRIBUTES.kind, value: 'audit' },
      ],
      memo: { batchId, taskId: `audit-${batchId}`, files: input.files.length },
    });
  await startOrRollBack(
    deps,
    batchId,
    workflowId,
    // Temporal's workflow-id uniqueness is the atomic check; a workflow that was only closing is no conflict.
    () =>
      start().catch(async (err) => {
        if (err instanceof WorkflowExecutionAlreadyStartedError && !(await uploadBusy(deps))) return start();
        throw err;
      }),
    () => removeBatch(deps, batchId, true),
    { busy: new Refusal('conflict', AUDIT_BUSY) },
  );
  return { batchId, taskId: `audit-${batchId}` };
}

/** A re-run stage invalidates every stage computed from its output (llm1 and llm2 after stt, and so on). */
export function reauditStages(requested: readonly ReauditStage[]): ReauditStage[] {
  return withDependents(requested, REAUDIT_STAGES);
}

export type ReauditAdmitted = {
  batchId: number;
  taskId: string;
  calls: number;
  stages: Stage[];
  notFound: string[];
};

/** Which calls a reaudit re-runs: the latest call with each name, or calls by id. */
export type ReauditTarget = { names: string[] } | { callIds: number[] };

/** The calls a target names, and the names or ids it names that match no call. */
async function findReauditCalls(db: Db, target: ReauditTarget) {
  const columns = {
    id: call.id,
    audioName: call.audioName,
    batchId: call.batchId,
    status: call.status,
    distributed: fileDistribution.callId,
    recordingExpiredAt: call.recordingExpiredAt,
    transcriptExpiredAt: call.transcriptExpiredAt,
    analysisExpiredAt: call.analysisExpiredAt,
    answerExpiredAt: call.answerExpiredAt,
  };
  if ('callIds' in target) {
    const calls = await db
      .select(columns)
      .from(call)
      .leftJoin(fileDistribution, eq(fileDistribution.callId, call.id))
      .where(inArray(call.id, target.callIds))
      .orderBy(call.id);
    const have = new Set(calls.map((x) => x.id));
    return { calls, notFound: target.callIds.filter((id) => !have.has(id)).map(String) };
  }
  const found = await db
    .select(columns)
    .from(call)
    .leftJoin(fileDistribution, eq(fileDistribution.callId, call.id))
    .where(inArray(call.audioName, target.names))
    .orderBy(desc(call.id));
  // A name may have been uploaded more than once: the latest call with that name is the one reaudited. Names
  // match as the query matched them (ignoring case and accents), not byte for byte.
  const latest = new Map<string, (typeof found)[number]>();
  for (const row of found) if (!latest.has(nameKey(row.audioName))) latest.set(nameKey(row.audioName), row);
  return { calls: [...latest.values()], notFound: target.names.filter((n) => !latest.has(nameKey(n))) };
}

/** Calls among `ids` whose transcript has not been through redaction. */
async function unredactedAmong(db: Db, ids: number[]): Promise<number[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ callId: transcript.callId })
    .from(transcript)
    .where(and(inArray(transcript.callId, ids), isNull(transcript.redactedAt)));
  return rows.map((r) => r.callId);
}

/**
 * Retention removed what the stages would read or write again (docs/retention.md): the recording, which lid
 * and stt hear; the transcript, which stt would write again and the stages after it read; the analysis and
 * the answers, which llm1 and llm2 would write again. Written again, they would outlive the policy that
 * expired them (a run takes each kind of a call once).
 */
export function refuseExpired(
  calls: {
    audioName: string;
    id: number;
    recordingExpiredAt: Date | null;
    transcriptExpiredAt: Date | null;
    analysisExpiredAt: Date | null;
    answerExpiredAt: Date | null;
  }[],
  stages: readonly Stage[],
): void {
  const rules: [Stage[], string, (x: (typeof calls)[number]) => Date | null][] = [
    [['lid', 'stt'], 'the recording', (x) => x.recordingExpiredAt],
    [['stt', 'redact', 'llm1', 'llm2'], 'the transcript', (x) => x.transcriptExpiredAt],
    [['llm1'], 'the analysis', (x) => x.analysisExpiredAt],
    [['llm2'], 'the answers', (x) => x.answerExpiredAt],
  ];
  for (const [needing, what, expiredAt] of rules) {
    const hit = stages.filter((s) => needing.includes(s));
    const gone = hit.length ? calls.filter((x) => expiredAt(x)) : [];
    if (gone.length)
      throw new Refusal(
        'conflict',
        `${hit.join(', ')} cannot re-run: ${what} expired by retention for ${list(gone.map((x) => `${x.audioName} (call ${x.id})`))}`,
        { calls: gone.map((x) => x.audioName) },
      );
  }
}

/**
 * A reaudit of the calls a target names: the batch, the links to its calls and their locks, then its workflow.
 * A call held by a running batch (or still being processed by one) is refused, naming the holder. `details`
 * is kept with the batch (what asked for it: a whole batch, a retry of a batch's failed calls).
 */
export async function admitReaudit(
  deps: LifecycleDeps,
  input: ReauditTarget & {
    requested: ReauditStage[];
    deadline?: number;
    details?: Record<string, unknown>;
  },
): Promise<ReauditAdmitted> {
  const { db, config } = deps;
  const prefix = config.COFI_TASK_QUEUE;
  const { calls, notFound } = await findReauditCalls(
    db,
    'callIds' in input ? { callIds: input.callIds } : { names: input.names },
  );
  if (calls.length === 0)
    throw new Refusal(
      'not_found',
      `no call matches any of the ${'callIds' in input ? 'call ids' : 'names'}: ${list(notFound)}`,
      { not_found: notFound },
    );
  // An erased call has no audio and no results left to re-run (its name is `erased-<id>` now).
  const erased = calls.filter((x) => x.status === 'Erased');
  if (erased.length)
    throw new Refusal(
      'conflict',
      `erased calls cannot be re-run: ${list(erased.map((e) => `${e.audioName} (call ${e.id})`))}`,
      { calls: erased.map((e) => e.audioName) },
    );
  // Calls of the first batch shape hold no lock while they run: their status says so.
  const busy = calls.filter((x) => x.status === 'Queued' || x.status === 'InProgress');
  if (busy.length)
    throw new Refusal('conflict', `calls still being processed: ${list(busy.map((b) => b.audioName))}`, {
      calls: busy.map((b) => b.audioName),
    });
  const callIds = calls.map((x) => x.id);
  // The LLMs read only redacted transcripts (activities/llm.ts refuses others). A call transcribed before the
  // redact stage existed, or whose batch ran without it, has an unredacted one: its reaudit of an LLM stage
  // runs redact first instead of failing at the LLM.
  const unredacted = await unredactedAmong(db, callIds);
  const redactFirst =
    unredacted.length > 0 &&
    input.requested.some((s) => s === 'llm1' || s === 'llm2') &&
    !input.requested.some((s) => s === 'stt' || s === 'redact');
  const requested = orderStages<ReauditStage>(redactFirst ? [...input.requested, 'redact'] : input.requested);
  refuseExpired(calls, reauditStages(requested));
  await releaseLostHolders(deps, callIds);
  // A call never distributed (its distribution failed) is distributed again first.
  const stages: Stage[] = [
    ...(calls.some((x) => x.distributed === null) ? (['distribute'] as const) : []),
    ...reauditStages(requested),
  ];
  let batchId: number;
  try {
    batchId = await db.transaction(async (tx) => {
      const [inserted] = await tx.insert(batchStatus).values({
        batchDate: today(),
        kind: 'reaudit',
        taskId: `pending-${crypto.randomUUID()}`,
        workflowId: 'pending',
        stages,
        totalFiles: calls.length,
        source: 'reaudit',
        details: {
          requestedStages: orderStages(input.requested),
          ...(redactFirst ? { redactFirst: unredacted } : {}),
          notFound,
          ...input.details,
          originalBatches: [...new Set(calls.map((x) => x.batchId))],
        },
      });
      const id = inserted.insertId;
      await tx
        .update(batchStatus)
        .set({ taskId: `reaudit-${id}`, workflowId: workflowIds.reaudit(prefix, id) })
        .where(eq(batchStatus.id, id));
      // The primary key on callLock.callId makes this the atomic "not while another batch has it" check.
      await tx.insert(callLock).values(calls.map((x) => ({ callId: x.id, batchId: id })));
      await tx
        .insert(reauditCall)
        .values(calls.map((x) => ({ batchId: id, callId: x.id, originalBatchId: x.batchId })));
      // An erasure that committed since the calls were read (it held the lock this insert waited for): a locking
      // read sees its commit, and the reaudit is refused.
      const erasedSince = await tx
        .select({ id: call.id, audioName: call.audioName })
        .from(call)
        .where(and(inArray(call.id, callIds), eq(call.status, 'Erased')))
        .for('update');
      if (erasedSince.length)
        throw new Refusal(
          'conflict',
          `erased calls cannot be re-run: ${list(erasedSince.map((e) => `${e.audioName} (call ${e.id})`))}`,
        );
      return id;
    });
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const held = await holders(db, callIds);
    throw new Refusal(
      'conflict',
      `calls held by a running batch: ${list(held.map((h) => `${h.audioName} (${h.taskId})`))}`,
      { calls: held.map((h) => h.audioName) },
    );
  }
  const workflowId = workflowIds.reaudit(prefix, batchId);
  await startOrRollBack(
    deps,
    batchId,
    workflowId,
    () =>
      deps.temporal.workflow.start(reauditV2, {
        workflowId,
        taskQueue: mainQueue(prefix),
        args: [{ batchId, ...batchSettings(config) }],
        workflowIdConflictPolicy: 'FAIL',
        workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
        typedSearchAttributes: [
          { key: SEARCH_ATTRIBUTES.batchId, value: batchId },
          { key: SEARCH_ATTRIBUTES.kind, value: 'reaudit' },
        ],
        memo: { batchId, taskId: `reaudit-${batchId}`, calls: calls.length },
      }),
    () => removeBatch(deps, batchId, false),
    input.deadline !== undefined ? { deadline: input.deadline } : {},
  );
  return { batchId, taskId: `reaudit-${batchId}`, calls: calls.length, stages, notFound };
}

/** The batches holding `callIds`, with the calls' names. */
function holders(db: Db, callIds: number[]) {
  return db
    .select({ audioName: call.audioName, taskId: batchStatus.taskId, batchId: batchStatus.id })
    .from(callLock)
    .innerJoin(call, eq(call.id, callLock.callId))
    .innerJoin(batchStatus, eq(batchStatus.id, callLock.batchId))
    .where(inArray(callLock.callId, callIds));
}

/** Holders of these calls whose workflow ended without recording it are recorded as ended (locks released). */
async function releaseLostHolders(deps: LifecycleDeps, callIds: number[]): Promise<void> {
  const held = await holders(deps.db, callIds);
  if (held.length === 0) return;
  await recordLostExits(
    { db: deps.db, temporal: deps.temporal, prefix: deps.config.COFI_TASK_QUEUE },
    { batchIds: [...new Set(held.map((h) => h.batchId))] },
  );
}

/**
 * Whether the running workflow of a day was only closing: its batch has ended (the row is terminal) and the
 * execution closes within 5 s. False as soon as the row is open again (a new run of the day has ingested) or
 * when the execution is still running after 5 s (a new run not yet past ingestion): that one is running.
 */
async function dayClosed(deps: LifecycleDeps, workflowId: string, date: string): Promise<boolean> {
  const handle = deps.temporal.workflow.getHandle(workflowId);
  for (const until = Date.now() + 5000; Date.now() < until; ) {
    try {
      if ((await handle.describe()).status.name !== 'RUNNING') return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return true;
      throw err;
    }
    const [row] = await deps.db
      .select({ status: batchStatus.status })
      .from(batchStatus)
      .where(eq(batchStatus.taskId, `daily-${date}`));
    if (!row || !isTerminal(row.status)) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

export type DayStarted = { taskId: string; workflowId: string; joined: boolean };

/**
 * Runs the daily batch of `date` now, or joins the run of that date already under way (scheduled or on
 * demand: one workflow per date). A running day with other options is a conflict, not a second run.
 */
export async function startDay(
  deps: LifecycleDeps,
  input: { date: string; folder?: string; audioStages: ('denoise' | 'ivr')[] },
): Promise<DayStarted> {
  const prefix = deps.config.COFI_TASK_QUEUE;
  const workflowId = workflowIds.dailyBatch(prefix, input.date);
  const memo: DailyMemo = { date: input.date, folder: input.folder ?? null, audioStages: input.audioStages };
  const start = () =>
    deps.temporal.workflow.start(dailyBatchV2, {
      workflowId,
      taskQueue: mainQueue(prefix),
      args: [
        {
          date: input.date,
          ...(input.folder !== undefined && { folder: input.folder }),
          audioStages: input.audioStages,
          ...batchSettings(deps.config),
        },
      ],
      workflowIdConflictPolicy: 'FAIL',
      workflowTaskTimeout: BATCH_WORKFLOW_TASK_TIMEOUT,
      typedSearchAttributes: [{ key: SEARCH_ATTRIBUTES.kind, value: 'daily' }],
      memo,
    });
  try {
    try {
      await start();
    } catch (err) {
      // A run whose day has ended is only closing: once it has closed, the day starts anew (a late file is
      // ingested), rather than joining a run that takes nothing more or refusing as if it were busy.
      if (
        !(err instanceof WorkflowExecutionAlreadyStartedError) ||
        !(await dayClosed(deps, workflowId, input.date))
      )
        throw err;
      await start();
    }
    return { taskId: `daily-${input.date}`, workflowId, joined: false };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError))
      throw new Refusal('unavailable', `could not start the daily batch: ${message(err)}`);
  }
  const running = (await deps.temporal.workflow.getHandle(workflowId).describe()).memo as Partial<DailyMemo>;
  const same =
    (running.folder ?? null) === memo.folder &&
    JSON.stringify(running.audioStages ?? []) === JSON.stringify(memo.audioStages);
  if (!same)
    throw new Refusal(
      'conflict',
      `the daily batch of ${input.date} is already running (folder ${running.folder ?? 'the date'}, audio stages ${(running.audioStages ?? []).join(', ') || 'none'}); cancel it or wait for it`,
    );
  return { taskId: `daily-${input.date}`, workflowId, joined: true };
}

/**
 * Asks a running batch of any kind to stop. A batch whose workflow is gone is recorded as ended instead, and
 * the answer says it was not running.
 */
export async function cancelBatch(deps: LifecycleDeps, batch: BatchRow, reason: string): Promise<void> {
  if (isTerminal(batch.status))
    throw new Refusal('conflict', `${batch.kind} ${batch.taskId} already finished (${batch.status})`);
  try {
    await deps.temporal.workflow
      .getHandle(batch.workflowId)
      .signal(cancelSignal, { reason, batchId: batch.id });
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) {
      const recorded = await recordLostExits(
        { db: deps.db, temporal: deps.temporal, prefix: deps.config.COFI_TASK_QUEUE },
        { batchIds: [batch.id], graceMs: 0 },
      );
      const status: BatchStatus | undefined = recorded[0]?.status;
      throw new Refusal(
        'conflict',
        `${batch.kind} ${batch.taskId} is not running${status ? ` (its workflow is gone: recorded as ${status})` : ''}`,
      );
    }
    throw new Refusal('unavailable', `could not signal the batch: ${message(err)}`);
  }
}

/** mysql2's duplicate-key error, possibly wrapped by drizzle. */
export function isDuplicateKey(err: unknown): boolean {
  for (let e = err as { code?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.code === 'ER_DUP_ENTRY') return true;
  }
  return false;
}
