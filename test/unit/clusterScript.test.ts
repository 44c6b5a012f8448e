// The Temporal cluster's generated config (ops/cluster.sh config writes it without building or starting
// anything): PostgreSQL for both stores, more than one history shard, four services on distinct local ports.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { parse } from 'yaml';

type Rpc = { grpcPort: number; membershipPort: number; bindOnLocalHost?: boolean; httpPort?: number };
type ServerConfig = {
  persistence: {
    defaultStore: string;
    visibilityStore: string;
    numHistoryShards: number;
    datastores: Record<string, { sql?: { pluginName: string; databaseName: string; connectAddr: string } }>;
  };
  global: { membership: { broadcastAddress: string } };
  services: Record<string, { rpc: Rpc }>;
  clusterMetadata: { clusterInformation: Record<string, { rpcAddress: string }> };
  dynamicConfigClient: { filepath: string };
};

const script = new URL('../../ops/cluster.sh', import.meta.url).pathname;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Runs `ops/cluster.sh ACTION` with a private data dir; CLUSTER_* come from `env` only. */
function run(action: string, env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'cofi-cluster-'));
  dirs.push(dataDir);
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CLUSTER_')));
  const out = execFileSync('bash', [script, action], {
    env: { ...base, COFI_DATA_DIR: dataDir, ...env },
    encoding: 'utf8',
  }).trim();
  return { out, dataDir };
}

function generated(env: Record<string, string> = {}) {
  const { out, dataDir } = run('config', env);
  const config = parse(readFileSync(join(out, 'development.yaml'), 'utf8')) as ServerConfig;
  return { configDir: out, dataDir, config };
}

function ports(config: ServerConfig): number[] {
  return Object.values(config.services).flatMap(({ rpc }) =>
    [rpc.grpcPort, rpc.membershipPort, rpc.httpPort].filter((p): p is number => p !== undefined),
  );
}

describe('ops/cluster.sh config', () => {
  test('both stores are PostgreSQL (postgres12 plugin) on the cluster port, in two databases', () => {
    const { config } = generated({ CLUSTER_PG_PORT: '15433' });
    const { defaultStore, visibilityStore, datastores } = config.persistence;
    assert.notEqual(defaultStore, visibilityStore);
    const stores = [defaultStore, visibilityStore].map((name) => datastores[name]?.sql);
    for (const sql of stores) {
      assert.ok(sql, 'a store without an sql section');
      assert.match(sql.pluginName, /^postgres12(_pgx)?$/);
      assert.equal(sql.connectAddr, '127.0.0.1:15433');
    }
    assert.deepEqual(stores.map((s) => s?.databaseName).sort(), ['temporal', 'temporal_visibility']);
  });

  test('history has 4 shards', () => {
    assert.equal(generated().config.persistence.numHistoryShards, 4);
  });

  test('four services, each on its own local ports, all following CLUSTER_PORT', () => {
    const { config } = generated({ CLUSTER_PORT: '17243' });
    assert.deepEqual(Object.keys(config.services).sort(), ['frontend', 'history', 'matching', 'worker']);
    for (const { rpc } of Object.values(config.services)) assert.equal(rpc.bindOnLocalHost, true);
    assert.equal(config.global.membership.broadcastAddress, '127.0.0.1');
    const all = ports(config);
    assert.equal(new Set(all).size, all.length, `a port is used twice: ${all.join(', ')}`);
    for (const p of all) assert.ok(p >= 17243 && p < 17263, `port ${p} does not follow CLUSTER_PORT`);
    assert.equal(config.services.frontend?.rpc.grpcPort, 17243);
    assert.equal(config.clusterMetadata.clusterInformation.active?.rpcAddress, '127.0.0.1:17243');
    assert.equal(run('address', { CLUSTER_PORT: '17243' }).out, '127.0.0.1:17243');
  });

  test("the default ports stay clear of the dev server's, MariaDB's and the CPU nodes'", () => {
    const { config } = generated();
    const taken = [7233, 8233, 3307, 9201, 9210];
    for (const p of ports(config)) assert.ok(!taken.includes(p), `port ${p} is another service's default`);
    const pg = config.persistence.datastores[config.persistence.defaultStore]?.sql?.connectAddr;
    assert.equal(pg, '127.0.0.1:5433', 'PostgreSQL must not take the system cluster port 5432');
  });

  test('the dynamic-config file exists and parses; nothing was started', () => {
    const { config, configDir, dataDir } = generated();
    assert.ok(existsSync(config.dynamicConfigClient.filepath));
    assert.equal(typeof parse(readFileSync(config.dynamicConfigClient.filepath, 'utf8')), 'object');
    assert.ok(config.dynamicConfigClient.filepath.startsWith(configDir));
    const clusterDir = join(dataDir, 'cluster');
    assert.deepEqual(
      readdirSync(clusterDir).filter((f) => f.endsWith('.pid')),
      [],
      'config must not start a process',
    );
  });
});
