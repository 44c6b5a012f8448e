// COFI_FLEET by name: the simulated fleet, and cofi's CPU nodes on this host (real speech, optionally a real
// small LLM), placed by the same settings ops/whisper.sh and ops/llm.sh start them with.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig, SIMULATED_FLEET } from '../../core/config.js';

describe('named fleets', () => {
  test('`simulated` is the simulated fleet, and so is no COFI_FLEET at all', () => {
    assert.deepEqual(loadConfig({ COFI_FLEET: 'simulated' }).fleet, SIMULATED_FLEET);
    assert.deepEqual(loadConfig({}).fleet, SIMULATED_FLEET);
    for (const entry of [...SIMULATED_FLEET.nodes, ...SIMULATED_FLEET.llm])
      assert.equal(entry.simulated, true);
  });

  test('`cpu`: the CPU Whisper node for LID (on /detect-language) and STT, real; the LLM simulated', () => {
    const { fleet } = loadConfig({ COFI_FLEET: 'cpu', CPU_NODE_PORT: '9333', CPU_NODE_CAPACITY: '2' });
    assert.equal(fleet.nodes.length, 1);
    const [node] = fleet.nodes;
    assert.equal(node!.url, 'http://127.0.0.1:9333');
    assert.equal(node!.capacity, 2);
    assert.equal(node!.model, 'whisper-base');
    assert.equal(node!.lidPath, '/detect-language');
    assert.deepEqual(node!.stages, ['lid', 'stt']);
    assert.equal(node!.simulated, false, 'the simulator must leave its port alone');
    assert.deepEqual(fleet.llm, SIMULATED_FLEET.llm);
  });

  test('`cpu+llm`: the LLM stages on the CPU LLM node too, with its model id', () => {
    const { fleet } = loadConfig({ COFI_FLEET: 'cpu+llm', LLM_NODE_PORT: '9444', LLM_NODE_MODEL: 'tiny' });
    assert.deepEqual(
      fleet.llm.map((l) => [l.url, l.model, l.simulated]),
      [['http://127.0.0.1:9444', 'tiny', false]],
    );
  });

  test('an unknown name is read as a file path, and a bad port is refused naming the variable', () => {
    assert.throws(
      () => loadConfig({ COFI_FLEET: 'gpu' }),
      (e: unknown) => e instanceof ConfigError && /COFI_FLEET: cannot read gpu/.test(e.message),
    );
    assert.throws(
      () => loadConfig({ COFI_FLEET: 'cpu', CPU_NODE_PORT: '0' }),
      (e: unknown) => e instanceof ConfigError && /CPU_NODE_PORT/.test(e.message),
    );
  });
});
