// docker-compose.yml and the Dockerfile, checked against the code: the topology, its ports, and every
// variable a cofi container receives (Docker is not needed: the files are parsed, not run).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { accessMode } from '../../api/auth.js';
import { envSchema, loadConfig } from '../../core/config.js';

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
const compose = parse(read('docker-compose.yml')) as Compose;
const services = compose.services;
/** The services that run cofi's own image, and so are configured by core/config.ts. */
const COFI_SERVICES = ['migrate', 'worker', 'api'] as const;
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

describe('docker-compose.yml: topology', () => {
  test('declares the production topology', () => {
    for (const name of [
      'mysql',
      'temporal-admin-tools',
      'temporal',
      'temporal-ui',
      'migrate',
      'worker',
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

  test('worker and api wait for the migrations to complete and for Temporal to be healthy', () => {
    for (const name of ['worker', 'api']) {
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

  test('the namespace job creates the namespace cofi uses, before the worker and the API start', () => {
    assert.equal(
      defaultEnvironment('temporal-create-namespace').TEMPORAL_NAMESPACE,
      defaultEnvironment('api').TEMPORAL_NAMESPACE,
    );
    for (const name of ['worker', 'api']) {
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

  test('the simulator is opt-in and shares the worker network, where the default fleet points', () => {
    const simulator = service('simulator');
    assert.deepEqual(simulator.profiles, ['simulated']);
    assert.equal(simulator.network_mode, 'service:worker');
    for (const n of [
      ...loadConfig(defaultEnvironment('worker')).fleet.nodes,
      ...loadConfig(defaultEnvironment('worker')).fleet.llm,
    ]) {
      assert.equal(new URL(n.url).hostname, '127.0.0.1', `${n.id} is on the worker's loopback`);
    }
  });

  test('the API and the worker share the audio store (a named volume at AUDIO_DIR)', () => {
    const mountAt = (name: string, path: string) =>
      (service(name).volumes ?? [])
        .map((v) => (typeof v === 'string' ? { source: v.split(':')[0], target: v.split(':')[1] } : v))
        .find((v) => v.target === path)?.source;
    for (const key of ['AUDIO_DIR', 'DAILY_DIR'] as const) {
      const apiPath = defaultEnvironment('api')[key] ?? '';
      assert.equal(defaultEnvironment('worker')[key], apiPath, `api and worker agree on ${key}`);
      const volume = mountAt('api', apiPath);
      assert.ok(volume && volume in (compose.volumes ?? {}), `${key}=${apiPath} is a named volume on api`);
      assert.equal(mountAt('worker', apiPath), volume, `${key} is the same volume on the worker`);
    }
  });
});

describe('docker-compose.yml: the environment of cofi containers', () => {
  const known = new Set(Object.keys(envSchema.shape));

  test('every variable given to migrate, worker, api and simulator is one core/config.ts reads', () => {
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

  test('loadConfig accepts the environment of migrate, worker, api and simulator with every default applied', () => {
    const noFiles = (path: string): string => {
      throw new Error(`compose defaults must not point COFI_FLEET at a file (${path})`);
    };
    for (const name of CONFIGURED_SERVICES) {
      assert.doesNotThrow(() => loadConfig(defaultEnvironment(name), noFiles), `${name}'s environment`);
    }
    const api = loadConfig(defaultEnvironment('api'));
    assert.equal(api.API_HOST, '0.0.0.0', 'the API listens beyond the container');
    assert.equal(api.API_PORT, 5064);
    const worker = loadConfig(defaultEnvironment('worker'));
    assert.equal(worker.COFI_SIMULATOR, false, 'containers never start the simulator themselves');
  });

  test('an overridden variable reaches the config (COFI_FLEET, API_KEYS)', () => {
    const fleet =
      '{"nodes":[{"id":"gpu-a","url":"http://gpu-a:8000","capacity":2}],"llm":[{"id":"vllm-1","url":"http://vllm:8000","capacity":8}]}';
    const shell = { COFI_FLEET: fleet, API_KEYS: `operator:${'a'.repeat(64)}` };
    const env = (name: string) =>
      Object.fromEntries(
        Object.entries(environmentOf(service(name))).map(([k, v]) => [k, interpolate(v, shell)]),
      );
    assert.deepEqual(
      loadConfig(env('worker')).fleet.nodes.map((n) => n.id),
      ['gpu-a'],
    );
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

  test('api, worker, migrate and simulator agree on every variable they share', () => {
    for (const [a, b] of [
      ['api', 'worker'],
      ['api', 'migrate'],
      ['worker', 'migrate'],
      ['worker', 'simulator'],
    ] as const) {
      const envA = environmentOf(service(a));
      const envB = environmentOf(service(b));
      for (const key of Object.keys(envB).filter((k) => k in envA)) {
        assert.equal(envB[key], envA[key], `${b}.${key} differs from ${a}.${key}`);
      }
    }
    assert.equal(
      environmentOf(service('simulator')).COFI_FLEET,
      environmentOf(service('worker')).COFI_FLEET,
      'the simulator serves the fleet the worker calls',
    );
  });

  test('the API and the worker (its schedule) both start batch workflows, with every batch setting', () => {
    // batchSettings(config) reads these where a batch starts: a setting given to one of them only would
    // make an uploaded batch and a scheduled day run differently.
    for (const key of ['BATCH_WINDOW', 'BATCH_RUN_EVENTS', 'STAGE_ATTEMPTS', 'STAGE_RETRY_MAX_MS']) {
      for (const name of ['api', 'worker']) {
        assert.ok(key in environmentOf(service(name)), `${name} is given ${key}`);
      }
    }
  });

  test('Compose waits longer than the worker lets the requests in hand finish before it sends SIGKILL', () => {
    const grace = loadConfig(defaultEnvironment('worker')).WORKER_SHUTDOWN_GRACE_MS;
    const stop = /^(\d+)s$/.exec(service('worker').stop_grace_period ?? '10s'); // Compose's default: 10 s
    assert.ok(stop, `stop_grace_period "${service('worker').stop_grace_period}" is in seconds`);
    assert.ok(Number(stop[1]) * 1000 > grace, `stop_grace_period ${stop[1]} s, grace ${grace} ms`);
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
    assert.equal(scriptOf(commandOf(service('worker'))), 'worker/main.ts');
    assert.ok(
      commandOf(service('worker')).some((a) => a.startsWith('--max-old-space-size=${WORKER_HEAP_MB')),
      'the worker runs with its heap capped, as npm start runs it',
    );
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
