// Exact per-stage progress of a batch: counts only what finished a stage or failed in it (seed issue 8).
import type { Stage, StageStatus } from './stages.js';

export type StageCount = {
  /** Calls this stage is meant to process. */
  total: number;
  /** Calls that finished it (equals the `fileDistribution` flags). */
  done: number;
  /** Calls that failed in it. */
  failed: number;
  /** Calls that failed in an earlier stage and so never reached it. */
  skipped: number;
};
export type Progress = Partial<Record<Stage, StageCount>>;

export function emptyProgress(stages: readonly Stage[], total: number): Progress {
  return Object.fromEntries(stages.map((s) => [s, { total, done: 0, failed: 0, skipped: 0 }]));
}

/** Records that a call finished (ok) or failed at `stage`; a failure skips the stages after it. */
export function applyOutcome(progress: Progress, stages: readonly Stage[], stage: Stage, ok: boolean): void {
  const count = progress[stage];
  if (!count || !stages.includes(stage)) return;
  if (ok) {
    count.done++;
    return;
  }
  count.failed++;
  for (const later of stages.slice(stages.indexOf(stage) + 1)) {
    const c = progress[later];
    if (c) c.skipped++;
  }
}

export function stageFinished(count: StageCount): boolean {
  return count.done + count.failed + count.skipped >= count.total;
}

export function stageStatus(count: StageCount): StageStatus {
  if (count.total === 0) return 'Skipped';
  if (!stageFinished(count)) return count.done + count.failed > 0 ? 'InProgress' : 'Pending';
  return count.failed + count.skipped > 0 ? 'CompleteWithErrors' : 'Complete';
}
