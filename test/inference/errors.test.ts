// Every failure class of the inference clients, with the retry decision carried on the ApplicationFailure.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { analyseCall } from '../../core/inference/analysis.js';
import { identifyLanguage } from '../../core/inference/lid.js';
import { transcribe } from '../../core/inference/stt.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import {
  assertSafePayload,
  closedPort,
  craftedServer,
  expectFailure,
  fixture,
  gpuNode,
  llmEndpoint,
  reference,
} from './support.js';

const audio = { audioPath: fixture('tone.wav'), fileName: 'call-001.wav' };

describe('failure classes', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      nodes: [{ id: 'gpu', port: 0, capacity: 4 }],
      llm: [{ id: 'llm', port: 0, capacity: 2 }],
      timeScale: 0,
    });
  });
  after(() => sim.close());
  const node = (extra = {}) => gpuNode(sim.nodes[0]!.url, extra);

  test('connection refused (nothing listens on the port): connection, retryable', async () => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const context = await expectFailure(
      transcribe({ node: gpuNode(url, { apiKey: 'sk-secret' }), ...audio }),
      'connection',
    );
    assert.equal(context.requestUrl, `${url}/v1/audio/transcriptions`);
    assertSafePayload(context, 'sk-secret');
  });

  test('an unknown host: connection', async () => {
    await expectFailure(
      transcribe({ node: gpuNode('http://cofi-no-such-host.invalid:9'), ...audio }),
      'connection',
    );
  });

  test('a node that hangs past the client timeout: timeout, retryable', async () => {
    sim.setFailures({ timeoutRate: 1 });
    try {
      const started = Date.now();
      await expectFailure(transcribe({ node: node(), ...audio, timeoutMs: 300 }), 'timeout');
      assert.ok(Date.now() - started < 3000, 'gave up at the timeout');
    } finally {
      sim.setFailures({});
    }
  });

  test('a dropped connection: connection, retryable', async () => {
    sim.setFailures({ resetRate: 1 });
    try {
      await expectFailure(transcribe({ node: node(), ...audio }), 'connection');
    } finally {
      sim.setFailures({});
    }
  });

  test('503: server_error, retryable, with the body kept', async () => {
    sim.setFailures({ serverErrorRate: 1, endpoints: ['transcriptions'] });
    try {
      const context = await expectFailure(transcribe({ node: node(), ...audio }), 'server_error');
      assert.match(context.rawResponse ?? '', /simulated server error/);
    } finally {
      sim.setFailures({});
    }
  });

  test('429 from a full node: rate_limited, retryable', async () => {
    const server = await craftedServer((_req, res) => {
      res.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
      res.end('{"error":{"message":"slow down"}}');
    });
    try {
      await expectFailure(transcribe({ node: gpuNode(server.url), ...audio }), 'rate_limited');
    } finally {
      await server.close();
    }
  });

  test('400 for a file the node refuses: client_error, not retryable', async () => {
    sim.setFailures({ clientErrorPattern: '^broken-' });
    try {
      await expectFailure(
        transcribe({ node: node(), audioPath: audio.audioPath, fileName: 'broken-1.wav' }),
        'client_error',
      );
      const ok = await transcribe({ node: node(), ...audio });
      assert.ok(ok.text.length > 0, 'other files still pass');
    } finally {
      sim.setFailures({});
    }
  });

  test('a 4xx other than 429 (404: wrong path): client_error', async () => {
    const lid = identifyLanguage({ node: node({ lidPath: '/no-such-path' }), ...audio, supported: ['en'] });
    await expectFailure(lid, 'client_error');
  });

  test('a non-audio upload is refused by the node (400): client_error', async () => {
    await expectFailure(
      transcribe({ node: node(), audioPath: fixture('not-audio.wav'), fileName: 'x.wav' }),
      'client_error',
    );
  });

  test('the LLM endpoint fails the same way (503 -> server_error)', async () => {
    sim.setFailures({ serverErrorRate: 1, endpoints: ['chat'] });
    try {
      const { categories } = reference();
      const transcript = { text: 'agent: hello', segments: [], lang: 'en' };
      const context = await expectFailure(
        analyseCall({
          endpoint: llmEndpoint(sim.llm[0]!.url, { apiKey: 'sk-llm-key' }),
          transcript,
          categories,
        }),
        'server_error',
      );
      assertSafePayload(context, 'sk-llm-key');
    } finally {
      sim.setFailures({});
    }
  });

  test('a stopped node refuses connections until it is started again', async () => {
    await sim.stopNode('gpu');
    await expectFailure(transcribe({ node: node(), ...audio }), 'connection');
    await sim.startNode('gpu');
    const t = await transcribe({ node: node(), ...audio });
    assert.ok(t.segments.length > 0);
  });

  test('the caller cancelling (activity cancellation) is not turned into a node failure', async () => {
    sim.setFailures({ timeoutRate: 1 });
    try {
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 100);
      const err = await transcribe({ node: node(), ...audio, signal: controller.signal }).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(err instanceof Error);
      assert.equal(err.name, 'AbortError');
    } finally {
      sim.setFailures({});
    }
  });
});
