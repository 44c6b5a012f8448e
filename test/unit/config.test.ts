// The environment schema: defaults, errors that name the variable, and the GPU fleet (inline or from a file).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  ConfigError,
  envSchema,
  type Fleet,
  fleetSchema,
  loadConfig,
  SIMULATED_FLEET,
} from '../../core/config.js';

/** Asserts that loadConfig refuses `env` with a ConfigError whose message matches every pattern. */
function assertRefused(env: Record<string, string>, ...patterns: RegExp[]) {
  assert.throws(
    () => loadConfig(env),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
      for (const p of patterns) assert.match(err.message, p);
      return true;
    },
  );
}

const fleet: Fleet = {
  nodes: [
    { id: 'gpu-a', url: 'http://10.0.0.11:8000', capacity: 4, stages: ['lid', 'stt'], model: 'whisper-1' },
    { id: 'gpu-b', url: 'http://10.0.0.12:8000', capacity: 2, stages: ['stt'], model: 'large-v3' },
  ],
  llm: [{ id: 'vllm-1', url: 'http://10.0.0.20:8000', capacity: 32, model: 'llama' }],
};

describe('loadConfig', () => {
  test('an empty environment gives the embedded defaults', () => {
    const config = loadConfig({});
    assert.equal(config.NODE_ENV, 'development');
    assert.equal(config.DATABASE_URL, 'mysql://cofi:cofi@127.0.0.1:3307/cofi');
    assert.equal(config.TEMPORAL_ADDRESS, '127.0.0.1:7233');
    assert.equal(config.TEMPORAL_NAMESPACE, 'default');
    assert.equal(config.TEMPORAL_TLS, false);
    assert.equal(config.API_HOST, '127.0.0.1');
    assert.equal(config.API_PORT, 5064);
    assert.deepEqual(config.API_KEYS, []);
    assert.deepEqual(config.CORS_ORIGINS, []);
    assert.equal(config.COFI_SIMULATOR, true);
    assert.deepEqual(config.LANGUAGES, ['en', 'hi', 'es']);
    assert.deepEqual(config.DAILY_AUDIO_STAGES, ['denoise', 'ivr']);
    assert.deepEqual(config.fleet, SIMULATED_FLEET);
  });

  test('every variable may be left unset, and variables the schema does not know are ignored', () => {
    for (const [key, field] of Object.entries(envSchema.shape)) {
      assert.ok(field.safeParse(undefined).success, `${key} needs a value`);
    }
    const config = loadConfig({ PATH: '/usr/bin', HOME: '/root', API_PORTT: 'typo' });
    assert.equal(config.API_PORT, 5064);
  });

  test('numbers and flags are read from their string form', () => {
    const config = loadConfig({
      API_PORT: '8080',
      TEMPORAL_TLS: 'yes',
      COFI_SIMULATOR: '0',
      BATCH_WINDOW: '7',
    });
    assert.equal(config.API_PORT, 8080);
    assert.equal(config.TEMPORAL_TLS, true);
    assert.equal(config.COFI_SIMULATOR, false);
    assert.equal(config.BATCH_WINDOW, 7);
  });

  test('lists are split on commas and trimmed; empty means none', () => {
    const config = loadConfig({
      CORS_ORIGINS: ' https://a.example , ,https://b.example',
      DAILY_AUDIO_STAGES: '',
    });
    assert.deepEqual(config.CORS_ORIGINS, ['https://a.example', 'https://b.example']);
    assert.deepEqual(config.DAILY_AUDIO_STAGES, []);
  });

  test('a bad value throws a ConfigError that names the variable', () => {
    assertRefused({ API_PORT: 'abc' }, /API_PORT/);
    assertRefused({ API_PORT: '70000' }, /API_PORT/);
    assertRefused({ DATABASE_URL: 'postgres://x' }, /DATABASE_URL: must be a mysql:\/\/ URL/);
    assertRefused({ DATABASE_URL: 'not a url' }, /DATABASE_URL/);
    assertRefused({ LOG_LEVEL: 'verbose' }, /LOG_LEVEL/);
    assertRefused({ TEMPORAL_TLS: 'maybe' }, /TEMPORAL_TLS/);
    assertRefused({ COFI_TASK_QUEUE: 'has space' }, /COFI_TASK_QUEUE/);
    assertRefused({ DAILY_AUDIO_STAGES: 'denoise,stt' }, /DAILY_AUDIO_STAGES/);
  });

  test('every bad variable is named at once, not only the first', () => {
    assertRefused(
      { API_PORT: 'abc', DATABASE_URL: 'postgres://x', BATCH_WINDOW: '0' },
      /API_PORT/,
      /DATABASE_URL/,
      /BATCH_WINDOW/,
    );
  });

  test('API keys are role:sha256 pairs; the hash is kept lower-case and a bad entry is named', () => {
    const hash = 'AB'.repeat(32);
    const config = loadConfig({ API_KEYS: `operator:${hash}, read:${'c'.repeat(64)}` });
    assert.deepEqual(config.API_KEYS, [
      { role: 'operator', name: 'key-abababab', hash: hash.toLowerCase() },
      { role: 'read', name: 'key-cccccccc', hash: 'c'.repeat(64) },
    ]);
    assertRefused({ API_KEYS: `admin:${hash}` }, /API_KEYS: entry 1 must be/);
    assertRefused({ API_KEYS: `read:${'c'.repeat(64)},operator:secret` }, /API_KEYS: entry 2 must be/);
  });

  test('API keys may carry a name (role:name:sha256); an unnamed key is named after its hash', () => {
    const a = 'a'.repeat(64);
    const b = 'B'.repeat(64);
    const config = loadConfig({ API_KEYS: `read:qa-team.1:${a},operator:${b},operator:ops_bot:${a}` });
    assert.deepEqual(config.API_KEYS, [
      { role: 'read', name: 'qa-team.1', hash: a },
      { role: 'operator', name: 'key-bbbbbbbb', hash: b.toLowerCase() },
      { role: 'operator', name: 'ops_bot', hash: a },
    ]);
    assert.equal(loadConfig({ API_KEYS: `read:${'x'.repeat(64)}:${a}` }).API_KEYS[0]?.name, 'x'.repeat(64));
  });

  test('a bad key name or shape is refused by position, never echoing the entry', () => {
    const hash = 'd'.repeat(64);
    const refusedWithout = (value: string, position: number, ...secrets: string[]) =>
      assert.throws(
        () => loadConfig({ API_KEYS: value }),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
          assert.match(err.message, new RegExp(`API_KEYS: entry ${position}\\b`));
          for (const s of secrets) assert.ok(!err.message.includes(s), `the error repeats ${s}`);
          return true;
        },
      );
    refusedWithout(`read:alice:${hash},read:bad name:${hash}`, 2, hash, 'bad name');
    refusedWithout(`operator:${'n'.repeat(65)}:${hash}`, 1, hash, 'n'.repeat(65));
    refusedWithout(`read::${hash}`, 1, hash);
    refusedWithout(`read:al/ice:${hash}`, 1, hash, 'al/ice');
    refusedWithout(`read:alice:${hash}:extra`, 1, hash);
    refusedWithout(`read:alice:${'e'.repeat(63)}`, 1, 'e'.repeat(63));
    refusedWithout(`admin:alice:${hash}`, 1, hash);
    assertRefused({ API_KEYS: `read:café:${hash}` }, /entry 1: a key name is 1 to 64 of/);
    // The trail's own names for requests without a key.
    assertRefused({ API_KEYS: `read:alice:${hash},operator:open:${hash}` }, /entry 2: the names open and/);
    assertRefused({ API_KEYS: `read:signed-link:${hash}` }, /entry 1: the names open and signed-link/);
  });
});

