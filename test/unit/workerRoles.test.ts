import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Fleet } from '../../core/config.js';
import { describeRoles, parseRoles, RolesError } from '../../worker/roles.js';

const fleet = {
  nodes: [
    { id: 'gpu-a', url: 'http://a', capacity: 2, stages: ['lid', 'stt'], model: 'm' },
    { id: 'gpu-b', url: 'http://b', capacity: 2, stages: ['lid', 'stt'], model: 'm' },
  ],
  llm: [{ id: 'llm-a', url: 'http://l', capacity: 4, model: 'm' }],
} as Fleet;

test('`all` is every role: orchestrator, audio, every node and endpoint', () => {
  assert.deepEqual(parseRoles('all', fleet), {
    orchestrator: true,
    audio: true,
    nodes: ['gpu-a', 'gpu-b'],
    llm: ['llm-a'],
  });
});

test('roles combine, wildcards name every node, repeats count once', () => {
  const r = parseRoles(' orchestrator , node:gpu-b,node:gpu-b,llm:*', fleet);
  assert.deepEqual(r, { orchestrator: true, audio: false, nodes: ['gpu-b'], llm: ['llm-a'] });
  assert.equal(describeRoles(r), 'orchestrator, node:gpu-b, llm:llm-a');
  assert.deepEqual(parseRoles('node:*', fleet).nodes, ['gpu-a', 'gpu-b']);
});

test('an unknown role, a node not in the fleet, or nothing at all is refused with what is wrong', () => {
  assert.throws(
    () => parseRoles('orchestrator,gpu', fleet),
    (e) => e instanceof RolesError && /unknown role "gpu"/.test(e.message),
  );
  assert.throws(
    () => parseRoles('node:gpu-z', fleet),
    (e) =>
      e instanceof RolesError &&
      /node:gpu-z names no GPU node of COFI_FLEET \(it has: gpu-a, gpu-b\)/.test(e.message),
  );
  assert.throws(() => parseRoles('llm:gpu-a', fleet), /names no LLM endpoint/);
  assert.throws(() => parseRoles(' , ', fleet), /WORKER_ROLES is empty/);
});
