// Reads behind GET /fleet and the dashboard's fleet view: every GPU node and LLM endpoint of the configured
// fleet with who polls its task queue (Temporal), what is at it now and its newest failure (the database),
// and its node agent's lease; the orchestrators and the audio queue beside them.
import type { Client } from '@temporalio/client';
import { and, desc, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Fleet } from '../../core/config.js';
import { audioQueue, gpuQueue, llmQueue, mainQueue, weightedCycle } from '../../core/fleet.js';
import { eventStageName, GPU_STAGES, LLM_STAGES, STAGE_REGISTRY, type Stage } from '../../core/stages.js';
import {
  describeActivityQueue,
  describeWorkflowQueue,
  type Poller,
  type QueueState,
} from '../../core/taskQueues.js';
import type { Db } from '../../drizzle/client.js';
import {
  batchExecutionLog,
  batchStatus,
  fileDistribution,
  nodeAgent,
  processingLogs,
  stageOutcome,
} from '../../drizzle/schema/index.js';
import type { ApiDeps } from '../deps.js';
import { describeError } from '../errors.js';

/** A node whose newest failure is this recent is `erroring`. */
export const ERRORING_MS = 5 * 60_000;
/** How long one describe call may take before the view is answered without Temporal. */
const TEMPORAL_WAIT_MS = 3000;

export const FLEET_STATUSES = ['ok', 'no_poller', 'erroring', 'unknown'] as const;
export type FleetStatus = (typeof FLEET_STATUSES)[number];
export const QUEUE_STATUSES = ['ok', 'no_poller', 'unknown'] as const;
export type QueueStatus = (typeof QUEUE_STATUSES)[number];

export type PollerView = { identity: string; last_access: string | null };
export type LastError = {
  at: string;
  stage: string;
  /** `failed`: a call failed there (processing_logs); `moved`: a call was moved off it (a redistribution). */
  source: 'failed' | 'moved';
  error_type: string | null;
  message: string;
  batch_id: number | null;
  call_id: number | null;
};
export type AgentLease = {
  holder: string;
  since: string;
  renewed_at: string;
  expires_at: string;
  /** Past its expiry by the database's clock: the agent stopped renewing (killed, cut off). */
  expired: boolean;
};
export type FleetNode = {
  id: string;
  kind: 'gpu' | 'llm';
  url: string;
  model: string;
  stages: Stage[];
  capacity: number;
  simulated: boolean;
  task_queue: string;
  /** Live pollers of the queue; null when Temporal could not be asked. */
  pollers: PollerView[] | null;
  backlog: number | null;
  in_flight: number;
  last_error: LastError | null;
  agent: AgentLease | null;
  status: FleetStatus;
};
export type QueueView = {
  task_queue: string;
  pollers: PollerView[] | null;
  backlog: number | null;
  status: QueueStatus;
};
export type FleetView = {
  checked_at: string;
  /** Why Temporal could not be asked (pollers and backlogs are then null), else null. */
  temporal_error: string | null;
  orchestrators: QueueView;
  audio: QueueView;
  nodes: FleetNode[];
};

type FleetDeps = { db: Db; temporal: Client; namespace: string; prefix: string; fleet: Fleet };

/** The fleet as it is now. Database failures throw; Temporal failures are answered in `temporal_error`. */
export async function readFleet(
  { database, temporal, config }: Pick<ApiDeps, 'database' | 'temporal' | 'config'>,
  now = new Date(),
): Promise<FleetView> {
  const deps: FleetDeps = {
    db: database.db,
    temporal,
    namespace: config.TEMPORAL_NAMESPACE,
    prefix: config.COFI_TASK_QUEUE,
    fleet: config.fleet,
  };
  const { db, fleet, prefix } = deps;
  const entries = [
    ...fleet.nodes.map((n) => ({
      id: n.id,
      kind: 'gpu' as const,
      url: n.url,
      model: n.model,
      stages: GPU_STAGES.filter((s) => n.stages.includes(s)),
      capacity: n.capacity,
      simulated: n.simulated === true,
      task_queue: gpuQueue(prefix, n.id),
    })),
    ...fleet.llm.map((l) => ({
      id: l.id,
      kind: 'llm' as const,
      url: l.url,
      model: l.model,
      stages: [...LLM_STAGES],
      capacity: l.capacity,
      simulated: l.simulated === true,
      task_queue: llmQueue(prefix, l.id),
    })),
  ];
  const [queues, inFlight, errors, leases] = await Promise.all([
    describeQueues(deps, entries),
    inFlightByNode(db, fleet),
    lastErrors(db, entries),
    agentLeases(
      db,
      entries.map((e) => e.task_queue),
    ),
  ]);
  const nodes = entries.map((e, i): FleetNode => {
    const state = queues.states.get(e.task_queue);
    const last = errors[i] ?? null;
    return {
      ...e,
      pollers: state ? state.pollers.map(pollerView) : null,
      backlog: state?.backlog ?? null,
      in_flight: inFlight.get(e.id) ?? 0,
      last_error: last,
      agent: leases.get(e.task_queue) ?? null,
      status: nodeStatus(state, last, now),
    };
  });
  return {
    checked_at: now.toISOString(),
    temporal_error: queues.error,
    orchestrators: queueView(mainQueue(prefix), queues.states.get(`workflow:${mainQueue(prefix)}`)),
    audio: queueView(audioQueue(prefix), queues.states.get(audioQueue(prefix))),
    nodes,
  };
}

