// The CPU LLM node (nodes/llm, started by ops/llm.sh) answers cofi's own LLM1 and LLM2 clients with
// schema-valid JSON, speaks OpenAI's shapes (models, completions, errors) and holds its capacity.
// Needs COFI_TEST_LLM_NODE_URL (e.g. http://127.0.0.1:9210 after `ops/llm.sh start`); fails without it.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { analyseCall, type CallTranscript, SENTIMENTS } from '../../core/inference/analysis.js';
import { ANSWERS, answerQuestionnaire } from '../../core/inference/questionnaire.js';
import { grammarSchema, UnsupportedSchema } from '../../nodes/llm/grammarSchema.js';
import { llmEndpoint, reference, SAMPLES } from './support.js';

const { questions, categories } = reference();

/** The sample's script as the transcript the STT stage stores (as bench/llmNode.ts builds it). */
function scriptTranscript(name: string): CallTranscript {
  const script = JSON.parse(readFileSync(`${SAMPLES}${name}.script.json`, 'utf8')) as {
    language: string;
    segments: { speaker: string; start: number; end: number; text: string }[];
  };
  const segments = script.segments.map((s, id) => ({ id, ...s }));
  return { text: segments.map((s) => s.text).join(' '), segments, lang: script.language };
}

describe('grammarSchema: what node-llama-cpp gets from a JSON schema', () => {
  test("zod's nullable enum (anyOf) becomes oneOf instead of silently forcing null", () => {
    const sub = { anyOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'null' }] };
    const out = grammarSchema({ type: 'object', properties: { sub }, required: ['sub'] });
    assert.deepEqual(out, {
      type: 'object',
      properties: { sub: { oneOf: [{ type: 'string', enum: ['a', 'b'] }, { type: 'null' }] } },
    });
  });
  test('keywords the grammar would drop without notice are refused', () => {
    for (const bad of [{ type: 'string', pattern: '^a' }, { type: 'number', minimum: 1 }, { allOf: [] }])
      assert.throws(() => grammarSchema({ type: 'object', properties: { x: bad } }), UnsupportedSchema);
  });
  test("draft-7 definitions and refs are moved to node-llama-cpp's $defs", () => {
    const out = grammarSchema({ definitions: { A: { type: 'string' } }, $ref: '#/definitions/A' });
    assert.deepEqual(out, { $defs: { A: { type: 'string' } }, $ref: '#/$defs/A' });
  });
});

const url = process.env.COFI_TEST_LLM_NODE_URL;

