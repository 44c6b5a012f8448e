// The GPU-node simulator: per simulated node (or LLM endpoint) a loopback HTTP server speaking the
// protocols cofi calls, with a capacity, a latency model and seeded failure injection. Not a model.

import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createSlots, type EndpointStats, type RequestRecord, type Slots } from './capacity.js';
import { languageHint, piiScript, type Script, syntheticScript, wantsPiiScript } from './content.js';
import { createFaultPlan, type Failures, type Fault, type FaultEndpoint, type FaultPlan } from './faults.js';
import {
  chatCompletion,
  detectLanguageBody,
  errorBody,
  type LanguageStyle,
  modelList,
  SIMULATED_MODELS,
  verboseJson,
} from './protocol.js';
import { BadRequest, type Reply, readBody, send } from './reply.js';
import { analysisAnswer, questionnaireAnswer, readPrompt } from './rules.js';
import { findScript, loadSampleScripts, type SampleScripts } from './samples.js';
import { receiveAudio } from './upload.js';

export type { BusyInterval, EndpointStats, RequestRecord } from './capacity.js';
export type { Failures } from './faults.js';

export type Latency = {
  /** Seconds of audio transcribed per second of work (batched faster-whisper: ~40). */
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

export type SimulatedEndpoint = {
  id: string;
  /** 0: an ephemeral port (tests). */
  port: number;
  capacity: number;
  /** Answer 429 when every slot is busy, instead of queueing. */
  rejectWhenBusy?: boolean;
  /** Default 127.0.0.1. */
  host?: string;
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Where language identification is served (default `/detect-language`). */
  lidPath?: string;
};

export type SimulatorOptions = {
  nodes: SimulatedEndpoint[];
  llm: SimulatedEndpoint[];
  /** Multiplies every latency (0: answer at once). */
  timeScale?: number;
  latency?: Partial<Latency>;
  failures?: Failures;
  /** How verbose_json names the language: "english" as OpenAI does (default) or "en" as most servers do. */
  languageStyle?: LanguageStyle;
  /** Scripts of sample calls; default: samples/*.script.json; null: none (every call synthetic). */
  scripts?: SampleScripts | null;
  /** Largest accepted upload (default 100 MB). */
  maxUploadBytes?: number;
  /** Keep the messages of every chat request, for prompts() (tests that check what an LLM was sent). */
  recordPrompts?: boolean;
};

/** One chat request's messages, as an LLM endpoint received them. */
export type RecordedPrompt = {
  endpoint: string;
  stage: 'llm1' | 'llm2';
  messages: { role: string; content: string }[];
};

export type SimulatorStats = { endpoints: EndpointStats[] };

/** The client of one request: `gone` settles when its connection closes. */
type Client = { gone: Promise<void>; left(): boolean };
/** What a request is, for the request log. */
type Subject = { stage: RequestRecord['stage']; subject: string; audioSeconds: number };

type Running = {
  spec: SimulatedEndpoint;
  kind: 'gpu' | 'llm';
  slots: Slots;
  server: Server | null;
  url: string;
};

export async function startSimulator(options: SimulatorOptions) {
  const latency = { ...DEFAULT_LATENCY, ...options.latency };
  const scripts = options.scripts === undefined ? loadSampleScripts() : options.scripts;
  const style = options.languageStyle ?? 'name';
  const maxUpload = options.maxUploadBytes ?? 100 * 1024 * 1024;
  let plan: FaultPlan = createFaultPlan(options.failures ?? {});
  let timeScale = options.timeScale ?? 1;
  const sleep = (ms: number) => {
    const scaled = ms * timeScale;
    return scaled > 0 ? new Promise((r) => setTimeout(r, scaled)) : Promise.resolve();
  };
  const running: Running[] = [];
  const prompts: RecordedPrompt[] = [];

  /**
   * Runs `work` in a slot unless a fault is drawn; the fault decides how the request goes wrong. Every
   * request lands in the endpoint's request log with its outcome.
   */
  async function inSlot(
    e: Running,
    what: Subject,
    decided: Fault | null,
    client: Client,
    work: () => Promise<Reply>,
  ): Promise<Reply> {
    const log = (outcome: RequestRecord['outcome'], start: number) =>
      e.slots.stats.requests.push({
        ...what,
        outcome,
        delivered: !client.left(),
        start,
        end: Date.now(),
      });
    if (decided === 'client_error') {
      e.slots.stats.faulted++;
      log('client_error', Date.now());
      return { status: 400, body: errorBody('simulated client error', 'invalid_request_error') };
    }
    if (!(await e.slots.acquire())) {
      log('rejected', Date.now());
      return { status: 429, body: errorBody('simulated node at capacity', 'rate_limit') };
    }
    const start = Date.now();
    let outcome: RequestRecord['outcome'] = decided === 'malformed' ? 'malformed' : 'ok';
    try {
      if (decided === 'server_error' || decided === 'timeout' || decided === 'reset') {
        e.slots.stats.faulted++;
        outcome = decided;
        if (decided === 'server_error')
          return { status: 503, body: errorBody('simulated server error', 'server_error') };
        if (decided === 'reset') return { fault: 'reset' };
        // A hung request keeps its slot, as on a real node, until the client gives up.
        await client.gone;
        return { fault: 'hang' };
      }
      const reply = await work();
      e.slots.stats.served++;
      return reply;
    } finally {
      e.slots.release(start, what.stage);
      log(outcome, start);
    }
  }

  function scriptFor(sha256: string, fileName: string, seed: number): Script {
    if (wantsPiiScript(fileName)) return piiScript(fileName);
    return findScript(scripts, sha256, fileName) ?? syntheticScript(seed, languageHint(fileName, seed));
  }

  async function audioRequest(
    e: Running,
    req: IncomingMessage,
    client: Client,
    endpoint: FaultEndpoint,
  ): Promise<Reply> {
    const upload = await receiveAudio(req, maxUpload);
    try {
      const { fault, variant } = plan.decide(endpoint, upload.fileName);
      // cofi identifies the language with a transcription (no `language` field) when the node has no
      // /detect-language, and transcribes with the language it found: the log tells them apart that way
      // (a call without speech, transcribed without a language, would count as a second LID).
      const what: Subject = {
        stage: endpoint === 'transcriptions' && upload.fields.language ? 'stt' : 'lid',
        subject: upload.fileName,
        audioSeconds: upload.duration,
      };
      return await inSlot(e, what, fault, client, async () => {
        const script = scriptFor(upload.sha256, upload.fileName, upload.seed);
        e.slots.stats.audioSeconds += upload.duration;
        if (endpoint === 'detect-language') {
          await sleep(latency.lidMs);
          if (fault === 'malformed') return { raw: variant < 0.5 ? '{"detected_lang' : '{"language": null}' };
          return { status: 200, body: detectLanguageBody(script, upload.seed) };
        }
        await sleep(latency.sttOverheadMs + (upload.duration / latency.sttRealTimeFactor) * 1000);
        if (fault === 'malformed')
          return { raw: variant < 0.5 ? '{"text": "the transcript is cut he' : '{"segments": 3}' };
        return { status: 200, body: verboseJson(script, upload.duration, upload.seed, style) };
      });
    } finally {
      await upload.dispose();
    }
  }

  async function chatRequest(e: Running, req: IncomingMessage, client: Client): Promise<Reply> {
    let body: { model?: string; messages?: { role: string; content: string }[] };
    try {
      body = JSON.parse((await readBody(req, 20 * 1024 * 1024)).toString('utf8')) as typeof body;
    } catch (err) {
      throw new BadRequest(`the body is not JSON: ${(err as Error).message}`);
    }
    const task = readPrompt(body.messages ?? []);
    if (!task)
      throw new BadRequest('the simulator answers cofi prompts only (a ```json block and a <transcript>)');
    const transcript = task.lines.map((l) => l.text).join('\n');
    const { fault, variant } = plan.decide('chat', `${task.kind}\n${transcript}`);
    const stage = task.kind === 'analysis' ? 'llm1' : 'llm2';
    if (options.recordPrompts) prompts.push({ endpoint: e.spec.id, stage, messages: body.messages ?? [] });
    const what: Subject = {
      stage,
      subject: createHash('sha256').update(transcript).digest('hex').slice(0, 16),
      audioSeconds: 0,
    };
    return inSlot(e, what, fault, client, async () => {
      const answer =
        task.kind === 'analysis'
          ? analysisAnswer(task.categories, task.lines)
          : questionnaireAnswer(task.questions, task.lines);
      // A malformed answer is either cut JSON or JSON that misses the schema (a required key is gone).
      const content =
        fault !== 'malformed'
          ? JSON.stringify(answer)
          : variant < 0.5
            ? JSON.stringify(answer).slice(0, 40)
            : JSON.stringify({
                ...answer,
                [Object.keys(answer)[0] ?? 'x']: undefined,
                note: 'schema ignored',
              });
      await sleep(latency.llmOverheadMs + Math.ceil(content.length / 4) * latency.llmMsPerToken);
      const promptChars = (body.messages ?? []).reduce((n, m) => n + m.content.length, 0);
      const id = `chatcmpl-sim-${e.spec.id}-${e.slots.stats.served + 1}`;
      return {
        status: 200,
        // The model that answered, whatever the client asked for: a simulated answer says so.
        body: chatCompletion({ id, model: SIMULATED_MODELS.llm, content, promptChars }),
      };
    });
  }

  async function route(e: Running, req: IncomingMessage, client: Client): Promise<Reply> {
    const { pathname } = new URL(req.url ?? '/', 'http://simulator');
    if (e.spec.apiKey && req.headers.authorization !== `Bearer ${e.spec.apiKey}`)
      return {
        status: 401,
        body: errorBody('missing or wrong API key', 'invalid_request_error', 'invalid_api_key'),
      };
    if (req.method === 'GET' && pathname === '/health')
      return { status: 200, body: { status: 'ok', id: e.spec.id } };
    if (req.method === 'GET' && pathname === '/v1/models')
      return { status: 200, body: modelList([SIMULATED_MODELS[e.kind]]) };
    // The request log, for the fault suite in other processes (chaos/run.ts counts repeated work with it);
    // `?since=<epoch ms>` keeps the requests that started from then on.
    if (req.method === 'GET' && pathname === '/sim/requests') {
      const since = Number(new URL(req.url ?? '/', 'http://simulator').searchParams.get('since') ?? 0);
      return {
        status: 200,
        body: {
          id: e.spec.id,
          kind: e.kind,
          inFlight: e.slots.stats.inFlight,
          requests: e.slots.stats.requests.filter((r) => r.start >= since),
        },
      };
    }
    if (req.method === 'POST' && e.kind === 'gpu' && pathname === '/v1/audio/transcriptions')
      return audioRequest(e, req, client, 'transcriptions');
    if (req.method === 'POST' && e.kind === 'gpu' && pathname === (e.spec.lidPath ?? '/detect-language'))
      return audioRequest(e, req, client, 'detect-language');
    if (req.method === 'POST' && e.kind === 'llm' && pathname === '/v1/chat/completions')
      return chatRequest(e, req, client);
    return {
      status: 404,
      body: errorBody(`no route ${req.method} ${pathname} on ${e.kind} node ${e.spec.id}`, 'not_found'),
    };
  }

  function handle(e: Running) {
    return (req: IncomingMessage, res: ServerResponse) => {
      let left = false;
      const gone = new Promise<void>((resolve) =>
        res.once('close', () => {
          left = true;
          resolve();
        }),
      );
      void route(e, req, { gone, left: () => left })
        .catch((err: unknown): Reply => {
          if (err instanceof BadRequest)
            return { status: 400, body: errorBody(err.message, 'invalid_request_error') };
          return { status: 500, body: errorBody(`simulator bug: ${(err as Error).message}`, 'server_error') };
        })
        .then((reply) => send(req, res, reply))
        .catch(() => res.destroy());
    };
  }

  async function listen(e: Running, port: number) {
    const server = createServer(handle(e));
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject).listen(port, e.spec.host ?? '127.0.0.1', () => resolve());
    });
    e.server = server;
    const address = server.address() as AddressInfo;
    e.url = `http://${e.spec.host ?? '127.0.0.1'}:${address.port}`;
  }

  async function stop(e: Running) {
    const server = e.server;
    if (!server) return;
    e.server = null;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  try {
    for (const [kind, list] of [
      ['gpu', options.nodes],
      ['llm', options.llm],
    ] as const) {
      for (const spec of list) {
        const e: Running = {
          spec,
          kind,
          slots: createSlots(spec.id, kind, spec.capacity, spec.rejectWhenBusy ?? false),
          server: null,
          url: '',
        };
        running.push(e);
        await listen(e, spec.port);
      }
    }
  } catch (err) {
    await Promise.all(running.map(stop));
    throw err;
  }

  const byId = (id: string) => {
    const e = running.find((r) => r.spec.id === id);
    if (!e) throw new Error(`no simulated node "${id}"`);
    return e;
  };
  return {
    nodes: running.filter((e) => e.kind === 'gpu').map((e) => ({ id: e.spec.id, url: e.url })),
    llm: running.filter((e) => e.kind === 'llm').map((e) => ({ id: e.spec.id, url: e.url })),
    stats: (): SimulatorStats => ({ endpoints: running.map((e) => structuredClone(e.slots.stats)) }),
    /** The chat requests received so far (with recordPrompts; else none). */
    prompts: (): RecordedPrompt[] => structuredClone(prompts),
    /** Replaces the failure settings; the seeded sequence starts again. */
    setFailures(next: Failures) {
      plan = createFaultPlan(next);
    },
    /** Changes the latency multiplier for requests that start from now on. */
    setTimeScale(next: number) {
      timeScale = next;
    },
    /** A node that is "gone": its port is closed (connections refused) until startNode. */
    stopNode: (id: string) => stop(byId(id)),
    async startNode(id: string) {
      const e = byId(id);
      if (!e.server) await listen(e, Number(new URL(e.url).port));
    },
    close: () => Promise.all(running.map(stop)).then(() => undefined),
  };
}

export type Simulator = Awaited<ReturnType<typeof startSimulator>>;
