// Shared pieces of the inference tests: fixture paths, fleet objects for a running simulator, a crafted
// one-route server for answers the simulator never gives, and assertions on classified failures.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { ApplicationFailure } from '@temporalio/common';
import type { GpuNode, LlmEndpoint } from '../../core/config.js';
import { type FailureContext, type FailureType, failureContext } from '../../core/errors.js';
import type { CategoryOption } from '../../core/inference/analysis.js';
import type { Question } from '../../core/inference/questionnaire.js';
import { referenceData } from '../../drizzle/referenceData.js';
import { makeWav } from '../support/audio.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/audio/', import.meta.url));
export const SAMPLES = fileURLToPath(new URL('../../samples/', import.meta.url));
export const fixture = (name: string) => `${FIXTURES}${name}`;
export const sample = (name: string) => `${SAMPLES}${name}`;

export function gpuNode(url: string, extra: Partial<GpuNode> = {}): GpuNode {
  return { id: 'test-gpu', url, capacity: 2, stages: ['lid', 'stt'], model: 'whisper-1', ...extra };
}
export function llmEndpoint(url: string, extra: Partial<LlmEndpoint> = {}): LlmEndpoint {
  return { id: 'test-llm', url, capacity: 2, model: 'test-model', ...extra };
}

/** The reference questionnaire (process 1) and category mapping (1) that production loads. */
export function reference(): { questions: Question[]; categories: CategoryOption[] } {
  const data = referenceData();
  const questions = data.processes[0]!.questions.map((q) => ({ ...q, guidance: q.guidance ?? null }));
  const categories = data.mappings[0]!.categories.flatMap((top) => [
    { code: top.code, name: top.name, parent: null },
    ...(top.children ?? []).map((c) => ({ code: c.code, name: c.name, parent: top.code })),
  ]);
  return { questions, categories };
}

/**
 * The retry decision per failure class, written out here rather than read from core/errors.ts, so a change
 * of FAILURE_TYPES that makes a permanent error retryable (or the reverse) fails the tests.
 */
const RETRYABLE: Record<FailureType, boolean> = {
  connection: true,
  timeout: true,
  rate_limited: true,
  server_error: true,
  client_error: false,
  invalid_output: false,
  undecodable_audio: false,
  missing_data: false,
};

/** Awaits a rejection that must be a classified stage failure of `type`, with the right retry flag. */
export async function expectFailure(promise: Promise<unknown>, type: FailureType): Promise<FailureContext> {
  const err = await promise.then(
    () => assert.fail(`expected a ${type} failure, got a result`),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
  assert.equal(err.type, type, `failure type (message: ${err.message})`);
  assert.equal(err.nonRetryable, !RETRYABLE[type], `nonRetryable of ${type}`);
  return failureContext(err);
}

/** Asserts a failure's stored input holds no audio bytes and no key. */
export function assertSafePayload(context: FailureContext, secret?: string) {
  const text = JSON.stringify(context.inputPayload ?? null);
  assert.ok(context.inputPayload, 'the failure keeps the input payload');
  assert.ok(!/RIFF|ID3|fLaC|OggS/.test(text), 'no audio bytes in the payload');
  if (secret) assert.ok(!text.includes(secret), 'no API key in the payload');
}

/** A port nothing listens on (it was open a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((r) => server.close(() => r()));
  return port;
}

/** A stand-in server with one handler for every request, for answers a real server might give. */
export async function craftedServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
) {
  let requests = 0;
  const server = createServer(async (req, res) => {
    requests++;
    let body = '';
    for await (const chunk of req) body += (chunk as Buffer).toString('latin1');
    handler(req, res, body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

/** A chat completion whose content is `content`, as an OpenAI-compatible server sends it. */
export function completionWith(content: string) {
  return JSON.stringify({
    id: 'chatcmpl-crafted',
    object: 'chat.completion',
    created: 0,
    model: 'crafted',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
  });
}

/** 8 kHz mono PCM WAV of a tone; `seed` changes the pitch, so the bytes (and the synthetic call) differ. */
export function writeWav(path: string, seconds: number, seed: number) {
  writeFileSync(path, makeWav(seconds, seed, 8000, 6000));
}