function nodeStatus(state: QueueState | undefined, last: LastError | null, now: Date): FleetStatus {
  if (state && state.pollers.length === 0) return 'no_poller';
  if (last && now.getTime() - Date.parse(last.at) <= ERRORING_MS) return 'erroring';
  return state ? 'ok' : 'unknown';
}

function queueView(queue: string, state: QueueState | undefined): QueueView {
  return {
    task_queue: queue,
    pollers: state ? state.pollers.map(pollerView) : null,
    backlog: state?.backlog ?? null,
    status: !state ? 'unknown' : state.pollers.length === 0 ? 'no_poller' : 'ok',
  };
}

const pollerView = (p: Poller): PollerView => ({
  identity: p.identity,
  last_access: p.lastAccess ? p.lastAccess.toISOString() : null,
});

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([
    work,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms).unref(),
    ),
  ]);

/**
 * Every queue's pollers, asked at once: the main queue's workflow pollers (key `workflow:<queue>`), the audio
 * queue's and each node's activity pollers. A queue Temporal did not answer for is missing from `states`, and
 * the first such failure is the view's `temporal_error`.
 */
async function describeQueues(deps: FleetDeps, entries: { task_queue: string }[]) {
  const { temporal, namespace, prefix } = deps;
  const asks: [string, () => Promise<QueueState>][] = [
    [`workflow:${mainQueue(prefix)}`, () => describeWorkflowQueue(temporal, namespace, mainQueue(prefix))],
    [audioQueue(prefix), () => describeActivityQueue(temporal, namespace, audioQueue(prefix))],
    ...entries.map(
      (e) =>
        [e.task_queue, () => describeActivityQueue(temporal, namespace, e.task_queue)] as [
          string,
          () => Promise<QueueState>,
        ],
    ),
  ];
  const settled = await Promise.allSettled(asks.map(([, ask]) => within(TEMPORAL_WAIT_MS, ask())));
  const states = new Map<string, QueueState>();
  let error: string | null = null;
  settled.forEach((s, i) => {
    const key = asks[i]![0];
    if (s.status === 'fulfilled') states.set(key, s.value);
    else error ??= `describing task queue ${key.replace(/^workflow:/, '')}: ${describeError(s.reason)}`;
  });
  return { states, error };
}

/**
 * Calls at one of a node's stages now, per GPU node and LLM endpoint id. A call counts when its batch is
 * open (Pending or InProgress), the batch's ledger holds `done` for the stage before that stage in the
 * batch's stage list and no outcome yet for the stage itself, and the call is routed to the node:
 * `fileDistribution.gpuNode` for LID and STT; for LLM1 and LLM2 (whose endpoint is not stored) the endpoint
 * of the call's newest LLM move in the batch (`file_redistributed` at llm1 or llm2), else the one
 * distribution picks from the call id (weighted round-robin over the configured endpoints). That is a
 * request being served, or waiting for one of the node's slots or in its queue (`backlog` says how many
 * Temporal still holds). Not counted: a call at its batch's first stage (a reaudit that starts at LID:
 * nothing is in the ledger until that stage decides), and batches of the first batch shape (no ledger).
 */
