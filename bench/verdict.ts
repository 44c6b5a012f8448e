// What makes a benchmark run count: every part's batch ended Completed with every call through every stage,
// and the results name the commit they were measured on. A run that fails this writes no results.
import { execFileSync } from 'node:child_process';

/** A part of the run whose batch did not end as it must: the run is refused. */
export class RefusedRun extends Error {}

/** Refuses the run unless the part's batch ended `Completed` (not CompletedWithErrors, Failed, a timeout...). */
export function requireCompleted(part: string, status: string): void {
  if (status !== 'Completed')
    throw new RefusedRun(`${part}: the batch ended ${status || 'without a status'}, not Completed`);
}

/** Refuses the run unless `done` of `expected` calls went through every stage. */
export function requireAllDone(part: string, done: number, expected: number): void {
  if (done !== expected)
    throw new RefusedRun(`${part}: ${done} of ${expected} calls went through every stage`);
}

/** The commit measured, and the tracked files that differed from it (a run on changes says which). */
export function commitStamp(root: string): { commit: string; changedFiles: string[] } {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: root }).toString();
  // Porcelain lines are "XY path": the two status columns may be spaces, so the output is not trimmed.
  const changed = git('status', '--porcelain', '--untracked-files=no').split('\n').filter(Boolean);
  return { commit: git('rev-parse', 'HEAD').trim(), changedFiles: changed.map((l) => l.slice(3)) };
}

type Result = {
  date?: unknown;
  commit?: unknown;
  changedFiles?: unknown;
  throughput?: { calls: number; callsPerSecond: number; actions: { total: number } };
  utilisation?: {
    calls: number;
    speedup: number;
    pipelined: { utilisation: number; makespanS: number };
    stageBarrier: { utilisation: number; makespanS: number };
  };
  scale?: {
    calls: number;
    status: string;
    seconds: number;
    callsPerSecond: number;
    peakRssMiB: { worker: number; api: number };
  };
  search?: {
    calls: number;
    searches: number;
    p50Ms: number;
    p95Ms: number;
    exports: { of: string; rows: number; seconds: number; heapGrowthMiB: number; retainedMiB: number }[];
  };
};

const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;

/** The figures the README quotes, small enough to commit and read in a diff (bench/results/summary.json). */
export function summary(r: Result) {
  return {
    commit: r.commit,
    changedFiles: r.changedFiles,
    date: r.date,
    ...(r.throughput && {
      throughput: {
        calls: r.throughput.calls,
        callsPerSecond: round(r.throughput.callsPerSecond),
        actionsPerCall: r.throughput.actions.total,
      },
    }),
    ...(r.utilisation && {
      utilisation: {
        calls: r.utilisation.calls,
        pipelinedOfBound: round(r.utilisation.pipelined.utilisation, 3),
        stageBarrierOfBound: round(r.utilisation.stageBarrier.utilisation, 3),
        speedup: round(r.utilisation.speedup, 2),
      },
    }),
    ...(r.scale && {
      scale: {
        calls: r.scale.calls,
        status: r.scale.status,
        seconds: round(r.scale.seconds, 0),
        callsPerSecond: round(r.scale.callsPerSecond),
        peakRssMiB: r.scale.peakRssMiB,
      },
    }),
    ...(r.search && {
      search: {
        calls: r.search.calls,
        searches: r.search.searches,
        p50Ms: r.search.p50Ms,
        p95Ms: r.search.p95Ms,
        // The exports of every call and of every answer, and how much of the heap each held on to.
        exports: r.search.exports
          .filter((e) => e.of.startsWith('every'))
          .map(({ of, rows, seconds, heapGrowthMiB, retainedMiB }) => ({
            of,
            rows,
            seconds,
            heapGrowthMiB,
            retainedMiB,
          })),
      },
    }),
  };
}
