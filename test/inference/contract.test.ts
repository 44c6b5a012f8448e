// Contract: the simulator's answers match the shapes real servers document (OpenAI verbose_json and chat
// completions, whisper-asr-webservice /detect-language), written here from the docs, not from the simulator.
import assert from 'node:assert/strict';
import { openAsBlob } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { z } from 'zod';
import { analyseCall } from '../../core/inference/analysis.js';
import { answerQuestionnaire } from '../../core/inference/questionnaire.js';
import { type Simulator, startSimulator } from '../../simulator/server.js';
import { craftedServer, llmEndpoint, reference, sample } from './support.js';

const int = z.number().int();
/** OpenAI TranscriptionSegment: every field is documented as present. */
const openAiSegment = z.object({
  id: int,
  seek: int,
  start: z.number().min(0),
  end: z.number().min(0),
  text: z.string(),
  tokens: z.array(int.min(0)),
  temperature: z.number(),
  avg_logprob: z.number().max(0),
  compression_ratio: z.number().min(0),
  no_speech_prob: z.number().min(0).max(1),
});
/** OpenAI TranscriptionVerbose (response_format=verbose_json). */
const openAiVerbose = z.object({
  language: z.string().min(1),
  duration: z.number().positive(),
  text: z.string(),
  segments: z.array(openAiSegment).optional(),
  words: z.array(z.object({ word: z.string(), start: z.number(), end: z.number() })).optional(),
});
/** OpenAI ChatCompletion object. */
const openAiCompletion = z.object({
  id: z.string().min(1),
  object: z.literal('chat.completion'),
  created: int,
  model: z.string().min(1),
  choices: z
    .array(
      z.object({
        index: int,
        message: z.object({
          role: z.literal('assistant'),
          content: z.string().nullable(),
          refusal: z.string().nullable(),
        }),
        logprobs: z.object({}).passthrough().nullable(),
        finish_reason: z.enum(['stop', 'length', 'tool_calls', 'content_filter', 'function_call']),
      }),
    )
    .min(1),
  usage: z.object({ prompt_tokens: int, completion_tokens: int, total_tokens: int }).optional(),
});
const openAiModels = z.object({
  object: z.literal('list'),
  data: z
    .array(z.object({ id: z.string(), object: z.literal('model'), created: int, owned_by: z.string() }))
    .min(1),
});
const openAiError = z.object({ error: z.object({ message: z.string(), type: z.string() }) });
/** whisper-asr-webservice POST /detect-language. */
const detectLanguage = z.object({
  detected_language: z.string(),
  language_code: z.string().length(2),
  confidence: z.number().min(0).max(1),
});

type Schema = {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean;
  items?: Schema;
};
/** The JSON Schema subset structured outputs use: type, enum, anyOf, properties/required/additionalProperties, items. */
function conforms(value: unknown, s: Schema, at = '$'): string | null {
  if (s.anyOf)
    return s.anyOf.some((o) => conforms(value, o, at) === null) ? null : `${at}: matches no anyOf branch`;
  if (s.enum && !s.enum.includes(value)) return `${at}: ${JSON.stringify(value)} not in enum`;
  const types = s.type === undefined ? [] : [s.type].flat();
  const typeOf =
    value === null
      ? 'null'
      : Array.isArray(value)
        ? 'array'
        : Number.isInteger(value)
          ? 'integer'
          : typeof value;
  if (types.length && !types.includes(typeOf) && !(typeOf === 'integer' && types.includes('number')))
    return `${at}: ${typeOf} is not ${types}`;
  if (typeOf === 'array' && s.items)
    for (const [i, v] of (value as unknown[]).entries()) {
      const e = conforms(v, s.items, `${at}[${i}]`);
      if (e) return e;
    }
  if (typeOf === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of s.required ?? []) if (!(key in obj)) return `${at}.${key}: missing`;
    for (const [key, v] of Object.entries(obj)) {
      const sub = s.properties?.[key];
      if (!sub) {
        if (s.additionalProperties === false) return `${at}.${key}: not allowed`;
        continue;
      }
      const e = conforms(v, sub, `${at}.${key}`);
      if (e) return e;
    }
  }
  return null;
}

