// Retrying a batch's failed calls: the ledger says which of its calls failed in their latest run and at which
// stage; each is re-run from that stage by a reaudit (one per stage, since a reaudit runs one stage list, and
// one per MAX_RETRY_CALLS calls of a stage, the cap of a whole-batch reaudit).

import { eq, inArray } from 'drizzle-orm';
import { MAX_BATCH_REAUDIT_CALLS } from '../core/limits.js';
import { REAUDIT_STAGES, type ReauditStage, STAGES, type Stage } from '../core/stages.js';
import { type BatchRow, batchStatus, call, stageOutcome } from '../drizzle/schema/index.js';
import { admitReaudit, type LifecycleDeps, type ReauditAdmitted, Refusal } from './admission.js';
import { memberIds } from './exits.js';
import type { Reader } from './ledger.js';

export type FailedCall = {
  callId: number;
  audioName: string;
  /** The stage its latest run failed at, and the batch of that run. */
  stage: Stage;
  failedIn: number;
};

const CHUNK = 1000;
/** The most calls one retry reaudit admits: the cap of a whole-batch reaudit (core/limits.ts). */
export const MAX_RETRY_CALLS = MAX_BATCH_REAUDIT_CALLS;
const order = (stage: Stage) => STAGES.indexOf(stage);

/**
 * The calls of a batch whose latest run (the newest batch with ledger rows for the call: batch ids only grow)
 * failed, with the stage it failed at. An erased call is left out: it has nothing left to re-run.
 */
export async function latestFailures(
  db: Reader,
  batch: Pick<BatchRow, 'id' | 'kind'>,
): Promise<FailedCall[]> {
  const ids = await memberIds(db, batch);
  const out: FailedCall[] = [];
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = await db
      .select({
        batchId: stageOutcome.batchId,
        callId: stageOutcome.callId,
        stage: stageOutcome.stage,
        outcome: stageOutcome.outcome,
      })
      .from(stageOutcome)
      .where(inArray(stageOutcome.callId, chunk));
    const latest = new Map<number, number>();
    for (const r of rows) latest.set(r.callId, Math.max(latest.get(r.callId) ?? 0, r.batchId));
    const failed = new Map<number, { stage: Stage; batchId: number }>();
    for (const r of rows)
      if (r.outcome === 'failed' && latest.get(r.callId) === r.batchId)
        failed.set(r.callId, { stage: r.stage, batchId: r.batchId });
    if (failed.size === 0) continue;
    const calls = await db
      .select({ id: call.id, audioName: call.audioName, status: call.status })
      .from(call)
      .where(inArray(call.id, [...failed.keys()]));
    for (const c of calls) {
      const f = failed.get(c.id);
      if (f && c.status !== 'Erased')
        out.push({ callId: c.id, audioName: c.audioName, stage: f.stage, failedIn: f.batchId });
    }
  }
  return out.sort((a, b) => a.callId - b.callId);
}

/**
 * Where a reaudit restarts a call that failed at `stage`: that stage when a reaudit can run it; the first
 * reaudit stage when it failed before inference (distribution, denoise, ivr): a call never distributed is
 * distributed again first by the reaudit itself.
 */
export function retryStage(stage: Stage): ReauditStage {
  return (REAUDIT_STAGES as readonly Stage[]).includes(stage) ? (stage as ReauditStage) : REAUDIT_STAGES[0];
}

export type RetryStarted = ReauditAdmitted & { fromStage: ReauditStage; callIds: number[] };

/**
 * Re-runs the failed calls of a batch, each from the stage it failed at: one reaudit per stage, earliest first,
 * split into reaudits of at most `maxCalls` (MAX_RETRY_CALLS) calls in call id order.
 * A batch without failed calls is a conflict (nothing to do); calls held by a running batch are refused as a
 * reaudit refuses them. When a later reaudit is refused after earlier ones started, the refusal lists those.
 */
export async function retryFailed(
  deps: LifecycleDeps,
  input: { batchId: number; deadline?: number; maxCalls?: number },
): Promise<{ batch: BatchRow; failed: FailedCall[]; started: RetryStarted[] }> {
  const maxCalls = input.maxCalls ?? MAX_RETRY_CALLS;
  const [batch] = await deps.db.select().from(batchStatus).where(eq(batchStatus.id, input.batchId));
  if (!batch) throw new Refusal('not_found', `no batch with id ${input.batchId}`);
  const failed = await latestFailures(deps.db, batch);
  if (failed.length === 0)
    throw new Refusal(
      'conflict',
      `batch ${batch.id} (${batch.taskId}) has no failed calls to retry: none of its calls failed in its latest run`,
      { batch_id: batch.id },
    );
  // Calls never distributed go alone: their reaudit distributes first, which the others do not need.
  const groups = new Map<string, { stage: ReauditStage; callIds: number[] }>();
  for (const f of failed) {
    const stage = retryStage(f.stage);
    const key = f.stage === 'distribute' ? 'distribute' : stage;
    const group = groups.get(key) ?? { stage, callIds: [] };
    group.callIds.push(f.callId);
    groups.set(key, group);
  }
  const parts = [...groups.values()]
    .sort((a, b) => order(a.stage) - order(b.stage))
    .flatMap(({ stage, callIds }) =>
      Array.from({ length: Math.ceil(callIds.length / maxCalls) }, (_, i) => ({
        stage,
        callIds: callIds.slice(i * maxCalls, (i + 1) * maxCalls),
      })),
    );
  const started: RetryStarted[] = [];
  for (const { stage, callIds } of parts) {
    try {
      const admitted = await admitReaudit(deps, {
        callIds,
        requested: [stage],
        ...(input.deadline !== undefined && { deadline: input.deadline }),
        details: { retryOf: batch.id },
      });
      started.push({ ...admitted, fromStage: stage, callIds });
    } catch (err) {
      if (!(err instanceof Refusal) || started.length === 0) throw err;
      throw new Refusal(
        err.code,
        `${err.detail} (retries already started: ${started.map((s) => s.taskId).join(', ')})`,
        { ...err.extra, started: started.map((s) => s.taskId) },
      );
    }
  }
  return { batch, failed, started };
}
