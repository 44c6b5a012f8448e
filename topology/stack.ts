// The topology run's stack: Temporal (the cluster of ops/cluster.sh, or the dev server), a MariaDB of its own,
// the simulator, two API replicas, two orchestrator workers, three GPU node agents and one LLM agent, each
// cofi process a child it can kill -9 and start again (chaos/processes.ts `managed`). Ports and data collide
// with nothing else: MariaDB :3420, APIs :8410/:8411, simulator :9401-9403 and :9410 (stats :9409), the cluster
// on :7500 (and the ports it derives from it, up to :7513) with PostgreSQL on :5440 (the dev server, when asked
// for, on :7520), data in .data/topology.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { httpOk, type ManagedProcess, managed, sleep } from '../chaos/processes.js';
import { audioQueue, gpuQueue, llmQueue, mainQueue } from '../core/fleet.js';

const root = path.resolve(import.meta.dirname, '..');
export const DATA = path.join(root, '.data', 'topology');
export const LOGS = path.join(DATA, 'logs');
const PREFIX = 'topo';
const NAMESPACE = 'default';

export const NODES = [
  { id: 'gpu-a', port: 9401, capacity: 4 },
  { id: 'gpu-b', port: 9402, capacity: 4 },
  { id: 'gpu-c', port: 9403, capacity: 2 },
] as const;
export const LLM = { id: 'llm-a', port: 9410, capacity: 16 } as const;
export const FLEET = {
  nodes: NODES.map((n) => ({
    id: n.id,
    url: `http://127.0.0.1:${n.port}`,
    capacity: n.capacity,
    stages: ['lid', 'stt'],
    lidPath: '/detect-language',
  })),
  llm: [{ id: LLM.id, url: `http://127.0.0.1:${LLM.port}`, capacity: LLM.capacity }],
};
export const SIM_STATS = 'http://127.0.0.1:9409';
export const API_PORTS = [8410, 8411] as const;
const MARIADB_PORT = 3420;
/** Every port the run opens, checked closed at the end. */
const CLUSTER_PORT = 7500;
const DEV_PORT = 7520;

export type TemporalKind = 'cluster' | 'dev';

/** One of the project's ops scripts, with the run's ports and data folder. */
function opsScript(script: string, args: string[], env: Record<string, string>, capture = false): string {
  const out = execFileSync('bash', [path.join(root, 'ops', script), ...args], {
    env: { ...process.env, COFI_DATA_DIR: DATA, ...env },
    stdio: capture ? ['ignore', 'pipe', 'inherit'] : 'inherit',
  });
  return out ? out.toString().trim() : '';
}

/**
 * Temporal as the run uses it: where it listens, how it starts and stops, and how its history service is taken
 * away and brought back. The cluster kills the history service's process alone; the dev server is one
 * process, so there the whole server goes (and the run says so).
 */
export type TemporalSide = {
  kind: TemporalKind;
  address: string;
  start(): void;
  stop(): void;
  /** Takes the history service away; returns what was done. */
  killHistory(): string;
  restartHistory(): void;
  /** Ports it listens on (checked closed after the run). */
  ports: number[];
};

export function temporalSide(kind: TemporalKind): TemporalSide {
  if (kind === 'cluster') {
    const env = { CLUSTER_PORT: String(CLUSTER_PORT), CLUSTER_PG_PORT: '5440' };
    if (!existsSync(path.join(root, 'ops', 'cluster.sh')))
      throw new Error('ops/cluster.sh is missing: run with --temporal dev');
    return {
      kind,
      address: `127.0.0.1:${CLUSTER_PORT}`,
      start: () => opsScript('cluster.sh', ['start'], env),
      stop: () => opsScript('cluster.sh', ['stop'], env),
      killHistory: () => {
        opsScript('cluster.sh', ['kill', 'history'], env);
        const status = opsScript('cluster.sh', ['status'], env, true);
        const line = status
          .split('\n')
          .find((l) => l.startsWith('history'))
          ?.replace(/\s+/g, ' ');
        return `ops/cluster.sh kill history (kill -9 of its process; status then: "${line ?? '?'}")`;
      },
      restartHistory: () => opsScript('cluster.sh', ['start-service', 'history'], env),
      // The frontend's gRPC port and those derived from it (ops/cluster.sh: +1..+4, +10..+13), PostgreSQL's.
      ports: [0, 1, 2, 3, 4, 10, 11, 12, 13].map((d) => CLUSTER_PORT + d).concat(5440),
    };
  }
  const env = { TEMPORAL_PORT: String(DEV_PORT), TEMPORAL_UI_PORT: '8520' };
  return {
    kind,
    address: `127.0.0.1:${DEV_PORT}`,
    start: () => opsScript('temporal.sh', ['start'], env),
    stop: () => opsScript('temporal.sh', ['stop'], env),
    killHistory: () => {
      opsScript('temporal.sh', ['stop'], env);
      return 'the dev server stopped (it runs history in its one process)';
    },
    restartHistory: () => opsScript('temporal.sh', ['start'], env),
    ports: [DEV_PORT, 8520],
  };
}

