// The CPU LLM node: OpenAI's chat completions (JSON-schema response formats as grammars) over node-llama-cpp.
// Started by ops/llm.sh, which installs the library outside the clone and passes its path in LLM_NODE_LIB.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { type Engine, loadEngine } from './engine.js';
import { grammarSchema, UnsupportedSchema } from './grammarSchema.js';

const env = z
  .object({
    LLM_NODE_LIB: z.string().min(1),
    LLM_NODE_MODEL_PATH: z.string().min(1),
    LLM_NODE_PORT: z.coerce.number().int().min(0).max(65535).default(9210),
    LLM_NODE_HOST: z.string().default('127.0.0.1'),
    // One thread by default: on a loaded 2-core machine two llama.cpp threads spin-wait on each other (13x slower).
    LLM_NODE_THREADS: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.coerce.number().int().min(1).default(1),
    ),
    LLM_NODE_CAPACITY: z.coerce.number().int().min(1).default(1),
    LLM_NODE_MODEL: z.string().min(1).default('gemma-3-270m'),
    // Tokens one sequence holds (prompt + answer); cofi's longest prompt (LLM2) is about 1,300 tokens.
    LLM_NODE_CONTEXT: z.coerce.number().int().min(512).default(4096),
  })
  .safeParse(process.env);
if (!env.success) {
  for (const issue of env.error.issues) console.error(`[llm-node] ${issue.path.join('.')}: ${issue.message}`);
  process.exit(1);
}
const config = env.data;

/** Answers without max_tokens stop here, so a model that never closes its JSON cannot hold a slot for long. */
const DEFAULT_MAX_TOKENS = 1024;

const textPart = z.object({ type: z.literal('text'), text: z.string() });
const requestSchema = z.object({
  model: z.string().min(1),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'developer', 'user', 'assistant']),
        content: z.union([z.string(), z.array(textPart).min(1)]),
      }),
    )
    .min(1),
  temperature: z.number().min(0).max(2).optional(),
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  seed: z.number().int().optional(),
  stream: z.literal(false).optional(),
  n: z.literal(1).optional(),
  response_format: z
    .discriminatedUnion('type', [
      z.object({ type: z.literal('text') }),
      z.object({ type: z.literal('json_object') }),
      z.object({
        type: z.literal('json_schema'),
        json_schema: z.object({
          name: z.string(),
          schema: z.record(z.string(), z.unknown()),
          strict: z.boolean().nullable().optional(),
        }),
      }),
    ])
    .optional(),
});

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly type: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }
}

type Reply = { status: number; body: unknown };

async function chatCompletion(engine: Engine, req: IncomingMessage, signal: AbortSignal): Promise<Reply> {
  const raw = await readBody(req);
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'the body is not valid JSON', 'invalid_request_error');
  }
  const parsed = requestSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const param = issue?.path.join('.') || null;
    throw new HttpError(400, `${param ?? 'body'}: ${issue?.message}`, 'invalid_request_error', null, param);
  }
  const body = parsed.data;
  if (body.model !== config.LLM_NODE_MODEL)
    throw new HttpError(
      404,
      `The model \`${body.model}\` does not exist; this node serves \`${config.LLM_NODE_MODEL}\``,
      'invalid_request_error',
      'model_not_found',
      'model',
    );
  const messages = body.messages.map((m) => ({
    role: m.role === 'developer' ? ('system' as const) : m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('\n'),
  }));
  if (messages.at(-1)?.role !== 'user')
    throw new HttpError(
      400,
      'the last message must be from the user',
      'invalid_request_error',
      null,
      'messages',
    );
  const format = body.response_format;
  let schema: Record<string, unknown> | null = null;
  try {
    if (format?.type === 'json_schema') schema = grammarSchema(format.json_schema.schema);
    if (format?.type === 'json_object') schema = { type: 'object', additionalProperties: true };
  } catch (err) {
    if (err instanceof UnsupportedSchema)
      throw new HttpError(400, err.message, 'invalid_request_error', null, 'response_format');
    throw err;
  }
  const started = Date.now();
  const answer = await engine.generate({
    messages,
    schema,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? DEFAULT_MAX_TOKENS,
    // Deterministic unless asked otherwise: cofi sends 0, and audits should not vary between runs.
    temperature: body.temperature ?? 0,
    seed: body.seed,
    signal,
  });
  return {
    status: 200,
    body: {
      id: `chatcmpl-${randomUUID()}`,
      object: 'chat.completion',
      created: Math.floor(started / 1000),
      model: config.LLM_NODE_MODEL,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: answer.content, refusal: null },
          logprobs: null,
          finish_reason: answer.finishReason,
        },
      ],
      usage: {
        prompt_tokens: answer.promptTokens,
        completion_tokens: answer.completionTokens,
        total_tokens: answer.promptTokens + answer.completionTokens,
      },
    },
  };
}

