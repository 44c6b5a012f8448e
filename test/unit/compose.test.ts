// docker-compose.yml and the Dockerfile, checked against the code: the topology, its ports, and every
// variable a cofi container receives (Docker is not needed: the files are parsed, not run).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { accessMode } from '../../api/auth.js';
import { envSchema, loadConfig, SIMULATED_FLEET } from '../../core/config.js';
import { parseRoles, type WorkerRoles } from '../../worker/roles.js';

type Service = {
  image?: string;
  build?: unknown;
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  ports?: (string | number | { target: number; published?: string | number })[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  volumes?: (string | { source?: string; target: string })[];
  healthcheck?: { test?: unknown };
  restart?: string;
  profiles?: string[];
  entrypoint?: string | string[];
  network_mode?: string;
  configs?: (string | { source: string; target?: string })[];
  stop_grace_period?: string;
};
type Compose = {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  configs?: Record<string, { content?: string }>;
};

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
// Compose resolves YAML merge keys (`<<: *agent`); the yaml package does only when asked.
const compose = parse(read('docker-compose.yml'), { merge: true }) as Compose;
const services = compose.services;
/** The node agents of the `gpu` profile (one per GPU host) and the `simulated` profile's one for all. */
const AGENTS = ['gpu-agent-1', 'gpu-agent-2', 'gpu-agent-3', 'llm-agent-1', 'sim-agents'] as const;
/** The services that run worker/main.ts: the orchestrators and the node agents. */
const WORKERS = ['orchestrator', ...AGENTS] as const;
/** The services that run cofi's own image, and so are configured by core/config.ts. */
const COFI_SERVICES = ['migrate', ...WORKERS, 'api'] as const;
/** Every service of the project image: the simulator reads its fleet through core/config.ts too. */
const CONFIGURED_SERVICES = [...COFI_SERVICES, 'simulator'] as const;

function service(name: string): Service {
  const s = services[name];
  assert.ok(s, `docker-compose.yml has no service "${name}"`);
  return s;
}

/** A service's environment as written (before interpolation), in its map or its list form. */
function environmentOf(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((entry) => {
        const i = entry.indexOf('=');
        return i < 0 ? [entry, ''] : [entry.slice(0, i), entry.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

const INTERPOLATION = /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

/** Compose's interpolation with `vars` as the shell and .env: `${A}`, `${A:-d}`, `${A-d}`, `$$`. */
function interpolate(value: string, vars: Record<string, string> = {}): string {
  return value.replace(INTERPOLATION, (match, braced?: string, op?: string, word = '', bare?: string) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const set = name in vars;
    const current = vars[name] ?? '';
    switch (op) {
      case ':-':
        return current !== '' ? current : word;
      case '-':
        return set ? current : word;
      case ':?':
      case '?':
        if (!set || (op === ':?' && current === '')) throw new Error(`${name} is required: ${word}`);
        return current;
      case ':+':
        return current !== '' ? word : '';
      case '+':
        return set ? word : '';
      default:
        return current;
    }
  });
}

/** The `${...}` references of a value, with their operator (undefined: no default). */
function references(value: string) {
  return [...value.matchAll(INTERPOLATION)]
    .filter((m) => m[0] !== '$$')
    .map((m) => ({ name: (m[1] ?? m[4]) as string, op: m[2], word: m[3] ?? '' }));
}

/** The environment a container gets when nothing is set in the shell or .env: every default applies. */
const defaultEnvironment = (name: string) =>
  Object.fromEntries(Object.entries(environmentOf(service(name))).map(([k, v]) => [k, interpolate(v)]));

function publishedPorts(s: Service): { published: number; target: number }[] {
  return (s.ports ?? []).map((port) => {
    if (typeof port === 'object') return { published: Number(port.published), target: port.target };
    const parts = String(port)
      .replace(/\/(tcp|udp)$/, '')
      .split(':');
    const target = Number(parts.at(-1));
    return { published: parts.length > 1 ? Number(parts.at(-2)) : target, target };
  });
}

function dependencies(s: Service): { name: string; condition: string }[] {
  const deps = s.depends_on ?? [];
  if (Array.isArray(deps)) return deps.map((name) => ({ name, condition: 'service_started' }));
  return Object.entries(deps).map(([name, d]) => ({ name, condition: d.condition ?? 'service_started' }));
}

const commandOf = (s: Service) =>
  typeof s.command === 'string' ? s.command.split(/\s+/) : (s.command ?? []);

/** `npx tsx <file>` → the file it runs. */
function scriptOf(argv: readonly string[]): string {
  // `npx tsx file.ts`, or `node <flags> --import tsx file.ts` (the worker, whose heap is capped).
  const viaNode =
    argv[0] === 'node' && argv.includes('--import') && argv[argv.indexOf('--import') + 1] === 'tsx';
  if (!viaNode)
    assert.deepEqual(argv.slice(0, 2), ['npx', 'tsx'], `runs TypeScript through tsx: ${argv.join(' ')}`);
  const file = viaNode ? argv[argv.indexOf('--import') + 2] : argv[2];
  if (!file?.endsWith('.ts')) assert.fail(`names a .ts file: ${argv.join(' ')}`);
  return file;
}

/** The profiles a service runs in (none: always). */
const profilesOf = (name: string) => service(name).profiles ?? [];

/** What a service polls: its WORKER_ROLES, with every default, parsed against its own fleet. */
function rolesOf(name: string, shell: Record<string, string> = {}): WorkerRoles {
  const env = Object.fromEntries(
    Object.entries(environmentOf(service(name))).map(([k, v]) => [k, interpolate(v, shell)]),
  );
  const config = loadConfig(env);
  return parseRoles(config.WORKER_ROLES, config.fleet);
}

const pollsANode = (r: WorkerRoles) => r.nodes.length > 0 || r.llm.length > 0;

/** Whether a service runs worker/main.ts (the only program WORKER_ROLES means anything to). */
const runsWorker = (name: string) => commandOf(service(name)).includes('worker/main.ts');

describe('docker-compose.yml: topology', () => {
  test('declares the production topology', () => {
    for (const name of [
      'mysql',
      'temporal-admin-tools',
      'temporal',
      'temporal-ui',
      'migrate',
      'orchestrator',
      ...AGENTS,
      'api',
    ]) {
      service(name);
    }
    assert.match(service('mysql').image ?? '', /^mysql:8\.4(\.\d+)?$/);
    assert.match(service('temporal').image ?? '', /^temporalio\/server:/);
    assert.match(service('temporal-admin-tools').image ?? '', /^temporalio\/admin-tools:/);
    assert.match(service('temporal-ui').image ?? '', /^temporalio\/ui:/);
    for (const name of Object.keys(services)) {
      assert.doesNotMatch(
        service(name).image ?? '',
        /auto-setup/,
        `${name}: the auto-setup image is deprecated`,
      );
    }
  });

  test('third-party images are pinned to a version; cofi services are built from the Dockerfile', () => {
    for (const [name, s] of Object.entries(services)) {
      if (s.build !== undefined) continue;
      const tag = /^[^:]+:(.+)$/.exec(s.image ?? '')?.[1];
      assert.ok(tag && /\d/.test(tag) && tag !== 'latest', `${name}: image "${s.image}" is pinned`);
    }
    for (const name of COFI_SERVICES) assert.ok(service(name).build !== undefined, `${name} is built`);
  });

  test('the mysql service creates the user and database that DATABASE_URL and Temporal log in with', () => {
    const raw = (name: string) => environmentOf(service(name));
    // With the defaults and with passwords set in the shell: a password hard-coded in one place fails.
    const shells: Record<string, string>[] = [
      {},
      { COFI_DB_PASSWORD: 'c0fi-pw', TEMPORAL_DB_PASSWORD: 't3mporal-pw' },
    ];
    for (const shell of shells) {
      const env = (name: string) =>
        Object.fromEntries(Object.entries(raw(name)).map(([k, v]) => [k, interpolate(v, shell)]));
      const mysql = env('mysql');
      for (const name of COFI_SERVICES) {
        const url = new URL(env(name).DATABASE_URL ?? '');
        assert.equal(url.hostname, 'mysql', `${name} connects to the mysql service`);
        assert.equal(url.port || '3306', '3306', `${name}: port`);
        assert.equal(url.username, mysql.MYSQL_USER, `${name}: user`);
        assert.equal(decodeURIComponent(url.password), mysql.MYSQL_PASSWORD, `${name}: password`);
        assert.equal(url.pathname.slice(1), mysql.MYSQL_DATABASE, `${name}: database`);
      }
      const temporal = env('temporal');
      assert.ok(
        (service('mysql').configs ?? []).some(
          (c) =>
            typeof c === 'object' &&
            c.source === 'mysql-temporal-user' &&
            c.target?.startsWith('/docker-entrypoint-initdb.d/'),
        ),
        "the mysql service runs the script that creates Temporal's user on its first start",
      );
      const grants = interpolate(compose.configs?.['mysql-temporal-user']?.content ?? '', shell);
      assert.ok(
        grants.includes(`'${temporal.MYSQL_USER}'@'%' IDENTIFIED BY '${temporal.MYSQL_PWD}'`),
        `the init script creates Temporal's user with its password: ${grants}`,
      );
      assert.equal(env('temporal-admin-tools').SQL_USER, temporal.MYSQL_USER);
      assert.equal(env('temporal-admin-tools').SQL_PASSWORD, temporal.MYSQL_PWD);
    }
  });

  test('Temporal runs on the MySQL service with its schema set up by the admin-tools job', () => {
    const env = defaultEnvironment('temporal');
    assert.equal(env.DB, 'mysql8');
    assert.ok(services[env.MYSQL_SEEDS ?? ''], `MYSQL_SEEDS "${env.MYSQL_SEEDS}" is a service`);
    assert.equal(defaultEnvironment('temporal-admin-tools').SQL_PASSWORD, env.MYSQL_PWD);
    const schemaJob = JSON.stringify(service('temporal-admin-tools').command);
    for (const db of ['temporal', 'temporal_visibility']) {
      assert.match(schemaJob, new RegExp(`--db ${db} setup-schema`), `${db} schema is set up`);
      assert.match(schemaJob, new RegExp(`--db ${db} update-schema`), `${db} schema is updated`);
    }
  });

  test('the API is published on 5064 and the Temporal Web UI on 8233', () => {
    assert.ok(
      publishedPorts(service('api')).some((p) => p.published === 5064 && p.target === 5064),
      JSON.stringify(service('api').ports),
    );
    assert.equal(defaultEnvironment('api').API_PORT, '5064');
    assert.ok(
      publishedPorts(service('temporal-ui')).some((p) => p.published === 8233 && p.target === 8080),
      JSON.stringify(service('temporal-ui').ports),
    );
  });

  test('depends_on names services of this file, with conditions they can meet', () => {
    for (const [name, s] of Object.entries(services)) {
      for (const dep of dependencies(s)) {
        const target = services[dep.name];
        assert.ok(target, `${name} depends on "${dep.name}", which is not a service`);
        assert.ok(
          ['service_started', 'service_healthy', 'service_completed_successfully'].includes(dep.condition),
          `${name} -> ${dep.name}: condition ${dep.condition}`,
        );
        if (dep.condition === 'service_healthy') {
          assert.ok(
            target.healthcheck?.test,
            `${name} waits for ${dep.name} to be healthy: it needs a healthcheck`,
          );
        }
        if (dep.condition === 'service_completed_successfully') {
          assert.match(target.restart ?? 'no', /^(no|on-failure(:\d+)?)$/, `${dep.name} is a one-shot job`);
        }
      }
    }
  });

  test('workers and api wait for the migrations to complete and for Temporal to be healthy', () => {
    for (const name of [...WORKERS, 'api']) {
      const deps = dependencies(service(name));
      assert.ok(
        deps.some((d) => d.name === 'migrate' && d.condition === 'service_completed_successfully'),
        `${name} waits for migrate`,
      );
      assert.ok(
        deps.some((d) => d.name === 'temporal' && d.condition === 'service_healthy'),
        `${name} waits for temporal`,
      );
    }
    assert.ok(
      dependencies(service('temporal')).some(
        (d) => d.name === 'temporal-admin-tools' && d.condition === 'service_completed_successfully',
      ),
      'temporal waits for its schema',
    );
  });

  test('the namespace job creates the namespace cofi uses, before the workers and the API start', () => {
    for (const name of [...WORKERS, 'api']) {
      assert.equal(
        defaultEnvironment(name).TEMPORAL_NAMESPACE,
        defaultEnvironment('temporal-create-namespace').TEMPORAL_NAMESPACE,
        `${name}'s namespace`,
      );
    }
    for (const name of [...WORKERS, 'api']) {
      assert.ok(
        dependencies(service(name)).some(
          (d) => d.name === 'temporal-create-namespace' && d.condition === 'service_completed_successfully',
        ),
        `${name} waits for the namespace`,
      );
    }
  });

  test("the one-shot jobs' scripts are valid shell once Compose has interpolated them", () => {
    for (const name of ['temporal-admin-tools', 'temporal-create-namespace']) {
      const s = service(name);
      assert.deepEqual(s.entrypoint, ['/bin/sh', '-c'], `${name} runs a shell script`);
      const raw = commandOf(s).join('\n');
      // Compose would substitute an unescaped $VAR from the host: the scripts' own variables are $$VAR.
      assert.deepEqual(
        references(raw).map((r) => r.name),
        [],
        `${name}: unescaped variables`,
      );
      const script = interpolate(raw);
      assert.doesNotThrow(() => execFileSync('sh', ['-n', '-c', script]), `${name}: ${script}`);
    }
  });

  test('the simulator is opt-in and shares the network of the one agent that calls its nodes', () => {
    const simulator = service('simulator');
    assert.deepEqual(simulator.profiles, ['simulated']);
    const shared = /^service:(.+)$/.exec(simulator.network_mode ?? '')?.[1] ?? '';
    assert.ok(AGENTS.includes(shared as (typeof AGENTS)[number]), `network_mode ${simulator.network_mode}`);
    assert.deepEqual(service(shared).profiles, ['simulated'], `${shared} runs with the simulator`);
    // The simulator listens on loopback: any other service polling a node would call a loopback with no server.
    const polling = Object.keys(services).filter(
      (name) => profilesOf(name).includes('simulated') && runsWorker(name) && pollsANode(rolesOf(name)),
    );
    assert.deepEqual(polling, [shared], 'in the simulated profile only the network sharer polls nodes');
    const fleet = loadConfig(defaultEnvironment(shared)).fleet;
    for (const n of [...fleet.nodes, ...fleet.llm]) {
      assert.equal(new URL(n.url).hostname, '127.0.0.1', `${n.id} is on ${shared}'s loopback`);
    }
  });

  test('the API, the orchestrator and every agent share the audio store (a named volume at AUDIO_DIR)', () => {
    const mountAt = (name: string, path: string) =>
      (service(name).volumes ?? [])
        .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
        .find((v) => v.target === path)?.source;
    for (const key of ['AUDIO_DIR', 'DAILY_DIR'] as const) {
      const apiPath = defaultEnvironment('api')[key] ?? '';
      const volume = mountAt('api', apiPath);
      assert.ok(volume && volume in (compose.volumes ?? {}), `${key}=${apiPath} is a named volume on api`);
      // LID and STT read the recordings: the agents need the audio; the daily folder is the orchestrator's.
      for (const name of key === 'AUDIO_DIR' ? WORKERS : (['orchestrator'] as const)) {
        assert.equal(defaultEnvironment(name)[key], apiPath, `api and ${name} agree on ${key}`);
        assert.equal(mountAt(name, apiPath), volume, `${key} is the same volume on ${name}`);
      }
    }
  });
});

describe('docker-compose.yml: worker roles', () => {
  test('the worker services are the orchestrator and the agents, and every one names its roles', () => {
    const workers = Object.keys(services).filter(runsWorker);
    assert.deepEqual(workers.sort(), [...WORKERS].sort());
    for (const name of workers) {
      // Unset, WORKER_ROLES is `all`: a replica would poll every node with the node's capacity.
      assert.ok(environmentOf(service(name)).WORKER_ROLES, `${name} sets WORKER_ROLES`);
      assert.doesNotThrow(() => rolesOf(name), `${name}: WORKER_ROLES parses against the default fleet`);
    }
  });

  test('the orchestrator runs workflows and the ffmpeg stages and polls no node, so it scales freely', () => {
    const roles = rolesOf('orchestrator');
    assert.equal(roles.orchestrator, true);
    assert.equal(roles.audio, true);
    assert.deepEqual(roles.nodes, [], 'the orchestrator polls no GPU node');
    assert.deepEqual(roles.llm, [], 'the orchestrator polls no LLM endpoint');
    assert.deepEqual(profilesOf('orchestrator'), [], 'it runs in every profile');
    assert.equal(
      service('orchestrator').ports,
      undefined,
      'no published port stops `--scale orchestrator=N`',
    );
    for (const name of Object.keys(services).filter(runsWorker)) {
      if (profilesOf(name).length === 0)
        assert.ok(!pollsANode(rolesOf(name)), `${name} runs in every profile and must poll no node`);
    }
  });

  test('the agents run no workflows, bookkeeping or ffmpeg stages', () => {
    for (const name of AGENTS) {
      const roles = rolesOf(name);
      assert.equal(roles.orchestrator, false, `${name} is no orchestrator`);
      assert.equal(roles.audio, false, `${name} runs no audio stage`);
      assert.ok(pollsANode(roles), `${name} is the agent of some node`);
    }
  });

  test('profile gpu: every node and endpoint of the default fleet has exactly one agent service', () => {
    const gpu = Object.keys(services).filter((n) => profilesOf(n).includes('gpu') && runsWorker(n));
    const count = new Map<string, string[]>();
    for (const name of gpu) {
      const roles = rolesOf(name);
      for (const id of [...roles.nodes, ...roles.llm]) count.set(id, [...(count.get(id) ?? []), name]);
      // One per GPU host: an agent of two nodes could not run next to both.
      assert.equal(roles.nodes.length + roles.llm.length, 1, `${name} is the agent of one node`);
    }
    for (const n of [...SIMULATED_FLEET.nodes, ...SIMULATED_FLEET.llm]) {
      assert.equal(count.get(n.id)?.length, 1, `${n.id}: agents ${count.get(n.id)?.join(', ') ?? 'none'}`);
    }
    assert.deepEqual(
      [...count.keys()].sort(),
      [...SIMULATED_FLEET.nodes, ...SIMULATED_FLEET.llm].map((n) => n.id).sort(),
    );
  });

  test('profile simulated: its agent covers every node and endpoint of the default fleet', () => {
    const simulated = Object.keys(services).filter(
      (n) => profilesOf(n).includes('simulated') && runsWorker(n),
    );
    const nodes = new Set(simulated.flatMap((name) => rolesOf(name).nodes));
    const llm = new Set(simulated.flatMap((name) => rolesOf(name).llm));
    assert.deepEqual([...nodes].sort(), SIMULATED_FLEET.nodes.map((n) => n.id).sort());
    assert.deepEqual([...llm].sort(), SIMULATED_FLEET.llm.map((n) => n.id).sort());
    for (const name of simulated) assert.ok(!profilesOf(name).includes('gpu'), `${name} is not in gpu too`);
  });

  test("the gpu profile's agents serve the ids given in the shell, against the fleet given there", () => {
    const fleet = JSON.stringify({
      nodes: [
        { id: 'gpu-a', url: 'http://gpu-a:8000', capacity: 2 },
        { id: 'gpu-b', url: 'http://gpu-b:8000', capacity: 2 },
        { id: 'gpu-c', url: 'http://gpu-c:8000', capacity: 2 },
      ],
      llm: [{ id: 'vllm-1', url: 'http://vllm:8000', capacity: 8 }],
    });
    const shell = {
      COFI_FLEET: fleet,
      GPU_AGENT_1_NODE: 'gpu-a',
      GPU_AGENT_2_NODE: 'gpu-b',
      GPU_AGENT_3_NODE: 'gpu-c',
      LLM_AGENT_1_ENDPOINT: 'vllm-1',
    };
    const polled = (name: string) => {
      const r = rolesOf(name, shell);
      return [...r.nodes, ...r.llm];
    };
    assert.deepEqual(polled('gpu-agent-1'), ['gpu-a']);
    assert.deepEqual(polled('gpu-agent-2'), ['gpu-b']);
    assert.deepEqual(polled('gpu-agent-3'), ['gpu-c']);
    assert.deepEqual(polled('llm-agent-1'), ['vllm-1']);
    assert.deepEqual(polled('sim-agents'), ['gpu-a', 'gpu-b', 'gpu-c', 'vllm-1']);
    assert.deepEqual(polled('orchestrator'), []);
    // A fleet without the default ids: an agent left on its default is refused at start, not silently idle.
    assert.throws(() => rolesOf('gpu-agent-1', { COFI_FLEET: fleet }), /names no GPU node of COFI_FLEET/);
  });

  test('every agent has the database (its lease), Temporal and the same fleet and queue prefix', () => {
    const orchestrator = loadConfig(defaultEnvironment('orchestrator'));
    for (const name of AGENTS) {
      const env = environmentOf(service(name));
      for (const key of [
        'DATABASE_URL',
        'TEMPORAL_ADDRESS',
        'TEMPORAL_NAMESPACE',
        'COFI_TASK_QUEUE',
        'COFI_FLEET',
      ]) {
        assert.ok(key in env, `${name} is given ${key}`);
        assert.equal(
          env[key],
          environmentOf(service('orchestrator'))[key],
          `${name}.${key} as the orchestrator's`,
        );
      }
      const config = loadConfig(defaultEnvironment(name));
      assert.equal(new URL(config.DATABASE_URL).hostname, 'mysql', `${name}: database`);
      assert.equal(config.TEMPORAL_ADDRESS, orchestrator.TEMPORAL_ADDRESS, `${name}: Temporal`);
      assert.deepEqual(config.fleet, orchestrator.fleet, `${name}: fleet`);
      assert.ok('NODE_AGENT_LEASE_MS' in env, `${name} is given NODE_AGENT_LEASE_MS`);
    }
  });
});

describe('docker-compose.yml: the environment of cofi containers', () => {
  const known = new Set(Object.keys(envSchema.shape));

  test('every variable given to the cofi services and the simulator is one core/config.ts reads', () => {
    for (const name of CONFIGURED_SERVICES) {
      const unknown = Object.keys(environmentOf(service(name))).filter((key) => !known.has(key));
      assert.deepEqual(unknown, [], `${name} sets variables the config schema does not know`);
    }
  });

  test('every interpolated variable in them has a default, so `docker compose up` needs no .env', () => {
    for (const name of CONFIGURED_SERVICES) {
      for (const [key, value] of Object.entries(environmentOf(service(name)))) {
        for (const ref of references(value)) {
          assert.ok(ref.op === ':-' || ref.op === '-', `${name}.${key}: \${${ref.name}} has no default`);
        }
      }
    }
  });

  test("a variable passed through keeps the code's own default", () => {
    for (const name of CONFIGURED_SERVICES) {
      for (const [key, value] of Object.entries(environmentOf(service(name)))) {
        const ref = references(value)[0];
        if (!ref || value !== `\${${key}${ref.op}${ref.word}}`) continue; // not a plain pass-through
        const field = envSchema.shape[key as keyof typeof envSchema.shape];
        assert.deepEqual(
          field.parse(ref.word === '' ? undefined : ref.word),
          field.parse(undefined),
          `${name}.${key}: compose default "${ref.word}"`,
        );
      }
    }
  });

  test('loadConfig accepts the environment of every cofi service and the simulator with every default applied', () => {
    const noFiles = (path: string): string => {
      throw new Error(`compose defaults must not point COFI_FLEET at a file (${path})`);
    };
    for (const name of CONFIGURED_SERVICES) {
      assert.doesNotThrow(() => loadConfig(defaultEnvironment(name), noFiles), `${name}'s environment`);
    }
    const api = loadConfig(defaultEnvironment('api'));
    assert.equal(api.API_HOST, '0.0.0.0', 'the API listens beyond the container');
    assert.equal(api.API_PORT, 5064);
    for (const name of WORKERS) {
      const worker = loadConfig(defaultEnvironment(name));
      assert.equal(worker.COFI_SIMULATOR, false, `${name}: containers never start the simulator themselves`);
    }
  });

  test('an overridden variable reaches the config (COFI_FLEET, API_KEYS)', () => {
    const fleet =
      '{"nodes":[{"id":"gpu-a","url":"http://gpu-a:8000","capacity":2}],"llm":[{"id":"vllm-1","url":"http://vllm:8000","capacity":8}]}';
    const shell = { COFI_FLEET: fleet, API_KEYS: `operator:${'a'.repeat(64)}` };
    const env = (name: string) =>
      Object.fromEntries(
        Object.entries(environmentOf(service(name))).map(([k, v]) => [k, interpolate(v, shell)]),
      );
    for (const name of [...WORKERS, 'api', 'simulator']) {
      assert.deepEqual(
        loadConfig(env(name)).fleet.nodes.map((n) => n.id),
        ['gpu-a'],
        `${name} gets the fleet`,
      );
    }
    assert.equal(loadConfig(env('api')).API_KEYS.length, 1);
  });

  test('database and Temporal addresses name services of this file', () => {
    for (const name of COFI_SERVICES) {
      const config = loadConfig(defaultEnvironment(name));
      const dbHost = new URL(config.DATABASE_URL).hostname;
      assert.ok(services[dbHost], `${name}: DATABASE_URL host "${dbHost}" is a service`);
      if (name === 'migrate') continue;
      const temporalHost = config.TEMPORAL_ADDRESS.split(':')[0] ?? '';
      assert.ok(services[temporalHost], `${name}: TEMPORAL_ADDRESS host "${temporalHost}" is a service`);
    }
  });

  test('api, orchestrator, agents, migrate and simulator agree on every variable they share', () => {
    const pairs: [string, string][] = [
      ['api', 'orchestrator'],
      ['api', 'migrate'],
      ['orchestrator', 'migrate'],
      ['sim-agents', 'simulator'],
      ...AGENTS.flatMap((agent): [string, string][] => [
        ['orchestrator', agent],
        ['api', agent],
      ]),
    ];
    for (const [a, b] of pairs) {
      const envA = environmentOf(service(a));
      const envB = environmentOf(service(b));
      // WORKER_ROLES is what tells the worker services apart.
      for (const key of Object.keys(envB).filter((k) => k in envA && k !== 'WORKER_ROLES')) {
        assert.equal(envB[key], envA[key], `${b}.${key} differs from ${a}.${key}`);
      }
    }
    assert.equal(
      environmentOf(service('simulator')).COFI_FLEET,
      environmentOf(service('sim-agents')).COFI_FLEET,
      'the simulator serves the fleet the agents call',
    );
  });

  test('the API and the orchestrator (its schedule) both start batch workflows, with every batch setting', () => {
    // batchSettings(config) reads these where a batch starts: a setting given to one of them only would
    // make an uploaded batch and a scheduled day run differently. The keys are batchSettings' own.
    const batchKeys = [
      'BATCH_WINDOW',
      'BATCH_RUN_EVENTS',
      'STAGE_ATTEMPTS',
      'STAGE_RETRY_MAX_MS',
      'STAGE_SCHEDULE_TO_START_MS',
    ];
    const definitions = read('workflows/definitions.ts');
    const from = definitions.indexOf('export function batchSettings(');
    const settings = definitions.slice(from, definitions.indexOf('\n}\n', from));
    assert.ok(from >= 0 && settings.length > 0, 'workflows/definitions.ts has batchSettings');
    const reads = [...settings.matchAll(/config\.([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string);
    assert.deepEqual(
      [...new Set(reads)].filter((k) => k !== 'COFI_TASK_QUEUE').sort(),
      [...batchKeys].sort(),
      'workflows/definitions.ts reads these batch settings',
    );
    for (const key of batchKeys) {
      for (const name of ['api', 'orchestrator']) {
        assert.ok(key in environmentOf(service(name)), `${name} is given ${key}`);
      }
    }
  });

  test('Compose waits longer than a worker lets the requests in hand finish before it sends SIGKILL', () => {
    for (const name of WORKERS) {
      const grace = loadConfig(defaultEnvironment(name)).WORKER_SHUTDOWN_GRACE_MS;
      const period = service(name).stop_grace_period;
      const stop = /^(\d+)s$/.exec(period ?? '10s'); // Compose's default: 10 s
      assert.ok(stop, `${name}: stop_grace_period "${period}" is in seconds`);
      assert.ok(Number(stop[1]) * 1000 > grace, `${name}: stop_grace_period ${stop[1]} s, grace ${grace} ms`);
    }
  });

  test('the API does not start open to the network without keys', () => {
    assert.equal(accessMode(loadConfig(defaultEnvironment('api'))).mode, 'refuse');
  });
});

describe('Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const instructions = dockerfile
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
  const last = (keyword: string) => instructions.filter((l) => l.startsWith(`${keyword} `)).at(-1);

  test('builds on Node 20 (bookworm-slim) with ffmpeg, npm ci, and a non-root user', () => {
    assert.match(last('FROM') ?? '', /^FROM node:20(\.\d+)*-bookworm-slim$/);
    assert.ok(
      instructions.some((l) => /^RUN .*apt-get install .*\bffmpeg\b/.test(l)),
      'ffmpeg is installed',
    );
    assert.ok(
      instructions.some((l) => /^RUN .*\bnpm ci\b/.test(l)),
      'dependencies come from the lock file',
    );
    const user = last('USER')?.slice(5).trim();
    assert.ok(user && !['root', '0', '0:0'].includes(user), `runs as a non-root user (USER ${user})`);
  });

  test('its CMD and every cofi service command run a file that exists', () => {
    const cmd = JSON.parse(last('CMD')?.slice(4) ?? 'null') as string[];
    assert.deepEqual(cmd, ['npx', 'tsx', 'api/main.ts'], 'the default command is the API');
    const scripts = [
      scriptOf(cmd),
      ...Object.values(services)
        .filter((s) => s.build !== undefined)
        .map((s) => scriptOf(commandOf(s))),
    ];
    for (const script of scripts) assert.ok(existsSync(new URL(script, root)), `${script} exists`);
    assert.equal(scriptOf(commandOf(service('migrate'))), 'drizzle/cli.ts');
    for (const name of WORKERS) {
      assert.equal(scriptOf(commandOf(service(name))), 'worker/main.ts', name);
      assert.ok(
        commandOf(service(name)).some((a) => a.startsWith('--max-old-space-size=${WORKER_HEAP_MB')),
        `${name} runs with its heap capped, as npm start runs the worker`,
      );
    }
  });

  test('.dockerignore keeps local state, history and results out of the image', () => {
    const ignored = new Set(
      read('.dockerignore')
        .split('\n')
        .map((l) => l.trim().replace(/^\/|\/$/g, ''))
        .filter((l) => l && !l.startsWith('#')),
    );
    for (const entry of ['node_modules', '.data', '.git', 'test-results', 'bench/results']) {
      assert.ok(ignored.has(entry), `.dockerignore lists ${entry}`);
    }
  });
});
