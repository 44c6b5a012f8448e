// The exit sweep: every EXIT_SWEEP_MS the worker records, as ended, the batches whose workflow ended without
// recording it (terminated or timed out in Temporal) or never started. Idempotent, so any number of worker
// replicas may run it.
import type { Client } from '@temporalio/client';
import type { Db } from '../drizzle/client.js';
import { recordLostExits } from '../lifecycle/exits.js';

export type SweepLog = (recorded: { batchId: number; status: string; reason: string }) => void;

export function startExitSweep(
  deps: { db: Db; temporal: Client; prefix: string },
  everyMs: number,
  log: SweepLog = () => {},
  options: { graceMs?: number } = {},
): { stop(): Promise<void> } {
  if (everyMs <= 0) return { stop: async () => {} };
  let running: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    running = running.then(async () => {
      try {
        for (const r of await recordLostExits(deps, options)) log(r);
      } catch {
        // Temporal or the database is away: the next sweep tries again.
      }
    });
  }, everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
