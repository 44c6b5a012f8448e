// The LLM stages: chat completions with a JSON schema, validated, retried, and scored by cofi.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { analyseCall } from '../../core/inference/analysis.js';
import { chatJson } from '../../core/inference/llm.js';
import { answerQuestionnaire } from '../../core/inference/questionnaire.js';
import { transcribe } from '../../core/inference/stt.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import {
  completionWith,
  craftedServer,
  expectFailure,
  gpuNode,
  llmEndpoint,
  reference,
  sample,
} from './support.js';

const { questions, categories } = reference();

describe('analyseCall and answerQuestionnaire on the simulator', () => {
  let sim: Simulator;
  before(async () => {
    sim = await startSimulator({
      nodes: [{ id: 'gpu', port: 0, capacity: 2 }],
      llm: [{ id: 'llm', port: 0, capacity: 4 }],
      timeScale: 0,
    });
  });
  after(() => sim.close());
  const transcriptOf = async (file: string) => {
    const t = await transcribe({ node: gpuNode(sim.nodes[0]!.url), audioPath: sample(file), fileName: file });
    return { text: t.text, segments: t.segments, lang: t.language };
  };

  test('a good call: billing dispute, resolved, a high score with evidence quoted from the transcript', async () => {
    const transcript = await transcriptOf('billing-dispute-en.mp3');
    const endpoint = llmEndpoint(sim.llm[0]!.url);
    const analysis = await analyseCall({ endpoint, transcript, categories });
    assert.deepEqual(
      [analysis.category, analysis.subCategory, analysis.promptVersion],
      ['billing', 'billing_dispute', 'llm1-analysis.v1'],
    );
    // The simulator names itself, whatever model the client asked for ('test-model').
    assert.equal(analysis.model, 'cofi-simulated-llm');
    assert.match(analysis.summary, /charged twice/);
    const result = await answerQuestionnaire({ endpoint, transcript, analysis, questions });
    assert.equal(result.promptVersion, 'llm2-questionnaire.v1');
    assert.equal(result.answers.length, questions.length);
    const byCode = Object.fromEntries(
      result.answers.map((a) => [questions.find((q) => q.id === a.questionId)!.code, a]),
    );
    assert.equal(byCode.greeting?.answer, 'yes');
    assert.equal(byCode.identity_verification?.answer, 'yes');
    assert.equal(byCode.hold_etiquette?.answer, 'yes');
    assert.ok(transcript.text.includes(byCode.resolution?.evidence ?? '-'), 'evidence is a quote');
    assert.equal(result.callScore, 97.5);
  });

  test('a poor call: no greeting, unresolved, hold not applicable (excluded from the score)', async () => {
    const transcript = await transcriptOf('late-delivery-en.wav');
    const endpoint = llmEndpoint(sim.llm[0]!.url);
    const analysis = await analyseCall({ endpoint, transcript, categories });
    assert.deepEqual(
      [analysis.category, analysis.subCategory, analysis.sentiment],
      ['orders', 'delivery_problem', 'negative'],
    );
    const result = await answerQuestionnaire({ endpoint, transcript, analysis, questions });
    const hold = result.answers.find(
      (a) => a.questionId === questions.find((q) => q.code === 'hold_etiquette')!.id,
    )!;
    assert.deepEqual([hold.answer, hold.score, hold.maxScore], ['na', 0, 0]);
    assert.equal(result.callScore, 14);
  });

  test('malformed answers are retried, then invalid_output keeps the raw content', async () => {
    sim.setFailures({ malformedRate: 1, endpoints: ['chat'] });
    try {
      const transcript = await transcriptOf('internet-outage-es.opus');
      const before = sim.stats().endpoints.find((e) => e.id === 'llm')!.served;
      const context = await expectFailure(
        analyseCall({ endpoint: llmEndpoint(sim.llm[0]!.url), transcript, categories }),
        'invalid_output',
      );
      assert.equal(sim.stats().endpoints.find((e) => e.id === 'llm')!.served - before, 3, 'three attempts');
      assert.ok(context.rawResponse && context.rawResponse.length > 0, 'raw content kept');
      assert.equal((context.inputPayload as { attempt: number }).attempt, 3);
    } finally {
      sim.setFailures({});
    }
  });

  test('a malformed first answer is retried and the retry succeeds (seeded, so the same every run)', async () => {
    const transcript = await transcriptOf('plan-upgrade-hi.m4a');
    let retriedAndSucceeded = 0;
    for (let seed = 1; seed <= 12; seed++) {
      sim.setFailures({ malformedRate: 0.5, endpoints: ['chat'], seed });
      const before = sim.stats().endpoints.find((e) => e.id === 'llm')!.served;
      const ok = await analyseCall({ endpoint: llmEndpoint(sim.llm[0]!.url), transcript, categories }).then(
        (a) => a.category === 'account',
        () => false,
      );
      if (ok && sim.stats().endpoints.find((e) => e.id === 'llm')!.served - before > 1) retriedAndSucceeded++;
    }
    sim.setFailures({});
    assert.ok(retriedAndSucceeded > 0, 'some seed made the first answer malformed and a retry valid');
  });
});