describe('simulator contract', () => {
  let sim: Simulator;
  let codes: Simulator;
  before(async () => {
    sim = await startSimulator({
      nodes: [{ id: 'gpu', port: 0, capacity: 4 }],
      llm: [{ id: 'llm', port: 0, capacity: 4 }],
      timeScale: 0,
    });
    codes = await startSimulator({
      nodes: [{ id: 'gpu', port: 0, capacity: 1 }],
      llm: [],
      timeScale: 0,
      languageStyle: 'code',
    });
  });
  after(async () => {
    await sim.close();
    await codes.close();
  });
  const upload = async (url: string, field: string, file: string, extra: Record<string, string> = {}) => {
    const form = new FormData();
    form.append(field, await openAsBlob(sample(file)), file);
    for (const [k, v] of Object.entries(extra)) form.append(k, v);
    const res = await fetch(url, { method: 'POST', body: form });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
    return (await res.json()) as unknown;
  };

  const samples: [string, string][] = [
    ['billing-dispute-en.mp3', 'english'],
    ['internet-outage-es.opus', 'spanish'],
    ['plan-upgrade-hi.m4a', 'hindi'],
  ];
  for (const [file, language] of samples) {
    test(`verbose_json of ${file} is OpenAI's shape, language named "${language}" as OpenAI does`, async () => {
      const body = openAiVerbose.parse(
        await upload(`${sim.nodes[0]!.url}/v1/audio/transcriptions`, 'file', file, {
          model: 'whisper-1',
          response_format: 'verbose_json',
        }),
      );
      assert.equal(body.language, language);
      const segments = body.segments ?? [];
      assert.ok(segments.length > 0);
      assert.equal(
        body.text,
        segments
          .map((s) => s.text)
          .join('')
          .trim(),
      );
      for (const [i, s] of segments.entries()) {
        assert.equal(s.id, i);
        assert.ok(s.start <= s.end && s.end <= body.duration + 0.5, `segment ${i} within the call`);
        if (i > 0) assert.ok(s.start >= segments[i - 1]!.end, `segment ${i} after the previous`);
      }
    });
  }

  test('verbose_json from a code-style server names the language by ISO code', async () => {
    const body = openAiVerbose.parse(
      await upload(`${codes.nodes[0]!.url}/v1/audio/transcriptions`, 'file', 'late-delivery-en.wav'),
    );
    assert.equal(body.language, 'en');
  });

  test('/detect-language is whisper-asr-webservice shape', async () => {
    const body = detectLanguage.parse(
      await upload(`${sim.nodes[0]!.url}/detect-language`, 'audio_file', 'plan-upgrade-hi.m4a'),
    );
    assert.deepEqual([body.detected_language, body.language_code], ['hindi', 'hi']);
  });

  test("chat completions for cofi's two prompts are OpenAI chat.completion objects whose content fits the requested schema", async () => {
    const exchanges: {
      request: { model: string; response_format: { json_schema: { schema: Schema } } };
      response: unknown;
    }[] = [];
    const proxy = await craftedServer((req, res, body) => {
      void fetch(`${sim.llm[0]!.url}${req.url}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      }).then(async (r) => {
        const text = await r.text();
        exchanges.push({ request: JSON.parse(body), response: JSON.parse(text) });
        res.writeHead(r.status, { 'content-type': 'application/json' });
        res.end(text);
      });
    });
    try {
      const { questions, categories } = reference();
      const transcript = {
        text: '',
        segments: [
          {
            id: 0,
            start: 0,
            end: 2,
            speaker: 'agent',
            text: 'Thank you for calling, I am sorry, I have fixed it.',
          },
        ],
        lang: 'en',
      };
      const endpoint = llmEndpoint(proxy.url);
      const analysis = await analyseCall({ endpoint, transcript, categories });
      await answerQuestionnaire({ endpoint, transcript, analysis, questions });
      assert.equal(exchanges.length, 2);
      for (const { request, response } of exchanges) {
        const completion = openAiCompletion.parse(response);
        // The answer names the model that answered: the simulator, not the one asked for.
        assert.deepEqual([request.model, completion.model], ['test-model', 'cofi-simulated-llm']);
        assert.equal(completion.choices[0]?.finish_reason, 'stop');
        const usage = completion.usage!;
        assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
        const content = JSON.parse(completion.choices[0]?.message.content ?? 'null') as unknown;
        assert.equal(conforms(content, request.response_format.json_schema.schema), null);
      }
    } finally {
      await proxy.close();
    }
  });

  test("/v1/models and errors look like OpenAI's; the models are named as simulated", async () => {
    const ids = async (url: string) =>
      openAiModels.parse(await (await fetch(`${url}/v1/models`)).json()).data.map((m) => m.id);
    assert.deepEqual(await ids(sim.nodes[0]!.url), ['cofi-simulated-whisper']);
    assert.deepEqual(await ids(sim.llm[0]!.url), ['cofi-simulated-llm']);
    const missing = await fetch(`${sim.nodes[0]!.url}/v1/nothing`, { method: 'POST' });
    assert.equal(missing.status, 404);
    openAiError.parse(await missing.json());
    const health = await fetch(`${sim.llm[0]!.url}/health`);
    assert.deepEqual([health.status, await health.json()], [200, { status: 'ok', id: 'llm' }]);
  });

  test('the contract schemas can fail: a server that answers codes and no segments fields is caught', () => {
    const bare = {
      language: 'en',
      duration: 3,
      text: 'hi',
      segments: [{ id: 0, start: 0, end: 1, text: 'hi' }],
    };
    assert.equal(openAiVerbose.safeParse(bare).success, false);
    assert.equal(openAiCompletion.safeParse({ choices: [{ message: { content: '{}' } }] }).success, false);
    assert.notEqual(
      conforms(
        { a: 1, b: 2 },
        {
          type: 'object',
          properties: { a: { type: 'number' } },
          required: ['a'],
          additionalProperties: false,
        },
      ),
      null,
    );
  });
});
