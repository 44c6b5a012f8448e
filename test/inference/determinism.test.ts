// Determinism of the simulator: the same seed gives the same faults, the same audio the same content.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { analyseCall } from '../../core/inference/analysis.js';
import { answerQuestionnaire } from '../../core/inference/questionnaire.js';
import { transcribe } from '../../core/inference/stt.js';
import { type Failures, startSimulator } from '../../simulator/server.js';
import { fixture, gpuNode, llmEndpoint, reference, writeWav } from './support.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'cofi-determinism-'));
after(() => rmSync(tmp, { recursive: true, force: true }));
const files = ['a.wav', 'b.wav', 'c.wav'];

/** What happens to 4 rounds of requests for 3 files, in order (or all at once per round). */
async function outcomes(failures: Failures, concurrent = false): Promise<string[]> {
  const sim = await startSimulator({
    nodes: [{ id: 'gpu', port: 0, capacity: 8 }],
    llm: [],
    timeScale: 0,
    failures,
    scripts: null,
  });
  const one = (fileName: string) =>
    transcribe({
      node: gpuNode(sim.nodes[0]!.url),
      audioPath: fixture('tone.wav'),
      fileName,
      // Long enough that only the simulator's deliberate hangs time out, even on a loaded machine.
      timeoutMs: 1500,
    }).then(
      () => `${fileName}:ok`,
      (e: unknown) => `${fileName}:${e instanceof ApplicationFailure ? e.type : String(e)}`,
    );
  try {
    const seen: string[] = [];
    for (let round = 0; round < 4; round++) {
      if (concurrent) seen.push(...(await Promise.all(files.map(one))));
      else for (const f of files) seen.push(await one(f));
    }
    return seen;
  } finally {
    await sim.close();
  }
}

const mixed: Failures = { serverErrorRate: 0.3, resetRate: 0.1, timeoutRate: 0.1, seed: 7 };

test('the same seed gives the same faults, however concurrent requests interleave', async () => {
  const first = await outcomes(mixed);
  assert.deepEqual(await outcomes(mixed), first);
  assert.deepEqual(await outcomes(mixed, true), first);
  assert.ok(
    first.some((o) => o.endsWith(':ok')),
    'some requests pass',
  );
  assert.ok(
    first.some((o) => !o.endsWith(':ok')),
    'some requests fail',
  );
});

test('another seed gives other faults', async () => {
  assert.notDeepEqual(await outcomes({ ...mixed, seed: 8 }), await outcomes(mixed));
});

test('the same audio gets the same transcript and answers; other audio gets other conversations', async () => {
  const { questions, categories } = reference();
  const run = async () => {
    const sim = await startSimulator({
      nodes: [{ id: 'gpu', port: 0, capacity: 4 }],
      llm: [{ id: 'llm', port: 0, capacity: 4 }],
      timeScale: 0,
    });
    try {
      const results = [];
      for (let seed = 1; seed <= 8; seed++) {
        const file = path.join(tmp, `call-${seed}.wav`);
        writeWav(file, 2, seed);
        const t = await transcribe({
          node: gpuNode(sim.nodes[0]!.url),
          audioPath: file,
          fileName: `call-${seed}.wav`,
        });
        const transcript = { text: t.text, segments: t.segments, lang: t.language };
        const endpoint = llmEndpoint(sim.llm[0]!.url);
        const analysis = await analyseCall({ endpoint, transcript, categories });
        const answers = await answerQuestionnaire({ endpoint, transcript, analysis, questions });
        results.push({ text: t.text, category: analysis.category, score: answers.callScore });
      }
      return results;
    } finally {
      await sim.close();
    }
  };
  const first = await run();
  assert.deepEqual(await run(), first);
  assert.ok(new Set(first.map((r) => r.text)).size >= 6, 'conversations differ between calls');
  assert.ok(new Set(first.map((r) => r.score)).size >= 3, 'scores differ between calls');
  assert.ok(new Set(first.map((r) => r.category)).size >= 2, 'call reasons differ between calls');
});