describe('what a misbehaving LLM server gets', () => {
  test('the request: model, messages, temperature 0 and a strict json_schema response format', async () => {
    let request: Record<string, unknown> = {};
    const server = await craftedServer((req, res, body) => {
      request = { ...(JSON.parse(body) as object), auth: req.headers.authorization };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionWith('{"ok": true}'));
    });
    try {
      const { value, model } = await chatJson({
        endpoint: llmEndpoint(server.url, { apiKey: 'sk-llm' }),
        schemaName: 'probe',
        schema: z.object({ ok: z.boolean() }),
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.deepEqual([value, model], [{ ok: true }, 'crafted']);
      assert.equal(request.model, 'test-model');
      assert.equal(request.temperature, 0);
      assert.equal(request.auth, 'Bearer sk-llm');
      assert.deepEqual(request.response_format, {
        type: 'json_schema',
        json_schema: {
          name: 'probe',
          strict: true,
          schema: {
            type: 'object',
            properties: { ok: { type: 'boolean' } },
            required: ['ok'],
            additionalProperties: false,
          },
        },
      });
    } finally {
      await server.close();
    }
  });

  test('a sub-category that is not under the chosen category is invalid_output after the retries', async () => {
    const bad = {
      summary: 'x',
      category: 'orders',
      sub_category: 'billing_dispute',
      sentiment: 'neutral',
      key_facts: [],
    };
    const server = await craftedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionWith(JSON.stringify(bad)));
    });
    try {
      const transcript = { text: 'hello', segments: [], lang: 'en' };
      const context = await expectFailure(
        analyseCall({ endpoint: llmEndpoint(server.url), transcript, categories }),
        'invalid_output',
      );
      assert.equal(server.requests(), 3);
      assert.equal(context.rawResponse, JSON.stringify(bad));
    } finally {
      await server.close();
    }
  });

  test('a questionnaire answer that leaves a question out is invalid_output', async () => {
    const answers = Object.fromEntries(
      questions
        .slice(1)
        .map((q) => [q.code, { answer: q.answerType === 'scale_1_5' ? '3' : 'yes', evidence: null }]),
    );
    const server = await craftedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(completionWith(JSON.stringify({ answers })));
    });
    try {
      const transcript = { text: 'hello', segments: [], lang: 'en' };
      const context = await expectFailure(
        answerQuestionnaire({ endpoint: llmEndpoint(server.url), transcript, analysis: null, questions }),
        'invalid_output',
      );
      assert.match(context.rawResponse ?? '', /identity_verification/);
      assert.equal(server.requests(), 3);
    } finally {
      await server.close();
    }
  });

  test('a body that is not a chat completion is invalid_output too', async () => {
    const server = await craftedServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>proxy login</html>');
    });
    try {
      const context = await expectFailure(
        chatJson({
          endpoint: llmEndpoint(server.url),
          schemaName: 's',
          schema: z.object({}),
          messages: [],
          maxAttempts: 2,
        }),
        'invalid_output',
      );
      assert.equal(context.rawResponse, '<html>proxy login</html>');
      assert.equal(server.requests(), 2);
    } finally {
      await server.close();
    }
  });
});
