// The simulator's own behaviour: where a transcript comes from, fault targeting, and its stats.
import assert from 'node:assert/strict';
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { identifyLanguage } from '../../core/inference/lid.js';
import { transcribe } from '../../core/inference/stt.js';
import { syntheticScript } from '../../simulator/content.js';
import type { SampleScript } from '../../simulator/samples.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import { expectFailure, fixture, gpuNode, sample, writeWav } from './support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'cofi-sim-test-'));

describe('simulator', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({ nodes: [{ id: 'gpu', port: 0, capacity: 2 }], llm: [], timeScale: 0 });
  });
  after(async () => {
    await sim.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const node = () => gpuNode(sim.nodes[0]!.url);

  test('a sample is found by its audio hash, whatever it is called', async () => {
    const t = await transcribe({
      node: node(),
      audioPath: sample('internet-outage-es.opus'),
      fileName: '7f3a.opus',
    });
    const script = JSON.parse(readFileSync(sample('internet-outage-es.script.json'), 'utf8')) as SampleScript;
    assert.equal(t.language, 'es');
    assert.deepEqual(
      t.segments.map((s) => [s.speaker, s.start, s.end, s.text]),
      script.segments.map((s) => [s.speaker, s.start, s.end, s.text]),
    );
  });

  test('re-encoded sample audio is found by the file name the client sent', async () => {
    const copy = path.join(tmp, 'denoised.wav');
    writeWav(copy, 3, 1);
    const t = await transcribe({ node: node(), audioPath: copy, fileName: 'plan-upgrade-hi.m4a' });
    assert.equal(t.language, 'hi');
    assert.equal(t.segments.length, 7);
  });

  test('other audio gets a synthetic conversation, in the language its name hints at', async () => {
    const file = path.join(tmp, 'call_es_0042.wav');
    copyFileSync(fixture('tone.wav'), file);
    const t = await transcribe({ node: node(), audioPath: file, fileName: 'call_es_0042.wav' });
    assert.equal(t.language, 'es');
    assert.equal(t.segments[0]?.speaker, 'agent');
    assert.equal(t.segments.at(-1)?.end, 1);
    const script = syntheticScript(12345, 'en');
    assert.deepEqual(syntheticScript(12345, 'en'), script);
    assert.ok(script.segments.some((s) => s.speaker === 'customer'));
  });

  test('a file name can ask for a language the configuration does not support', async () => {
    const input = {
      node: node(),
      audioPath: fixture('tone.ogg'),
      fileName: 'call-fr-0007.ogg',
      supported: ['en', 'es', 'hi'],
    };
    const id = await identifyLanguage(input);
    assert.deepEqual([id.lang, id.detectedRaw, id.supported], ['fr', 'french', false]);
  });

  test('faults can target file names: only matching files fail', async () => {
    sim.setFailures({ serverErrorRate: 1, pattern: '^flaky-' });
    try {
      await expectFailure(
        transcribe({ node: node(), audioPath: fixture('tone.wav'), fileName: 'flaky-1.wav' }),
        'server_error',
      );
      const ok = await transcribe({ node: node(), audioPath: fixture('tone.wav'), fileName: 'steady-1.wav' });
      assert.ok(ok.text.length > 0);
    } finally {
      sim.setFailures({});
    }
  });

  test('a malformed /detect-language answer is invalid_output', async () => {
    sim.setFailures({ malformedRate: 1, endpoints: ['detect-language'] });
    try {
      const input = {
        node: gpuNode(sim.nodes[0]!.url, { lidPath: '/detect-language' }),
        audioPath: fixture('tone.wav'),
        fileName: 'x.wav',
        supported: ['en'],
      };
      const context = await expectFailure(identifyLanguage(input), 'invalid_output');
      assert.ok(context.rawResponse);
    } finally {
      sim.setFailures({});
    }
  });

  test('stats: served, faulted, audio seconds and one busy interval per request', async () => {
    const stats = sim.stats().endpoints[0]!;
    assert.equal(stats.id, 'gpu');
    assert.equal(stats.kind, 'gpu');
    assert.equal(stats.capacity, 2);
    assert.ok(stats.served >= 4);
    assert.ok(stats.faulted >= 1);
    assert.ok(stats.audioSeconds > 20);
    assert.equal(stats.busy.length, stats.served + stats.faulted);
    assert.ok(stats.busy.every((b) => b.end >= b.start && ['stt', 'lid'].includes(b.kind)));
  });

  test('a port already in use makes startSimulator fail and close what it opened', async () => {
    const port = Number(new URL(sim.nodes[0]!.url).port);
    await assert.rejects(
      startSimulator({
        nodes: [
          { id: 'a', port: 0, capacity: 1 },
          { id: 'b', port, capacity: 1 },
        ],
        llm: [],
      }),
      /EADDRINUSE/,
    );
  });
});
