// Repeated work, counted outside the database's own guarantees: the GPU and LLM requests as the simulator
// saw them (against the number each call needed) and the activity attempts in the workflow histories.
// At-least-once is the contract, so repeats need not be 0; these numbers say what a fault cost.
import type { Client } from '@temporalio/client';
import type { RequestRecord } from '../simulator/server.js';

export type RequestRepeats = {
  /** Requests the nodes received. */
  requests: number;
  /** Requests beyond what the calls needed: one per call and GPU stage, one per completed LLM stage. */
  repeated: number;
  /** Of the repeats, those that followed a failed attempt (injected fault, 429, a broken body). */
  retriesAfterFailure: number;
  /** Work a node completed again for a call and stage it had already completed (a killed worker's loss). */
  repeatedCompleted: number;
  /** GPU time of that repeated completed work, at the simulator's unscaled latency (s). */
  repeatedGpuSeconds: number;
  /** Answers a node finished after its client had gone. */
  undelivered: number;
  /** Injected faults (400, 503, hang, reset, broken body). */
  faults: number;
};

const failedOutcome = (r: RequestRecord) => r.outcome !== 'ok';

/**
 * Counts repeats in a request log. GPU requests are keyed by stage and file name (each call needs one per GPU
 * stage); LLM requests carry no call, so per LLM stage the need is `llmNeeded[stage]` (calls that completed it).
 * `timeScale` is the simulator's latency multiplier, to state GPU time at its modelled speed.
 */
export function countRepeats(
  records: RequestRecord[],
  llmNeeded: { llm1: number; llm2: number },
  timeScale: number,
): RequestRepeats {
  const groups = new Map<string, { needed: number; list: RequestRecord[] }>();
  for (const r of records) {
    const gpu = r.stage === 'lid' || r.stage === 'stt';
    const key = gpu ? `${r.stage}\u0000${r.subject}` : r.stage;
    const needed = gpu ? 1 : llmNeeded[r.stage as 'llm1' | 'llm2'];
    const g = groups.get(key) ?? { needed, list: [] };
    g.list.push(r);
    groups.set(key, g);
  }
  const out: RequestRepeats = {
    requests: records.length,
    repeated: 0,
    retriesAfterFailure: 0,
    repeatedCompleted: 0,
    repeatedGpuSeconds: 0,
    undelivered: records.filter((r) => r.outcome === 'ok' && !r.delivered).length,
    faults: records.filter((r) => failedOutcome(r) && r.outcome !== 'rejected').length,
  };
  for (const { needed, list } of groups.values()) {
    const repeats = Math.max(0, list.length - needed);
    const failures = list.filter(failedOutcome).length;
    out.repeated += repeats;
    out.retriesAfterFailure += Math.min(repeats, failures);
    const completed = list.filter((r) => !failedOutcome(r)).sort((a, b) => a.start - b.start);
    const again = completed.slice(needed);
    out.repeatedCompleted += again.length;
    if (list[0]?.stage === 'lid' || list[0]?.stage === 'stt')
      out.repeatedGpuSeconds += again.reduce((s, r) => s + (r.end - r.start) / 1000 / (timeScale || 1), 0);
  }
  out.repeatedGpuSeconds = Math.round(out.repeatedGpuSeconds * 10) / 10;
  return out;
}

export type ActivityAttempts = {
  /** Activities the call workflows scheduled. */
  activities: number;
  /** Attempts beyond the first, summed over activities (the started event's attempt number minus one). */
  retried: number;
  byType: Record<string, number>;
};

/** Retried activity attempts in the histories of the workflows `query` lists (a batch's calls). */
export async function activityAttempts(client: Client, query: string): Promise<ActivityAttempts> {
  const out: ActivityAttempts = { activities: 0, retried: 0, byType: {} };
  for await (const w of client.workflow.list({ query })) {
    const history = await client.workflow.getHandle(w.workflowId, w.runId).fetchHistory();
    const types = new Map<string, string>();
    for (const e of history.events ?? []) {
      const scheduled = e.activityTaskScheduledEventAttributes;
      if (scheduled) {
        out.activities++;
        types.set(String(e.eventId), scheduled.activityType?.name ?? '?');
      }
      const started = e.activityTaskStartedEventAttributes;
      if (started && (started.attempt ?? 1) > 1) {
        const type = types.get(String(started.scheduledEventId)) ?? '?';
        out.retried += (started.attempt ?? 1) - 1;
        out.byType[type] = (out.byType[type] ?? 0) + (started.attempt ?? 1) - 1;
      }
    }
  }
  return out;
}

/**
 * A simulated endpoint's requests in flight and its request log from `since` on (GET /sim/requests); null
 * when the endpoint is gone.
 */
export async function requestLog(
  url: string,
  since = 0,
): Promise<{ inFlight: number; requests: RequestRecord[] } | null> {
  try {
    const res = await fetch(`${url}/sim/requests?since=${since}`, { signal: AbortSignal.timeout(5000) });
    if (res.status !== 200) return null;
    return (await res.json()) as { inFlight: number; requests: RequestRecord[] };
  } catch {
    return null;
  }
}
