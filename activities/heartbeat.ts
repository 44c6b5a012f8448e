// Keeps a long activity visibly alive: heartbeats on a timer while the work runs, and hands the work
// the activity's cancellation signal so a cancelled call stops its HTTP request.
import { Context } from '@temporalio/activity';

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