describe('the LLM node', { concurrency: false }, () => {
  test('COFI_TEST_LLM_NODE_URL is set', () => {
    assert.ok(
      url,
      'COFI_TEST_LLM_NODE_URL is not set: run `ops/llm.sh start` and set it to http://127.0.0.1:9210',
    );
  });
  if (!url) return;
  const post = (body: unknown, raw?: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: raw ?? JSON.stringify(body),
    });
  let model = '';

  test('/v1/models lists the one model it serves', async () => {
    const res = await fetch(`${url}/v1/models`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { object: string; data: { id: string; object: string }[] };
    assert.equal(body.object, 'list');
    assert.equal(body.data.length, 1);
    assert.equal(body.data[0]?.object, 'model');
    model = body.data[0]!.id;
  });

  const transcript = scriptTranscript('billing-dispute-en');
  let analysis: Awaited<ReturnType<typeof analyseCall>> | undefined;

  test('LLM1: analyseCall gets a schema-valid analysis (category mapping and check included)', async () => {
    analysis = await analyseCall({ endpoint: llmEndpoint(url, { model }), transcript, categories });
    const top = categories.filter((c) => c.parent === null).map((c) => c.code);
    assert.ok(top.includes(analysis.category), analysis.category);
    if (analysis.subCategory !== null)
      assert.equal(categories.find((c) => c.code === analysis?.subCategory)?.parent, analysis.category);
    assert.ok(SENTIMENTS.includes(analysis.sentiment));
    assert.ok(analysis.summary.length > 0);
    assert.equal(analysis.model, model);
  });

  test('LLM2: answerQuestionnaire gets an answer of the right type for every question', async () => {
    const result = await answerQuestionnaire({
      endpoint: llmEndpoint(url, { model }),
      transcript,
      analysis: analysis ?? null,
      questions,
    });
    assert.equal(result.answers.length, questions.length);
    for (const q of questions) {
      const a = result.answers.find((x) => x.questionId === q.id);
      assert.ok(a && ANSWERS[q.answerType].includes(a.answer), `${q.code}: ${a?.answer}`);
    }
    assert.ok(result.callScore >= 0 && result.callScore <= 100);
  });

  test('a completion has OpenAI shape: its own model id, usage, finish_reason "length" at max_tokens', async () => {
    const res = await post({
      model,
      messages: [{ role: 'user', content: 'Count to fifty.' }],
      max_tokens: 5,
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as {
      object: string;
      model: string;
      choices: { message: { role: string; content: string }; finish_reason: string }[];
      usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number };
    };
    assert.equal(body.object, 'chat.completion');
    assert.equal(body.model, model);
    assert.equal(body.choices[0]?.message.role, 'assistant');
    assert.equal(body.choices[0]?.finish_reason, 'length');
    assert.equal(body.usage.completion_tokens, 5);
    assert.ok(body.usage.prompt_tokens > 5);
    assert.equal(body.usage.total_tokens, body.usage.prompt_tokens + body.usage.completion_tokens);
  });

  test('a json_schema response format is followed (a nullable enum stays free to be a string)', async () => {
    const schema = {
      type: 'object',
      properties: { colour: { anyOf: [{ type: 'string', enum: ['red', 'green'] }, { type: 'null' }] } },
      required: ['colour'],
      additionalProperties: false,
    };
    const res = await post({
      model,
      messages: [{ role: 'user', content: 'Which colour is grass? Answer with JSON.' }],
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'c', schema, strict: true } },
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { choices: { message: { content: string } }[] };
    const value = JSON.parse(body.choices[0]!.message.content) as { colour: unknown };
    assert.deepEqual(Object.keys(value), ['colour']);
    assert.ok([null, 'red', 'green'].includes(value.colour as string), String(value.colour));
  });

  const expectError = async (res: Response, status: number, code?: string) => {
    assert.equal(res.status, status);
    const body = (await res.json()) as { error: { message: string; type: string; code: string | null } };
    assert.equal(typeof body.error.message, 'string');
    assert.equal(typeof body.error.type, 'string');
    if (code) assert.equal(body.error.code, code);
  };

  test('OpenAI-shaped errors: 400 for a bad body or schema, 404 for an unknown model or route', async () => {
    const messages = [{ role: 'user', content: 'hi' }];
    await expectError(await post(undefined, '{not json'), 400);
    await expectError(await post({ model, messages: [] }), 400);
    await expectError(await post({ model, messages: [{ role: 'assistant', content: 'x' }] }), 400);
    const pattern = { type: 'object', properties: { x: { type: 'string', pattern: '^a' } } };
    await expectError(
      await post({
        model,
        messages,
        response_format: { type: 'json_schema', json_schema: { name: 'p', schema: pattern } },
      }),
      400,
    );
    await expectError(await post({ model: 'no-such-model', messages }), 404, 'model_not_found');
    await expectError(await fetch(`${url}/v1/nope`), 404);
  });

  test('at most its capacity generates at once; the others wait their turn and are answered', async () => {
    type Metrics = { capacity: number; running: number; waiting: number; requests: number };
    const metrics = async () => (await (await fetch(`${url}/metrics`)).json()) as Metrics;
    const { capacity } = await metrics();
    const body = { model, messages: [{ role: 'user', content: 'Tell a long story.' }], max_tokens: 40 };
    let done = 0;
    const requests = Array.from({ length: capacity + 1 }, () =>
      post(body).then(async (r) => {
        assert.equal(r.status, 200);
        await r.arrayBuffer();
        done++;
      }),
    );
    let sawWaiting = false;
    while (done < requests.length) {
      const m = await metrics();
      assert.ok(m.running <= capacity, `running ${m.running} > capacity ${capacity}`);
      if (m.waiting > 0) sawWaiting = true;
      await new Promise((r) => setTimeout(r, 20));
    }
    await Promise.all(requests);
    assert.ok(sawWaiting, 'a request beyond the capacity never waited');
  });
});
