// Chat completions with a JSON-schema response format (`POST /v1/chat/completions`), as vLLM, Ollama,
// llama.cpp's server and hosted APIs speak it; the answer is validated and retried a bounded number of times.
import { z } from 'zod';
import type { LlmEndpoint } from '../config.js';
import { type FailureContext, stageFailure } from '../errors.js';
import { cutText, postInference } from './http.js';

export type ChatMessage = { role: 'system' | 'user' | 'assistant'; content: string };

export const chatCompletionSchema = z.object({
  id: z.string().optional(),
  object: z.literal('chat.completion').optional(),
  model: z.string().optional(),
  choices: z
    .array(
      z.object({
        index: z.number().int().optional(),
        message: z.object({ role: z.string(), content: z.string().nullable() }),
        finish_reason: z.string().nullable().optional(),
      }),
    )
    .min(1),
  usage: z
    .object({ prompt_tokens: z.number(), completion_tokens: z.number(), total_tokens: z.number() })
    .partial()
    .optional(),
});

export type ChatJsonInput<T extends z.ZodType> = {
  endpoint: LlmEndpoint;
  schemaName: string;
  schema: T;
  /** The JSON schema sent to the server; default: derived from `schema`. */
  jsonSchema?: Record<string, unknown>;
  messages: ChatMessage[];
  maxAttempts?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Extra checks on the parsed answer (e.g. codes that must exist); return a message to reject it. */
  check?: (value: z.infer<T>) => string | null;
};

export async function chatJson<T extends z.ZodType>(
  input: ChatJsonInput<T>,
): Promise<{ value: z.infer<T>; model: string }> {
  const url = `${input.endpoint.url.replace(/\/$/, '')}/v1/chat/completions`;
  const jsonSchema =
    input.jsonSchema ?? (z.toJSONSchema(input.schema, { target: 'draft-7' }) as Record<string, unknown>);
  const request = {
    model: input.endpoint.model,
    messages: input.messages,
    temperature: 0,
    response_format: {
      type: 'json_schema',
      json_schema: { name: input.schemaName, schema: jsonSchema, strict: true },
    },
  };
  const maxAttempts = input.maxAttempts ?? 3;
  let last: { why: string; context: FailureContext } | undefined;
  for (let attempt = 1; attempt <= maxAttempts; attempt++) {
    const { text, context } = await postInference({
      url,
      body: JSON.stringify(request),
      headers: { 'content-type': 'application/json' },
      apiKey: input.endpoint.apiKey,
      timeoutMs: input.timeoutMs ?? 300_000,
      signal: input.signal,
      payload: {
        ...request,
        messages: request.messages.map((m) => ({ role: m.role, content: cutText(m.content, 1500) })),
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
    const parsed = input.schema.safeParse(parseJson(content));
    const why = !parsed.success
      ? `content does not match the ${input.schemaName} schema: ${parsed.error.issues[0]?.path.join('.')} ${parsed.error.issues[0]?.message}`
      : input.check?.(parsed.data);
    if (!why && parsed.success)
      return { value: parsed.data, model: envelope.data.model ?? input.endpoint.model };
    last = { why: why ?? 'invalid', context: { ...context, rawResponse: cutText(content) } };
  }
  throw stageFailure('invalid_output', `${url}: ${last?.why} (after ${maxAttempts} attempts)`, last?.context);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
