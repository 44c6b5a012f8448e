// The GPU-node simulator: serves the OpenAI-compatible endpoints cofi calls, per simulated node on its own
// loopback port, with a capacity, a latency model and failure injection. It is a simulator, not a model.
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import busboy from 'busboy';
import { parseFile } from 'music-metadata';
import { languageName } from '../core/inference/languages.js';
import { rng, type Script, syntheticScript, timedSegments } from './content.js';
import { analysisAnswer, questionnaireAnswer, transcriptOf } from './rules.js';

export type Latency = {
  /** Seconds of audio transcribed per second (faster-whisper large-v2 fp16: ~12; batched: ~40). */
  sttRealTimeFactor: number;
  sttOverheadMs: number;
  lidMs: number;
  llmMsPerToken: number;
  llmOverheadMs: number;
};
export const DEFAULT_LATENCY: Latency = {
  sttRealTimeFactor: 40,
  sttOverheadMs: 150,
  lidMs: 150,
  llmMsPerToken: 2,
  llmOverheadMs: 100,
};

export type Failures = {
  /** Rates 0..1 of injected faults, drawn from a seeded sequence. */
  serverErrorRate?: number;
  timeoutRate?: number;
  resetRate?: number;
  malformedRate?: number;
  /** Only requests whose file name (or transcript) matches this regex get the rates above. */
  pattern?: string;
  /** Requests whose file name matches get 400 (a permanent client error). */
  clientErrorPattern?: string;
  /** Which endpoints the faults apply to (default: all). */
  endpoints?: ('transcriptions' | 'detect-language' | 'chat')[];
  seed?: number;
};

export type SimulatorOptions = {
  nodes: { id: string; port: number; capacity: number; rejectWhenBusy?: boolean }[];
  llm: { id: string; port: number; capacity: number; rejectWhenBusy?: boolean }[];
  /** Multiplies every latency (0: answer at once). */
  timeScale?: number;
  latency?: Partial<Latency>;
  failures?: Failures;
  /** Scripts of sample calls by the sha256 of their audio. */
  scripts?: Map<string, Script>;
};

export type BusyInterval = { start: number; end: number; kind: string };
export type EndpointStats = {
  id: string;
  served: number;
  maxConcurrent: number;
  busy: BusyInterval[];
  capacity: number;
};

type Endpoint = {
  id: string;
  capacity: number;
  rejectWhenBusy: boolean;
  active: number;
  waiting: (() => void)[];
  stats: EndpointStats;
  up: boolean;
};