async function inFlightByNode(db: Db, fleet: Fleet): Promise<Map<string, number>> {
  const open = await db
    .select({ id: batchStatus.id, stages: batchStatus.stages })
    .from(batchStatus)
    .where(inArray(batchStatus.status, ['Pending', 'InProgress']));
  const cycle = weightedCycle(fleet.llm, (e) => e.capacity);
  const counts = new Map<string, number>();
  const add = (id: string | undefined, n: number) => {
    if (id !== undefined) counts.set(id, (counts.get(id) ?? 0) + n);
  };
  const steps = open.flatMap((b) => {
    const stages = b.stages as Stage[];
    return stages.flatMap((stage, i) => {
      const before = stages[i - 1];
      const runner = STAGE_REGISTRY[stage].runner;
      return before && (runner === 'gpu' || runner === 'llm')
        ? [{ batchId: b.id, before, stage, runner }]
        : [];
    });
  });
  const llmMoves = await movedLlmCalls(
    db,
    steps.filter((s) => s.runner === 'llm').map((s) => s.batchId),
  );
  for (const step of steps) {
    const waiting = and(
      eq(stageOutcome.batchId, step.batchId),
      eq(stageOutcome.stage, step.before),
      eq(stageOutcome.outcome, 'done'),
      sql`NOT EXISTS (SELECT 1 FROM ${stageOutcome} AS s WHERE s.batchId = ${stageOutcome.batchId} AND s.callId = ${stageOutcome.callId} AND s.stage = ${step.stage})`,
    );
    if (step.runner === 'gpu') {
      const rows = await db
        .select({ node: fileDistribution.gpuNode, n: sql<number>`count(*)` })
        .from(stageOutcome)
        .innerJoin(fileDistribution, eq(fileDistribution.callId, stageOutcome.callId))
        .where(waiting)
        .groupBy(fileDistribution.gpuNode);
      for (const r of rows) add(r.node, Number(r.n));
      continue;
    }
    if (cycle.length === 0) continue;
    const slot = sql<number>`mod(${stageOutcome.callId}, ${cycle.length})`;
    const rows = await db
      .select({ slot, n: sql<number>`count(*)` })
      .from(stageOutcome)
      .where(waiting)
      .groupBy(slot);
    for (const r of rows) add(cycle[Number(r.slot)]?.id, Number(r.n));
    // Calls moved to another endpoint: counted at their pick above, they are at the endpoint they moved to.
    const moved = llmMoves.get(step.batchId);
    if (!moved?.size) continue;
    const here = await db
      .select({ callId: stageOutcome.callId })
      .from(stageOutcome)
      .where(and(waiting, inArray(stageOutcome.callId, [...moved.keys()])));
    for (const { callId } of here) {
      add(cycle[callId % cycle.length]?.id, -1);
      add(moved.get(callId), 1);
    }
  }
  return counts;
}

/** Per batch, the endpoint each call's newest LLM move sent it to (moves are rare). */
async function movedLlmCalls(db: Db, batchIds: number[]): Promise<Map<number, Map<number, string>>> {
  const out = new Map<number, Map<number, string>>();
  if (batchIds.length === 0) return out;
  const rows = await db
    .select({
      batchId: batchExecutionLog.batchId,
      callId: batchExecutionLog.callId,
      metadata: batchExecutionLog.metadata,
    })
    .from(batchExecutionLog)
    .where(
      and(
        inArray(batchExecutionLog.batchId, [...new Set(batchIds)]),
        eq(batchExecutionLog.eventType, 'file_redistributed'),
      ),
    )
    .orderBy(batchExecutionLog.id);
  for (const r of rows) {
    const stage = r.metadata?.stage;
    const to = r.metadata?.to;
    if (r.callId === null || typeof to !== 'string' || !(LLM_STAGES as readonly unknown[]).includes(stage))
      continue;
    if (!out.has(r.batchId)) out.set(r.batchId, new Map());
    out.get(r.batchId)!.set(r.callId, to);
  }
  return out;
}

/** `url` itself or anything under it, as a LIKE pattern (its own % and _ taken literally). */
function underUrl(column: typeof processingLogs.requestUrl, url: string): SQL | undefined {
  const base = url.replace(/\/+$/, '');
  const escaped = base.replace(/[\\%_]/g, (ch) => `\\${ch}`);
  return or(eq(column, base), eq(column, `${base}/`), sql`${column} LIKE ${`${escaped}/%`}`);
}

/**
 * The newest failure recorded against each node: a call that failed at one of its stages with a request to its
 * URL (processing_logs), or a call moved off it (a `file_redistributed` event whose `from` is the node),
 * whichever is newer. Neither table has an index for this: one backward scan per node for failures (which
 * stops at the node's newest), one scan of the moves for all nodes.
 */
