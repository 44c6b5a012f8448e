// Keeps a long activity visibly alive: heartbeats on a timer while the work runs, and hands the work
// the activity's cancellation signal so a cancelled call stops its HTTP request.
import { Context } from '@temporalio/activity';
import type { NodeSlots } from '../core/nodeSlots.js';

export async function withHeartbeat<T>(
  work: (signal: AbortSignal) => Promise<T>,
  everyMs = 1000,
): Promise<T> {
  const ctx = Context.current();
  const timer = setInterval(() => ctx.heartbeat(), everyMs);
  try {
    return await work(ctx.cancellationSignal);
  } finally {
    clearInterval(timer);
  }
}

/**
 * Requests to one kind of endpoint (GPU nodes, LLM endpoints), each holding one of its endpoint's `capacity`
 * slots, heartbeating and cancellable while they wait for it too.
 */
export function slotted(slots: NodeSlots) {
  return <T>(endpoint: { id: string; capacity: number }, request: (signal: AbortSignal) => Promise<T>) =>
    withHeartbeat((signal) => slots.run(endpoint.id, endpoint.capacity, signal, () => request(signal)));
}