export async function startSimulator(options: SimulatorOptions) {
  const latency = { ...DEFAULT_LATENCY, ...options.latency };
  let failures: Failures = { ...options.failures };
  let draw = rng(failures.seed ?? 42);
  const scale = () => options.timeScale ?? 1;
  const sleep = (ms: number) =>
    ms * scale() > 0 ? new Promise((r) => setTimeout(r, ms * scale())) : Promise.resolve();
  const servers: { id: string; kind: 'gpu' | 'llm'; server: Server; url: string; endpoint: Endpoint }[] = [];

  const acquire = async (e: Endpoint) => {
    if (e.active >= e.capacity) {
      if (e.rejectWhenBusy) return false;
      await new Promise<void>((r) => e.waiting.push(r));
    }
    e.active++;
    e.stats.maxConcurrent = Math.max(e.stats.maxConcurrent, e.active);
    return true;
  };
  const release = (e: Endpoint) => {
    e.active--;
    e.waiting.shift()?.();
  };

  /** The fault to inject for this request, if any (deterministic for a seed and request order). */
  const fault = (subject: string, endpoint: string): 'client' | '5xx' | 'timeout' | 'reset' | 'malformed' | null => {
    if (failures.endpoints && !failures.endpoints.some((e) => endpoint.endsWith(e))) return null;
    if (failures.clientErrorPattern && new RegExp(failures.clientErrorPattern).test(subject)) return 'client';
    if (failures.pattern && !new RegExp(failures.pattern).test(subject)) return null;
    const x = draw();
    let edge = failures.serverErrorRate ?? 0;
    if (x < edge) return '5xx';
    if (x < (edge += failures.timeoutRate ?? 0)) return 'timeout';
    if (x < (edge += failures.resetRate ?? 0)) return 'reset';
    if (x < (edge += failures.malformedRate ?? 0)) return 'malformed';
    return null;
  };

  const handler =
    (kind: 'gpu' | 'llm', endpoint: Endpoint) => async (req: IncomingMessage, res: ServerResponse) => {
      const url = new URL(req.url ?? '/', 'http://sim');
      try {
        if (req.method === 'GET' && url.pathname === '/health')
          return json(res, 200, { status: endpoint.up ? 'ok' : 'down' });
        if (req.method === 'GET' && url.pathname === '/v1/models')
          return json(res, 200, {
            object: 'list',
            data: [
              {
                id: kind === 'gpu' ? 'whisper-1' : 'cofi-simulated-llm',
                object: 'model',
                owned_by: 'cofi-simulator',
              },
            ],
          });
        if (req.method !== 'POST') return json(res, 404, { error: { message: 'not found' } });
        if (
          kind === 'gpu' &&
          (url.pathname === '/v1/audio/transcriptions' || url.pathname === '/detect-language')
        ) {
          const upload = await receiveAudio(req);
          try {
            return await serve(
              endpoint,
              upload.fileName,
              res,
              async () => {
                const script =
                  options.scripts?.get(upload.sha256) ??
                  syntheticScript(upload.seed, languageHint(upload.fileName, upload.seed));
                if (url.pathname === '/detect-language') {
                  await sleep(latency.lidMs);
                  return {
                    detected_language: languageName(script.language),
                    language_code: script.language,
                    confidence: 0.9 + rng(upload.seed)() * 0.09,
                  };
                }
                await sleep(latency.sttOverheadMs + (upload.duration / latency.sttRealTimeFactor) * 1000);
                const segments = timedSegments(script, upload.duration, upload.seed);
                return {
                  task: 'transcribe',
                  language: languageName(script.language),
                  duration: upload.duration,
                  text: segments
                    .map((s) => s.text)
                    .join('')
                    .trim(),
                  segments,
                };
              },
              url.pathname === '/detect-language' ? 'lid' : 'stt',
              url.pathname,
            );
          } finally {
            await upload.dispose();
          }
        }
        if (kind === 'llm' && url.pathname === '/v1/chat/completions') {
          const body = JSON.parse((await readBody(req)).toString('utf8')) as ChatRequest;
          const transcript = transcriptOf(body.messages ?? []);
          return await serve(
            endpoint,
            transcript.slice(0, 200),
            res,
            async () => {
              const format = body.response_format?.json_schema;
              const content =
                format?.name === 'audit_answers'
                  ? questionnaireAnswer(format.schema, transcript)
                  : analysisAnswer(format?.schema ?? {}, transcript);
              const text = JSON.stringify(content);
              const tokens = Math.ceil(text.length / 4);
              await sleep(latency.llmOverheadMs + tokens * latency.llmMsPerToken);
              return {
                id: `chatcmpl-sim-${endpoint.stats.served}`,
                object: 'chat.completion',
                created: Math.floor(Date.now() / 1000),
                model: body.model ?? 'cofi-simulated-llm',
                choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
                usage: {
                  prompt_tokens: Math.ceil(JSON.stringify(body.messages).length / 4),
                  completion_tokens: tokens,
                  total_tokens: tokens,
                },
              };
            },
            'llm',
            'chat',
          );
        }
        return json(res, 404, { error: { message: `no route ${req.method} ${url.pathname}` } });
      } catch (err) {
        if (!res.headersSent) json(res, 400, { error: { message: (err as Error).message } });
      }
    };

  async function serve(
    endpoint: Endpoint,
    subject: string,
    res: ServerResponse,
    work: () => Promise<unknown>,
    busyKind: string,
    path: string,
  ) {
    if (!endpoint.up) return res.socket?.destroy();
    const f = fault(subject, path);
    if (f === 'client')
      return json(res, 400, {
        error: { message: `simulated client error for "${subject}"`, type: 'invalid_request_error' },
      });
    if (!(await acquire(endpoint)))
      return json(res, 429, { error: { message: 'simulated node at capacity' } });
    const start = Date.now();
    try {
      if (f === 'reset') return res.socket?.destroy();
      if (f === 'timeout') return await new Promise<void>((r) => res.on('close', () => r()));
      if (f === '5xx') return json(res, 503, { error: { message: 'simulated server error' } });
      const body = (await work()) as { choices?: { message: { content: string } }[] };
      if (f === 'malformed' && body.choices?.[0]) body.choices[0].message.content = '{"summary": "truncated';
      endpoint.stats.served++;
      json(res, 200, body);
    } finally {
      endpoint.stats.busy.push({ start, end: Date.now(), kind: busyKind });
      release(endpoint);
    }
  }

  for (const [kind, list] of [
    ['gpu', options.nodes],
    ['llm', options.llm],
  ] as const) {
    for (const n of list) {
      const endpoint: Endpoint = {
        id: n.id,
        capacity: n.capacity,
        rejectWhenBusy: n.rejectWhenBusy ?? false,
        active: 0,
        waiting: [],
        up: true,
        stats: { id: n.id, served: 0, maxConcurrent: 0, busy: [], capacity: n.capacity },
      };
      const server = createServer((req, res) => void handler(kind, endpoint)(req, res));
      server.keepAliveTimeout = 1000;
      await new Promise<void>((resolve, reject) =>
        server.once('error', reject).listen(n.port, '127.0.0.1', () => resolve()),
      );
      servers.push({
        id: n.id,
        kind,
        server,
        endpoint,
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      });
    }
  }

  return {
    nodes: servers.filter((s) => s.kind === 'gpu').map((s) => ({ id: s.id, url: s.url })),
    llm: servers.filter((s) => s.kind === 'llm').map((s) => ({ id: s.id, url: s.url })),
    stats: (): EndpointStats[] => servers.map((s) => structuredClone(s.endpoint.stats)),
    setFailures(next: Failures) {
      failures = { ...next };
      draw = rng(failures.seed ?? 42);
    },
    /** A node that is "gone": connections are dropped until it is brought back. */
    setUp(id: string, up: boolean) {
      const s = servers.find((x) => x.id === id);
      if (s) s.endpoint.up = up;
    },
    async close() {
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((r) => {
              s.server.closeAllConnections();
              s.server.close(() => r());
            }),
        ),
      );
    },
  };
}

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;
type ChatRequest = {
  model?: string;
  messages?: { role: string; content: string }[];
  response_format?: { json_schema?: { name: string; schema: Record<string, never> } };
};