export const mariadb = {
  start: () => opsScript('mariadb.sh', ['start'], { MARIADB_PORT: String(MARIADB_PORT) }),
  stop: () => opsScript('mariadb.sh', ['stop'], { MARIADB_PORT: String(MARIADB_PORT) }),
};

export const DATABASE_URL = `mysql://cofi:cofi@127.0.0.1:${MARIADB_PORT}/cofi_topology`;

/** The environment every cofi process of the run gets (each one the whole fleet: routing needs it). */
export function appEnv(temporal: TemporalSide): Record<string, string> {
  return {
    DATABASE_URL,
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: NAMESPACE,
    COFI_TASK_QUEUE: PREFIX,
    AUDIO_DIR: path.join(DATA, 'audio'),
    COFI_FLEET: JSON.stringify(FLEET),
    DAILY_CRON: '',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    MAX_UPLOAD_FILES: '10000',
    LOG_LEVEL: 'warn',
  };
}

export type Roles = 'orchestrator' | 'gpu' | 'llm';
export type CofiProcess = ManagedProcess & { role: Roles; nodeId?: string };

export type Stack = {
  temporal: TemporalSide;
  simulator: ManagedProcess;
  apis: ManagedProcess[];
  orchestrators: CofiProcess[];
  agents: CofiProcess[];
  all(): ManagedProcess[];
};

async function withClient<T>(address: string, use: (c: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    return await use(new Client({ connection, namespace: NAMESPACE }));
  } finally {
    await connection.close();
  }
}

/**
 * Whether process `pid` polls `queue` (of workflow or activity tasks) as Temporal's matching service sees it:
 * the readiness of a worker process (its metrics port, when it has one, answers before it polls).
 */
export async function polls(
  address: string,
  queue: string,
  type: 'workflow' | 'activity',
  pid: number | undefined,
): Promise<boolean> {
  if (!pid) return false;
  try {
    return await withClient(address, async (client) => {
      const res = await client.workflowService.describeTaskQueue({
        namespace: NAMESPACE,
        taskQueue: { name: queue, kind: 1 },
        taskQueueType: type === 'workflow' ? 1 : 2,
      });
      const mine = new RegExp(`(^|\\D)${pid}(\\D|$)`);
      return (res.pollers ?? []).some((p) => mine.test(p.identity ?? ''));
    });
  } catch {
    return false;
  }
}

/** The queues a process of `role` must be seen polling before it counts as started. */
function readiness(address: string, role: Roles, nodeId: string | undefined, pid: () => number | undefined) {
  return async () => {
    if (role === 'orchestrator')
      return (
        (await polls(address, mainQueue(PREFIX), 'workflow', pid())) &&
        (await polls(address, audioQueue(PREFIX), 'activity', pid()))
      );
    const queue = role === 'gpu' ? gpuQueue(PREFIX, nodeId ?? '') : llmQueue(PREFIX, nodeId ?? '');
    return polls(address, queue, 'activity', pid());
  };
}

function worker(
  temporal: TemporalSide,
  name: string,
  role: Roles,
  roles: string,
  nodeId?: string,
): CofiProcess {
  let proc: ManagedProcess | undefined;
  const pid = () => proc?.pid();
  proc = managed(
    name,
    'worker/main.ts',
    { ...appEnv(temporal), WORKER_ROLES: roles },
    LOGS,
    readiness(temporal.address, role, nodeId, pid),
  );
  return Object.assign(proc, { role, ...(nodeId ? { nodeId } : {}) });
}

export function createStack(temporal: TemporalSide, timeScale: number): Stack {
  const env = appEnv(temporal);
  const simulator = managed(
    'simulator',
    'topology/simulator.ts',
    { ...env, SIM_TIME_SCALE: String(timeScale), TOPOLOGY_SIM_STATS_PORT: '9409' },
    LOGS,
    () => httpOk(`${SIM_STATS}/stats`),
  );
  const apis = API_PORTS.map((port, i) =>
    managed(`api-${i + 1}`, 'api/main.ts', { ...env, API_PORT: String(port) }, LOGS, () =>
      httpOk(`http://127.0.0.1:${port}/health`),
    ),
  );
  const orchestrators = [1, 2].map((i) =>
    worker(temporal, `orchestrator-${i}`, 'orchestrator', 'orchestrator,audio'),
  );
  const agents = [
    ...NODES.map((n) => worker(temporal, `agent-${n.id}`, 'gpu', `node:${n.id}`, n.id)),
    worker(temporal, `agent-${LLM.id}`, 'llm', `llm:${LLM.id}`, LLM.id),
  ];
  return {
    temporal,
    simulator,
    apis,
    orchestrators,
    agents,
    all: () => [simulator, ...apis, ...orchestrators, ...agents],
  };
}

/** Every port of the run that still accepts connections (none should, once it has cleaned up). */
export async function openPorts(temporal: TemporalSide): Promise<number[]> {
  const ports = [MARIADB_PORT, ...API_PORTS, ...NODES.map((n) => n.port), LLM.port, 9409, ...temporal.ports];
  const open = await Promise.all(ports.map((p) => portOpen(p).then((o) => (o ? p : null))));
  return open.filter((p): p is number => p !== null);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

export { sleep };
