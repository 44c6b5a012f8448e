// Chat completions with a JSON-schema response format (`POST /v1/chat/completions`), as vLLM, Ollama,
// llama.cpp's server and hosted APIs speak it; the answer is validated and retried a bounded number of times.
import { z } from 'zod';
import type { LlmEndpoint } from '../config.js';
import { type FailureContext, stageFailure } from '../errors.js';
import { cutText, postInference } from './http.js';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

/** The part of a chat completion cofi reads; lenient, since servers add and omit fields. */
export const chatCompletionSchema = z.object({
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        message: z.object({ role: z.string(), content: z.string().nullable() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
});

export type ChatJsonInput<T extends z.ZodType> = {
  endpoint: LlmEndpoint;
  schemaName: string;
  /** The answer's shape: validated with zod and sent to the server as JSON Schema (z.toJSONSchema). */
  schema: T;
  messages: ChatMessage[];
  /** Requests made at most, counting the first (default 3). */
  maxAttempts?: number;
  /** Per request; default 5 minutes. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Checks the schema cannot express (e.g. a sub-category under its category): a message rejects it. */
  check?: (value: z.infer<T>) => string | null;
};

/** The JSON Schema sent as `response_format.json_schema.schema` (no `$schema`: some servers reject it). */
export function responseSchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { target: 'draft-7' }) as Record<string, unknown>;
  return rest;
}

export async function chatJson<T extends z.ZodType>(
  input: ChatJsonInput<T>,
): Promise<{ value: z.infer<T>; model: string }> {
  const url = `${input.endpoint.url.replace(/\/$/, '')}/v1/chat/completions`;
  const responseFormat = {
    type: 'json_schema',
    json_schema: { name: input.schemaName, schema: responseSchema(input.schema), strict: true },
  };
  const maxAttempts = Math.max(1, input.maxAttempts ?? 3);
  let messages = input.messages;
  let last: { why: string; context: FailureContext } | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const request = {
      model: input.endpoint.model,
      messages,
      temperature: 0,
      response_format: responseFormat,
    };
    const { text, context } = await postInference({
      url,
      body: JSON.stringify(request),
      headers: { 'content-type': 'application/json' },
      apiKey: input.endpoint.apiKey,
      timeoutMs: input.timeoutMs ?? 300_000,
      signal: input.signal,
      payload: {
        ...request,
        attempt,
        messages: messages.map((m) => ({ role: m.role, content: cutText(m.content, 1500) })),
      },
    });
    const envelope = chatCompletionSchema.safeParse(parseJson(text));
    if (!envelope.success) {
      last = {
        why: 'the answer is not a chat completion',
        context: { ...context, rawResponse: cutText(text) },
      };
      continue;
    }
    const content = envelope.data.choices[0]?.message.content ?? '';
    const json = parseJson(content);
    const parsed = input.schema.safeParse(json);
    const why =
      json === undefined
        ? 'the content is not valid JSON'
        : !parsed.success
          ? `the content does not match the ${input.schemaName} schema: ${describe(parsed.error)}`
          : input.check?.(parsed.data);
    if (!why && parsed.success)
      return { value: parsed.data, model: envelope.data.model ?? input.endpoint.model };
    last = { why: why ?? 'invalid', context: { ...context, rawResponse: cutText(content) } };
    // With temperature 0 the same request gets the same answer: the retry says what was wrong.
    messages = [
      ...input.messages,
      { role: 'assistant', content: cutText(content, 4000) },
      {
        role: 'user',
        content: `That answer was rejected: ${last.why}. Answer again with JSON only, matching the schema.`,
      },
    ];
  }
  throw stageFailure('invalid_output', `${url}: ${last?.why} (after ${maxAttempts} attempts)`, last?.context);
}

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'invalid';
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