async function lastErrors(db: Db, entries: { id: string; url: string; stages: Stage[] }[]) {
  const from = sql<string>`JSON_UNQUOTE(JSON_EXTRACT(${batchExecutionLog.metadata}, '$.from'))`;
  const [failures, newestMoves] = await Promise.all([
    Promise.all(
      entries.map(async (entry) => {
        const [row] = await db
          .select({
            at: processingLogs.createdAt,
            stage: processingLogs.stageName,
            type: processingLogs.errorType,
            message: processingLogs.errorMessage,
            batchId: processingLogs.batchId,
            callId: processingLogs.callId,
          })
          .from(processingLogs)
          .where(
            and(
              eq(processingLogs.status, 'failed'),
              inArray(processingLogs.stageName, entry.stages.map(eventStageName)),
              underUrl(processingLogs.requestUrl, entry.url),
            ),
          )
          .orderBy(desc(processingLogs.id))
          .limit(1);
        return row;
      }),
    ),
    entries.length === 0
      ? Promise.resolve([])
      : db
          .select({ id: sql<number>`max(${batchExecutionLog.id})` })
          .from(batchExecutionLog)
          .where(
            and(
              eq(batchExecutionLog.eventType, 'file_redistributed'),
              inArray(
                from,
                entries.map((e) => e.id),
              ),
            ),
          )
          .groupBy(from),
  ]);
  const moveIds = newestMoves.map((m) => Number(m.id));
  const moves = moveIds.length
    ? await db
        .select({
          at: batchExecutionLog.createdAt,
          message: batchExecutionLog.message,
          metadata: batchExecutionLog.metadata,
          batchId: batchExecutionLog.batchId,
          callId: batchExecutionLog.callId,
        })
        .from(batchExecutionLog)
        .where(inArray(batchExecutionLog.id, moveIds))
    : [];
  return entries.map((entry, i): LastError | null => {
    const failed = failures[i];
    const moved = moves.find((m) => m.metadata?.from === entry.id);
    const fromFailure: LastError | null = failed
      ? {
          at: failed.at.toISOString(),
          stage: failed.stage,
          source: 'failed',
          error_type: failed.type,
          message: failed.message ?? '',
          batch_id: Number(failed.batchId) || null,
          call_id: Number(failed.callId) || null,
        }
      : null;
    const fromMove = moved ? moveError(moved) : null;
    if (!fromFailure || !fromMove) return fromFailure ?? fromMove;
    return Date.parse(fromMove.at) > Date.parse(fromFailure.at) ? fromMove : fromFailure;
  });
}

/** A move's reason is `<error type>: <message>` when a failure caused it, else a sentence. */
function moveError(row: {
  at: Date;
  message: string | null;
  metadata: Record<string, unknown> | null;
  batchId: number;
  callId: number | null;
}): LastError {
  const reason = typeof row.metadata?.reason === 'string' ? row.metadata.reason : '';
  const typed = /^([a-z][a-z0-9_]*): (.*)$/s.exec(reason);
  return {
    at: row.at.toISOString(),
    stage: typeof row.metadata?.stage === 'string' ? row.metadata.stage : 'distribute',
    source: 'moved',
    error_type: typed?.[1] ?? null,
    message: row.message ?? reason,
    batch_id: row.batchId,
    call_id: row.callId,
  };
}

/** The node agents' leases on these queues (table nodeAgent), by queue. */
async function agentLeases(db: Db, queues: string[]): Promise<Map<string, AgentLease>> {
  if (queues.length === 0) return new Map();
  const rows = await db
    .select({
      queue: nodeAgent.queue,
      holder: nodeAgent.holder,
      acquiredAt: nodeAgent.acquiredAt,
      renewedAt: nodeAgent.renewedAt,
      expiresAt: nodeAgent.expiresAt,
      // The lease's times are the database's clock: its expiry is judged by the same clock.
      expired: sql<number>`${nodeAgent.expiresAt} < NOW(3)`,
    })
    .from(nodeAgent)
    .where(inArray(nodeAgent.queue, queues));
  return new Map(
    rows.map((r) => [
      r.queue,
      {
        holder: r.holder,
        since: r.acquiredAt.toISOString(),
        renewed_at: r.renewedAt.toISOString(),
        expires_at: r.expiresAt.toISOString(),
        expired: Number(r.expired) === 1,
      },
    ]),
  );
}