describe('COFI_FLEET', () => {
  test('inline JSON is parsed, with node defaults filled in', () => {
    const config = loadConfig({
      COFI_FLEET: JSON.stringify({
        nodes: [{ id: 'gpu-a', url: 'http://10.0.0.11:8000', capacity: 4 }],
        llm: [{ id: 'vllm-1', url: 'http://10.0.0.20:8000', capacity: 8 }],
      }),
    });
    assert.deepEqual(config.fleet, {
      nodes: [
        {
          id: 'gpu-a',
          url: 'http://10.0.0.11:8000',
          capacity: 4,
          stages: ['lid', 'stt'],
          model: 'whisper-1',
        },
      ],
      llm: [{ id: 'vllm-1', url: 'http://10.0.0.20:8000', capacity: 8, model: 'cofi-llm' }],
    });
  });

  test('any other value is a path read through the readFile parameter', () => {
    const asked: string[] = [];
    const config = loadConfig({ COFI_FLEET: '/etc/cofi/fleet.json' }, (path) => {
      asked.push(path);
      return JSON.stringify(fleet);
    });
    assert.deepEqual(asked, ['/etc/cofi/fleet.json']);
    assert.deepEqual(config.fleet, fleet);
  });

  test('without a readFile, a path is refused with a ConfigError naming COFI_FLEET', () => {
    assertRefused({ COFI_FLEET: '/etc/cofi/fleet.json' }, /COFI_FLEET/);
  });

  test('bad JSON and bad nodes are refused with the path of the problem', () => {
    assertRefused({ COFI_FLEET: '{"nodes": [' }, /COFI_FLEET.*not valid JSON/);
    const zeroCapacity = { ...fleet, nodes: [{ ...fleet.nodes[0], capacity: 0 }] };
    assertRefused({ COFI_FLEET: JSON.stringify(zeroCapacity) }, /COFI_FLEET\.nodes\.0\.capacity/);
    assertRefused({ COFI_FLEET: JSON.stringify({ ...fleet, llm: [] }) }, /COFI_FLEET\.llm/);
    const upperId = { ...fleet, nodes: [{ ...fleet.nodes[0], id: 'GPU_A' }] };
    assertRefused({ COFI_FLEET: JSON.stringify(upperId) }, /COFI_FLEET\.nodes\.0\.id/);
  });

  test('duplicate node ids are refused, across GPU nodes and LLM endpoints too', () => {
    const twoGpuA = { ...fleet, nodes: [fleet.nodes[0], { ...fleet.nodes[1], id: 'gpu-a' }] };
    assertRefused({ COFI_FLEET: JSON.stringify(twoGpuA) }, /duplicate node id "gpu-a"/);
    const llmNamedLikeNode = { ...fleet, llm: [{ ...fleet.llm[0], id: 'gpu-b' }] };
    assertRefused({ COFI_FLEET: JSON.stringify(llmNamedLikeNode) }, /duplicate node id "gpu-b"/);
  });

  test('the simulated fleet is itself a valid fleet', () => {
    assert.deepEqual(fleetSchema.parse(SIMULATED_FLEET), SIMULATED_FLEET);
  });
});
