// `npm run simulator`: serves every fleet node and LLM endpoint whose URL is on this host (127.0.0.1 or
// localhost) with the GPU-node simulator, at the URL's port, until SIGINT/SIGTERM.
//
// The fleet comes from COFI_FLEET (default: the embedded simulated fleet, see core/config.ts); entries marked
// `simulated: false` are real servers and left alone. Settings:
//   SIM_TIME_SCALE=1            multiplies every simulated latency (0: answer at once)
//   SIM_STT_RTF=40              seconds of audio transcribed per second of work
//   SIM_STT_OVERHEAD_MS=150     fixed cost of a transcription
//   SIM_LID_MS=150              cost of a /detect-language request
//   SIM_LLM_MS_PER_TOKEN=2      LLM cost per output token
//   SIM_LLM_OVERHEAD_MS=100     fixed cost of a chat completion
//   SIM_FAIL_5XX=0              share 0..1 of requests answered 503
//   SIM_FAIL_TIMEOUT=0          share that hangs until the client's timeout
//   SIM_FAIL_RESET=0            share whose connection is dropped
//   SIM_FAIL_MALFORMED=0        share answered with a body that breaks the protocol or the JSON schema
//   SIM_FAIL_PATTERN=           regex: only matching file names (chat: transcripts) get the shares above
//   SIM_FAIL_CLIENT_PATTERN=    regex: matching file names always get 400
//   SIM_FAIL_ENDPOINTS=         comma list of transcriptions,detect-language,chat (default: all)
//   SIM_SEED=42                 seed of the failure draws
//   SIM_REJECT_WHEN_BUSY=0      1: answer 429 when a node is full instead of queueing
//   SIM_LANGUAGE_STYLE=name     verbose_json language as a name ("english", as OpenAI) or a code ("en")
//   SIM_SAMPLES=1               0: ignore samples/*.script.json (every call gets a synthetic conversation)
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { commaList, loadConfig } from '../core/config.js';
import { FAULT_ENDPOINTS } from './faults.js';
import { type SimulatedEndpoint, startSimulator } from './server.js';

const rate = z.coerce.number().min(0).max(1).default(0);
const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');
const simEnv = z.object({
  SIM_TIME_SCALE: z.coerce.number().min(0).default(1),
  SIM_STT_RTF: z.coerce.number().positive().default(40),
  SIM_STT_OVERHEAD_MS: z.coerce.number().min(0).default(150),
  SIM_LID_MS: z.coerce.number().min(0).default(150),
  SIM_LLM_MS_PER_TOKEN: z.coerce.number().min(0).default(2),
  SIM_LLM_OVERHEAD_MS: z.coerce.number().min(0).default(100),
  SIM_FAIL_5XX: rate,
  SIM_FAIL_TIMEOUT: rate,
  SIM_FAIL_RESET: rate,
  SIM_FAIL_MALFORMED: rate,
  SIM_FAIL_PATTERN: z.string().optional(),
  SIM_FAIL_CLIENT_PATTERN: z.string().optional(),
  SIM_FAIL_ENDPOINTS: commaList().pipe(z.array(z.enum(FAULT_ENDPOINTS))),
  SIM_SEED: z.coerce.number().int().default(42),
  SIM_REJECT_WHEN_BUSY: flag,
  SIM_LANGUAGE_STYLE: z.enum(['name', 'code']).default('name'),
  SIM_SAMPLES: z
    .enum(['0', '1', 'true', 'false'])
    .default('1')
    .transform((v) => v === '1' || v === 'true'),
});

const parsed = simEnv.safeParse(process.env);
if (!parsed.success) {
  for (const issue of parsed.error.issues) console.error(`${issue.path.join('.')}: ${issue.message}`);
  process.exit(1);
}
const env = parsed.data;
const { fleet } = loadConfig(process.env, (p) => readFileSync(p, 'utf8'));

const local = (url: string) => ['127.0.0.1', 'localhost'].includes(new URL(url).hostname);
/** Entries on this host, unless the fleet says a real server answers there (cofi's CPU nodes). */
const simulated = (n: { url: string; simulated?: boolean }) => n.simulated !== false && local(n.url);
const endpoint = (n: {
  id: string;
  url: string;
  capacity: number;
  apiKey?: string;
  lidPath?: string;
}): SimulatedEndpoint => ({
  id: n.id,
  port: Number(new URL(n.url).port || 80),
  host: new URL(n.url).hostname,
  capacity: n.capacity,
  rejectWhenBusy: env.SIM_REJECT_WHEN_BUSY,
  ...(n.apiKey ? { apiKey: n.apiKey } : {}),
  ...(n.lidPath ? { lidPath: n.lidPath } : {}),
});
const nodes = fleet.nodes.filter(simulated).map(endpoint);
const llm = fleet.llm.filter(simulated).map(endpoint);
if (nodes.length + llm.length === 0) {
  console.error(
    'simulator: no simulated fleet node or LLM endpoint is on 127.0.0.1/localhost: nothing to simulate',
  );
  process.exit(1);
}

const sim = await startSimulator({
  nodes,
  llm,
  timeScale: env.SIM_TIME_SCALE,
  latency: {
    sttRealTimeFactor: env.SIM_STT_RTF,
    sttOverheadMs: env.SIM_STT_OVERHEAD_MS,
    lidMs: env.SIM_LID_MS,
    llmMsPerToken: env.SIM_LLM_MS_PER_TOKEN,
    llmOverheadMs: env.SIM_LLM_OVERHEAD_MS,
  },
  failures: {
    serverErrorRate: env.SIM_FAIL_5XX,
    timeoutRate: env.SIM_FAIL_TIMEOUT,
    resetRate: env.SIM_FAIL_RESET,
    malformedRate: env.SIM_FAIL_MALFORMED,
    ...(env.SIM_FAIL_PATTERN ? { pattern: env.SIM_FAIL_PATTERN } : {}),
    ...(env.SIM_FAIL_CLIENT_PATTERN ? { clientErrorPattern: env.SIM_FAIL_CLIENT_PATTERN } : {}),
    ...(env.SIM_FAIL_ENDPOINTS.length ? { endpoints: env.SIM_FAIL_ENDPOINTS } : {}),
    seed: env.SIM_SEED,
  },
  languageStyle: env.SIM_LANGUAGE_STYLE,
  ...(env.SIM_SAMPLES ? {} : { scripts: null }),
});

for (const n of sim.nodes) {
  const spec = nodes.find((x) => x.id === n.id);
  console.log(
    `simulator: GPU node ${n.id} at ${n.url} (capacity ${spec?.capacity}; transcriptions, ${spec?.lidPath ?? '/detect-language'})`,
  );
}
for (const l of sim.llm) {
  const spec = llm.find((x) => x.id === l.id);
  console.log(`simulator: LLM endpoint ${l.id} at ${l.url} (capacity ${spec?.capacity}; chat completions)`);
}

let stopping = false;
const shutdown = () => {
  if (stopping) return;
  stopping = true;
  sim.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGINT', shutdown);
process.on('SIGTERM', shutdown);