/** A language from the file name (`call_es.wav`, `hi-001.mp3`), else mostly English, seeded by the audio. */
function languageHint(name: string, seed: number): string {
  const m = /(?:^|[^a-z])(en|es|hi|fr|de|pt|ar|ta|bn)(?:[^a-z]|$)/i.exec(name);
  if (m?.[1]) return m[1].toLowerCase();
  const x = rng(seed ^ 0x9e3779b9)();
  return x < 0.8 ? 'en' : x < 0.9 ? 'es' : 'hi';
}

function json(res: ServerResponse, status: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit = 50 * 1024 * 1024): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** Saves the multipart `file` (or `audio_file`) to a temp file, reads its duration and hash. */
async function receiveAudio(req: IncomingMessage) {
  const dir = await mkdtemp(path.join(tmpdir(), 'cofi-sim-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    let fileName = 'audio';
    const target = path.join(dir, 'upload');
    await new Promise<void>((resolve, reject) => {
      const parser = busboy({ headers: req.headers });
      let saving: Promise<void> | null = null;
      parser.on('file', (field, stream, info) => {
        if (field !== 'file' && field !== 'audio_file') return void stream.resume();
        fileName = info.filename ?? fileName;
        saving = pipeline(stream, createWriteStream(target));
      });
      parser.on('close', () => (saving ?? Promise.reject(new Error('no file part'))).then(resolve, reject));
      parser.on('error', reject);
      req.pipe(parser);
    });
    const bytes = await readFile(target);
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const meta = await parseFile(target, { duration: true }).catch(() => null);
    const duration = meta?.format.duration;
    if (!duration) throw new Error('the file is not decodable audio');
    return {
      fileName,
      sha256,
      seed: Number.parseInt(sha256.slice(0, 8), 16),
      duration: Math.round(duration * 1000) / 1000,
      dispose,
    };
  } catch (err) {
    await dispose();
    throw err;
  }
}
