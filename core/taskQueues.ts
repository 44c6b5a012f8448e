// Who polls a task queue, as Temporal's matching service sees it: the answer to "is anybody serving this
// GPU node?" for routing (a call is not sent to a queue nobody polls) and for the dashboard's fleet view.
import type { Client } from '@temporalio/client';

export type Poller = { identity: string; lastAccess: Date | null; ratePerSecond: number };
export type QueueState = {
  queue: string;
  /** Pollers seen recently enough to be alive (see POLLER_FRESH_MS). */
  pollers: Poller[];
  /** Tasks of the asked type waiting (Temporal's approximate backlog), null when it did not say. */
  backlog: number | null;
};

// The proto enums' values (the proto package is not one of cofi's direct dependencies).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/**
 * A live worker polls again as soon as a long poll ends (a minute at most without tasks), so its last access
 * is never much older than that; matching keeps a dead worker's entry for minutes. Older entries are gone.
 */
export const POLLER_FRESH_MS = 90_000;

/** The activity pollers and backlog of one task queue. Throws when Temporal cannot be asked. */
export async function describeActivityQueue(
  client: Client,
  namespace: string,
  queue: string,
  now = Date.now(),
): Promise<QueueState> {
  return describeQueue(client, namespace, queue, TASK_QUEUE_TYPE_ACTIVITY, now);
}

/**
 * The workflow pollers of one task queue (the orchestrators on the main queue) and its workflow-task backlog.
 * Throws when Temporal cannot be asked.
 */
export async function describeWorkflowQueue(
  client: Client,
  namespace: string,
  queue: string,
  now = Date.now(),
): Promise<QueueState> {
  return describeQueue(client, namespace, queue, TASK_QUEUE_TYPE_WORKFLOW, now);
}

async function describeQueue(
  client: Client,
  namespace: string,
  queue: string,
  taskQueueType: number,
  now: number,
): Promise<QueueState> {
  const res = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL },
    taskQueueType,
    reportStats: true,
  });
  const pollers = (res.pollers ?? [])
    .map((p) => ({
      identity: p.identity ?? '',
      lastAccess: p.lastAccessTime?.seconds != null ? timestampToDate(p.lastAccessTime) : null,
      ratePerSecond: p.ratePerSecond ?? 0,
    }))
    .filter((p) => p.lastAccess === null || now - p.lastAccess.getTime() <= POLLER_FRESH_MS);
  const backlog = res.stats?.approximateBacklogCount;
  return { queue, pollers, backlog: backlog == null ? null : Number(backlog) };
}

function timestampToDate(ts: { seconds?: unknown; nanos?: number | null }): Date {
  return new Date(Number(ts.seconds) * 1000 + Math.floor((ts.nanos ?? 0) / 1e6));
}

/**
 * Which of `queues` have at least one live poller. A queue Temporal could not be asked about counts as
 * polled: routing must not strand calls because a describe call failed.
 */
export async function polledQueues(
  client: Client,
  namespace: string,
  queues: readonly string[],
): Promise<Set<string>> {
  const states = await Promise.all(
    queues.map((q) =>
      describeActivityQueue(client, namespace, q).then(
        (s) => (s.pollers.length > 0 ? q : null),
        () => q,
      ),
    ),
  );
  return new Set(states.filter((q): q is string => q !== null));
}
