// The chaos suite's processes: cofi's worker, API and simulator as child processes it can kill -9 and
// restart, and the Temporal dev server and MariaDB through the project's own ops scripts.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';

export type ManagedProcess = {
  name: string;
  start(): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  running(): boolean;
  /** The process id while it runs (the benchmark reads its memory from /proc). */
  pid(): number | undefined;
};

const root = path.resolve(import.meta.dirname, '..');

export function managed(
  name: string,
  script: string,
  env: Record<string, string>,
  logDir: string,
  ready: () => Promise<boolean>,
): ManagedProcess {
  let child: ChildProcess | null = null;
  return {
    name,
    running: () => child !== null && child.exitCode === null && child.signalCode === null,
    pid: () => child?.pid,
    async start() {
      const log = openSync(path.join(logDir, `${name}.log`), 'a');
      child = spawn(process.execPath, [...nodeFlags(script), '--import', 'tsx', script], {
        cwd: root,
        env: { ...process.env, ...env },
        stdio: ['ignore', log, log],
      });
      const deadline = Date.now() + 60_000;
      while (!(await ready())) {
        if (child.exitCode !== null)
          throw new Error(`${name} exited with ${child.exitCode} (see ${logDir}/${name}.log)`);
        if (Date.now() > deadline) throw new Error(`${name} did not become ready`);
        await sleep(200);
      }
    },
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      const c = child;
      if (!c || c.exitCode !== null || c.signalCode !== null) return;
      const exited = new Promise((r) => c.once('exit', r));
      c.kill(signal);
      await exited;
    },
  };
}

/** Runs one of ops/*.sh with the chaos suite's ports and data folder. */
/**
 * Node flags a cofi process is started with, as ops/start.sh and compose start it: the worker's V8 heap is
 * capped (WORKER_HEAP_MB, default 256), which keeps its memory near what it uses.
 */
function nodeFlags(script: string): string[] {
  return script === 'worker/main.ts' ? [`--max-old-space-size=${process.env.WORKER_HEAP_MB ?? '256'}`] : [];
}

export function ops(script: 'temporal' | 'mariadb', action: 'start' | 'stop', env: Record<string, string>) {
  execFileSync('bash', [path.join(root, 'ops', `${script}.sh`), action], {
    env: { ...process.env, ...env },
    stdio: 'inherit',
  });
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.status < 500;
  } catch {
    return false;
  }
}
