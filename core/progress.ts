// Exact per-stage progress of a batch: counts only what finished a stage, failed in it or was stopped by a
// cancel (seed issue 8: totals are never counted as done).
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
  /** Calls a cancel stopped before they finished this stage (in it, or before reaching it). */
  cancelled: number;
  /**
   * Calls whose recording holds no speech: this stage reads the transcript, had nothing to do and sent no
   * request. They finished the stage without an error (absent: none; the v1 workflows never count them).
   */
  no_speech?: number;
};
export type Progress = Partial<Record<Stage, StageCount>>;

export function emptyProgress(stages: readonly Stage[], total: number): Progress {
  return Object.fromEntries(stages.map((s) => [s, emptyCount(total)]));
}

export function emptyCount(total: number): StageCount {
  return { total, done: 0, failed: 0, skipped: 0, cancelled: 0 };
}

/** A count stored before `cancelled` existed reads as none cancelled. */
export function withCancelled(count: Omit<StageCount, 'cancelled'> & { cancelled?: number }): StageCount {
  return { ...count, cancelled: count.cancelled ?? 0 };
}

export type StageOutcome = 'done' | 'failed' | 'cancelled';

/**
 * Records a call's outcome at `stage`: it finished it, failed in it (the stages after it are skipped), or a
 * cancel stopped it there (it counts as cancelled in that stage and every later one).
 */
export function applyOutcome(
  progress: Progress,
  stages: readonly Stage[],
  stage: Stage,
  outcome: StageOutcome,
): void {
  const count = progress[stage];
  if (!count || !stages.includes(stage)) return;
  if (outcome === 'done') {
    count.done++;
    return;
  }
  const later = stages.slice(stages.indexOf(stage) + 1).flatMap((s) => progress[s] ?? []);
  if (outcome === 'failed') {
    count.failed++;
    for (const c of later) c.skipped++;
    return;
  }
  for (const c of [count, ...later]) c.cancelled = (c.cancelled ?? 0) + 1;
}

export function stageFinished(count: StageCount): boolean {
  return (
    count.done + count.failed + count.skipped + (count.cancelled ?? 0) + (count.no_speech ?? 0) >= count.total
  );
}

export function stageStatus(count: StageCount): StageStatus {
  const cancelled = count.cancelled ?? 0;
  if (count.total === 0) return 'Skipped';
  if (!stageFinished(count))
    return count.done + (count.no_speech ?? 0) + count.failed + cancelled > 0 ? 'InProgress' : 'Pending';
  if (cancelled > 0) return 'Cancelled';
  return count.failed + count.skipped > 0 ? 'CompleteWithErrors' : 'Complete';
}
