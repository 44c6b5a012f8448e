// COFI_FLEET's per-node adaptations to third-party STT servers (sttPath, modelField): optional, absent by
// default (OpenAI's path and field), and a bad value is refused naming the node's field.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../../core/config.js';

const llm = [{ id: 'vllm-1', url: 'http://10.0.0.20:8000', capacity: 8 }];
const fleetEnv = (node: Record<string, unknown>) => ({
  COFI_FLEET: JSON.stringify({
    nodes: [{ id: 'gpu-a', url: 'http://10.0.0.11:8000', capacity: 2, ...node }],
    llm,
  }),
});

function refusal(node: Record<string, unknown>): string {
  try {
    loadConfig(fleetEnv(node));
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail(`${JSON.stringify(node)} was accepted`);
}

describe('COFI_FLEET node adaptations', () => {
  test('a node that names none keeps OpenAI behaviour: neither field is set', () => {
    const [node] = loadConfig(fleetEnv({})).fleet.nodes;
    assert.ok(node);
    assert.equal(node.modelField, undefined);
    assert.equal(node.sttPath, undefined);
    assert.equal(node.model, 'whisper-1');
  });

  test('faster-whisper-server 0.0.3: the model goes in model_name', () => {
    const [node] = loadConfig(fleetEnv({ model: 'whisper-base', modelField: 'model_name' })).fleet.nodes;
    assert.equal(node?.modelField, 'model_name');
    assert.equal(node?.model, 'whisper-base');
  });

  test("whisper.cpp's server: the transcription endpoint is /inference", () => {
    const [node] = loadConfig(fleetEnv({ sttPath: '/inference' })).fleet.nodes;
    assert.equal(node?.sttPath, '/inference');
  });

  test('an unknown model field is refused, naming the node field and the accepted values', () => {
    const message = refusal({ modelField: 'modelname' });
    assert.match(message, /COFI_FLEET\.nodes\.0\.modelField/);
    assert.match(message, /"model"/);
    assert.match(message, /"model_name"/);
  });

  test('an endpoint path that is not absolute is refused, naming the node field', () => {
    assert.match(refusal({ sttPath: 'inference' }), /COFI_FLEET\.nodes\.0\.sttPath/);
    assert.match(refusal({ sttPath: 42 }), /COFI_FLEET\.nodes\.0\.sttPath/);
  });
});