function metrics(engine: Engine) {
  const s = engine.stats();
  return {
    model: config.LLM_NODE_MODEL,
    capacity: config.LLM_NODE_CAPACITY,
    requests: s.requests,
    running: s.running,
    waiting: s.waiting,
    prompt_tokens: s.promptTokens,
    completion_tokens: s.completionTokens,
    // Over the time slots spent generating (prompt evaluation included), not over wall-clock uptime.
    completion_tokens_per_second:
      s.generationSeconds > 0 ? Math.round((10 * s.completionTokens) / s.generationSeconds) / 10 : 0,
    generation_seconds: Math.round(s.generationSeconds * 10) / 10,
    rss_bytes: process.memoryUsage.rss(),
    peak_rss_bytes: peakRss(),
    // The JavaScript share of the RSS (the rest: the mmapped model, llama.cpp's buffers, the grammar state).
    js_heap_bytes: process.memoryUsage().heapTotal,
  };
}

/** VmHWM: the most resident memory the process has had (model mmap pages included), 0 off Linux. */
function peakRss(): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function route(engine: Engine, req: IncomingMessage, signal: AbortSignal): Promise<Reply> {
  const { pathname } = new URL(req.url ?? '/', 'http://llm-node');
  if (req.method === 'GET' && pathname === '/health')
    return { status: 200, body: { status: 'ok', model: config.LLM_NODE_MODEL } };
  if (req.method === 'GET' && pathname === '/v1/models')
    return {
      status: 200,
      body: {
        object: 'list',
        data: [{ id: config.LLM_NODE_MODEL, object: 'model', created: 0, owned_by: 'cofi-llm-node' }],
      },
    };
  if (req.method === 'GET' && pathname === '/metrics') return { status: 200, body: metrics(engine) };
  if (req.method === 'POST' && pathname === '/v1/chat/completions')
    return chatCompletion(engine, req, signal);
  throw new HttpError(404, `no route ${req.method} ${pathname}`, 'invalid_request_error', 'not_found');
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > 4_000_000) reject(new HttpError(413, 'the body is over 4 MB', 'invalid_request_error'));
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, reply: Reply) {
  if (res.destroyed) return;
  const text = JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

async function main() {
  const engine = await loadEngine({
    libDir: config.LLM_NODE_LIB,
    modelPath: config.LLM_NODE_MODEL_PATH,
    capacity: config.LLM_NODE_CAPACITY,
    threads: config.LLM_NODE_THREADS,
    contextSize: config.LLM_NODE_CONTEXT,
  });
  const server = createServer((req, res) => {
    // A client that hangs up stops its generation (or its wait for a slot).
    const abort = new AbortController();
    res.once('close', () => abort.abort());
    route(engine, req, abort.signal)
      .catch((err: unknown): Reply => {
        if (err instanceof HttpError)
          return {
            status: err.status,
            body: { error: { message: err.message, type: err.type, param: err.param, code: err.code } },
          };
        console.error('[llm-node]', err);
        const message = `generation failed: ${(err as Error).message}`;
        return { status: 500, body: { error: { message, type: 'server_error', param: null, code: null } } };
      })
      .then((reply) => send(res, reply))
      .catch(() => res.destroy());
  });
  server.listen(config.LLM_NODE_PORT, config.LLM_NODE_HOST, () => {
    console.log(
      `[llm-node] ${config.LLM_NODE_MODEL} on http://${config.LLM_NODE_HOST}:${config.LLM_NODE_PORT}, ` +
        `capacity ${config.LLM_NODE_CAPACITY}, context ${engine.contextSize} tokens/sequence, chat format ${engine.chatTemplate}`,
    );
  });
  // An answer in progress is dropped (the client sees a closed connection and retries elsewhere).
  const stop = () => {
    server.close();
    process.exit(0);
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

await main();
