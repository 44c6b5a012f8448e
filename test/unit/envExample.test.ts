// .env.example kept true: every variable the code, the ops scripts and the compose file read, with its real default.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { envSchema, loadConfig } from '../../core/config.js';

const root = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');

const lines = read('.env.example').split('\n');
/** `# KEY=value` lines: the documented default of each variable (quotes removed as bash would). */
const documented = new Map(
  lines.flatMap((line) => {
    const m = /^# ([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
    return m ? [[m[1] as string, (m[2] as string).replace(/^"(.*)"$/, '$1')] as const] : [];
  }),
);
const schemaKeys = Object.keys(envSchema.shape);

const lib = read('ops/lib.sh');
const testScript = read('ops/test.sh');
/** Variables ops/lib.sh reads with a `NAME="${NAME:-default}"` fallback, plus the CLI override. */
const opsVariables = [
  ...new Set([...lib.matchAll(/^([A-Z][A-Z0-9_]*)="\$\{\1:-/gm)].map((m) => m[1] as string)),
  'TEMPORAL_CLI_PATH',
];
/** What ops/test.sh exports when the variable is unset: `export NAME="value"`. */
const testDefaults = new Map(
  [...testScript.matchAll(/^\s*export (COFI_TEST_[A-Z_]+)="([^"]*)"/gm)].map(
    (m) => [m[1] as string, m[2] as string] as const,
  ),
);
/** Every `${NAME}`, `${NAME:-d}`, `${NAME-d}` docker-compose.yml interpolates, with its default. */
const composeReferences = [
  ...read('docker-compose.yml').matchAll(/(?<!\$)\$\{([A-Z_][A-Z0-9_]*)(?::?-([^}]*))?\}/g),
].map((m) => ({ name: m[1] as string, fallback: m[2] ?? '' }));
const composeVariables = new Map(composeReferences.map((r) => [r.name, r.fallback] as const));
const TEST_SWITCHES = ['COFI_RECORD_HISTORIES'];

describe('.env.example', () => {
  test('documents every variable of the config schema', () => {
    const missing = schemaKeys.filter((key) => !documented.has(key));
    assert.deepEqual(missing, [], 'core/config.ts reads variables .env.example does not show');
  });

  test('each documented variable has a one-line comment just above it', () => {
    for (const [i, line] of lines.entries()) {
      const key = /^# ([A-Z][A-Z0-9_]*)=/.exec(line)?.[1];
      if (!key) continue;
      const above = lines[i - 1] ?? '';
      assert.ok(
        above.startsWith('# ') && !/^# [A-Z][A-Z0-9_]*=/.test(above) && above.length > 8,
        `${key} (line ${i + 1}) has no comment of its own above it`,
      );
    }
  });

  test('every documented default is the real default of the config schema', () => {
    const env = Object.fromEntries(
      [...documented].filter(([key, value]) => schemaKeys.includes(key) && value !== ''),
    );
    assert.ok(Object.keys(env).length > 20, `only ${Object.keys(env).length} defaults were found`);
    assert.deepEqual(loadConfig(env), loadConfig({}));
  });

  test('documents the provisioning variables of ops/lib.sh, with their defaults', () => {
    assert.ok(opsVariables.length >= 6, `found only ${opsVariables.join(', ')}`);
    assert.deepEqual(
      opsVariables.filter((key) => !documented.has(key)),
      [],
    );
    for (const key of ['TEMPORAL_PORT', 'TEMPORAL_UI_PORT', 'MARIADB_PORT']) {
      const fallback = new RegExp(`^${key}="\\$\\{${key}:-(\\d+)\\}"`, 'm').exec(lib)?.[1];
      assert.ok(fallback, `ops/lib.sh has a numeric default for ${key}`);
      assert.equal(documented.get(key), fallback, `${key} default`);
    }
  });

  test('documents the test variables of ops/test.sh, with what `npm test` uses when they are unset', () => {
    assert.deepEqual([...testDefaults.keys()].sort(), [
      'COFI_TEST_CPU_NODE_URL',
      'COFI_TEST_DATABASE_URL',
      'COFI_TEST_LLM_NODE_URL',
      'COFI_TEST_TEMPORAL_ADDRESS',
    ]);
    const ports = {
      $TEMPORAL_PORT: documented.get('TEMPORAL_PORT'),
      $MARIADB_PORT: documented.get('MARIADB_PORT'),
      $CPU_NODE_PORT: documented.get('CPU_NODE_PORT'),
      $LLM_NODE_PORT: documented.get('LLM_NODE_PORT'),
    };
    for (const [key, value] of testDefaults) {
      const expected = value.replace(/\$[A-Z_]+/g, (v) => ports[v as keyof typeof ports] ?? v);
      assert.equal(documented.get(key), expected, `${key} default`);
    }
  });

  test('documents every variable docker-compose.yml interpolates, with the same default', () => {
    assert.ok(composeVariables.size >= 5, `found only ${[...composeVariables.keys()].join(', ')}`);
    for (const { name, fallback } of composeReferences) {
      assert.equal(fallback, composeVariables.get(name), `docker-compose.yml gives ${name} two defaults`);
    }
    for (const [key, fallback] of composeVariables) {
      assert.ok(documented.has(key), `docker-compose.yml reads ${key}, which .env.example does not show`);
      if (schemaKeys.includes(key)) continue; // compared with the code's own default by compose.test.ts
      assert.equal(documented.get(key), fallback, `${key}: .env.example and docker-compose.yml defaults`);
    }
  });

  test('documents nothing else (a misspelt name would be silently ignored)', () => {
    const known = new Set([
      ...schemaKeys,
      ...opsVariables,
      ...testDefaults.keys(),
      ...composeVariables.keys(),
      ...TEST_SWITCHES,
    ]);
    assert.deepEqual(
      [...documented.keys()].filter((key) => !known.has(key)),
      [],
    );
    const seen = lines.filter((l) => /^# [A-Z][A-Z0-9_]*=/.test(l)).map((l) => l.split('=')[0]);
    assert.equal(new Set(seen).size, seen.length, 'no variable is documented twice');
  });

  test('sets nothing: every variable line is commented out, so a copy starts from the defaults', () => {
    const active = lines.filter((l) => /^\s*(export\s+)?[A-Za-z_][A-Za-z0-9_]*=/.test(l));
    assert.deepEqual(active, []);
  });

  test('the example fleet for real servers is a valid COFI_FLEET (two STT nodes, one LLM)', () => {
    const start = lines.indexOf('#   {');
    const end = lines.indexOf('#   }', start);
    assert.ok(start >= 0 && end > start, 'the example is the block from "#   {" to "#   }"');
    const json = lines
      .slice(start, end + 1)
      .map((l) => l.slice(1))
      .join('\n');
    const config = loadConfig({ COFI_FLEET: json });
    assert.equal(config.fleet.nodes.length, 2);
    assert.equal(config.fleet.llm.length, 1);
    assert.ok(
      config.fleet.nodes.every((n) => n.stages.includes('stt')),
      'both nodes transcribe',
    );
    assert.ok(
      [...config.fleet.nodes, ...config.fleet.llm].every((n) => !/127\.0\.0\.1|localhost/.test(n.url)),
      'the example names real servers, not the simulator on loopback',
    );
  });
});
