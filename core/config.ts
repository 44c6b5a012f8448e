// The one place the environment is read: a zod schema parsed once at process start, then passed down.
import { z } from 'zod';
import { DEFAULT_RUN_EVENTS } from './limits.js';
import { GPU_STAGES } from './stages.js';

const json = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch (err) {
        ctx.addIssue({ code: 'custom', message: `not valid JSON: ${(err as Error).message}` });
        return z.NEVER;
      }
    })
    .pipe(schema);

const boolish = z
  .enum(['1', '0', 'true', 'false', 'yes', 'no', ''])
  .transform((v) => v === '1' || v === 'true' || v === 'yes');

export const gpuNodeSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes'),
  url: z.url({ protocol: /^https?$/ }),
  capacity: z.number().int().min(1).max(256),
  stages: z.array(z.enum(GPU_STAGES)).min(1).default(['lid', 'stt']),
  apiKey: z.string().optional(),
  /** STT model name sent in the request (servers that serve one model ignore it). */
  model: z.string().default('whisper-1'),
  /** A dedicated language-identification endpoint (e.g. `/detect-language`); else LID uses transcriptions. */
  lidPath: z.string().startsWith('/').optional(),
  /** The transcription endpoint when it is not OpenAI's `/v1/audio/transcriptions` (whisper.cpp: `/inference`). */
  sttPath: z.string().startsWith('/').optional(),
  /**
   * The form field that carries `model`: OpenAI's `model` (default), or `model_name` for faster-whisper-server
   * 0.0.3, which ignores `model` and asks its config for a model called `whisper-1` instead.
   */
  modelField: z.enum(['model', 'model_name']).optional(),
  /**
   * Served by cofi's simulator (`npm start` runs it for such entries on this host). Absent: an entry on
   * 127.0.0.1 is simulated, as before; `false` for a real server on this host (cofi's CPU node).
   */
  simulated: z.boolean().optional(),
});
export type GpuNode = z.infer<typeof gpuNodeSchema>;

export const llmEndpointSchema = z.object({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes'),
  url: z.url({ protocol: /^https?$/ }),
  capacity: z.number().int().min(1).max(1024),
  model: z.string().default('cofi-llm'),
  apiKey: z.string().optional(),
  /** As for a GPU node: served by cofi's simulator, or (`false`) a real server even on this host. */
  simulated: z.boolean().optional(),
});
export type LlmEndpoint = z.infer<typeof llmEndpointSchema>;

export const fleetSchema = z
  .object({
    nodes: z.array(gpuNodeSchema).min(1),
    llm: z.array(llmEndpointSchema).min(1),
  })
  .superRefine((fleet, ctx) => {
    const ids = [...fleet.nodes.map((n) => n.id), ...fleet.llm.map((l) => l.id)];
    const dup = ids.find((id, i) => ids.indexOf(id) !== i);
    if (dup) ctx.addIssue({ code: 'custom', message: `duplicate node id "${dup}"` });
  });
export type Fleet = z.infer<typeof fleetSchema>;

/** The embedded default: three simulated GPU nodes and one simulated LLM endpoint on loopback. */
export const SIMULATED_FLEET: Fleet = {
  nodes: [
    {
      id: 'sim-gpu-1',
      url: 'http://127.0.0.1:9101',
      capacity: 4,
      stages: ['lid', 'stt'],
      model: 'cofi-simulated-whisper',
      simulated: true,
    },
    {
      id: 'sim-gpu-2',
      url: 'http://127.0.0.1:9102',
      capacity: 4,
      stages: ['lid', 'stt'],
      model: 'cofi-simulated-whisper',
      simulated: true,
    },
    {
      id: 'sim-gpu-3',
      url: 'http://127.0.0.1:9103',
      capacity: 2,
      stages: ['lid', 'stt'],
      model: 'cofi-simulated-whisper',
      simulated: true,
    },
  ],
  llm: [
    {
      id: 'sim-llm-1',
      url: 'http://127.0.0.1:9110',
      capacity: 16,
      model: 'cofi-simulated-llm',
      simulated: true,
    },
  ],
};

/** Settings of the embedded CPU nodes (ops/whisper.sh and ops/llm.sh read the same variables). */
export type CpuNodeSettings = {
  CPU_NODE_PORT: number;
  CPU_NODE_CAPACITY: number;
  CPU_NODE_MODEL: string;
  LLM_NODE_PORT: number;
  LLM_NODE_CAPACITY: number;
  LLM_NODE_MODEL: string;
};

/**
 * The fleets `COFI_FLEET` may name instead of spelling one out:
 * - `simulated`: three simulated GPU nodes and a simulated LLM (tests, benchmark, fault suite);
 * - `cpu`: cofi's CPU Whisper node on this host for LID and STT (real speech), the LLM stages simulated;
 * - `cpu+llm`: the same, with the LLM stages on cofi's CPU LLM node too (a small model: demo-grade answers).
 */
export const FLEET_NAMES = ['simulated', 'cpu', 'cpu+llm'] as const;
export type FleetName = (typeof FLEET_NAMES)[number];

export function namedFleet(name: FleetName, s: CpuNodeSettings): Fleet {
  if (name === 'simulated') return SIMULATED_FLEET;
  const speech: GpuNode = {
    id: 'cpu-whisper',
    url: `http://127.0.0.1:${s.CPU_NODE_PORT}`,
    capacity: s.CPU_NODE_CAPACITY,
    stages: ['lid', 'stt'],
    model: s.CPU_NODE_MODEL,
    lidPath: '/detect-language',
    simulated: false,
  };
  const llm: LlmEndpoint =
    name === 'cpu+llm'
      ? {
          id: 'cpu-llm',
          url: `http://127.0.0.1:${s.LLM_NODE_PORT}`,
          capacity: s.LLM_NODE_CAPACITY,
          model: s.LLM_NODE_MODEL,
          simulated: false,
        }
      : (SIMULATED_FLEET.llm[0] as LlmEndpoint);
  return { nodes: [speech], llm: [llm] };
}

/**
 * Roles of API keys: `read` may GET (dashboard, status), `reviewer` may also override and confirm answers and
 * mark calls reviewed, `operator` may do all that and upload, reaudit, cancel and erase.
 */
export const API_ROLES = ['read', 'reviewer', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];
/** `name` is what the access trail records; keys built by hand (tests) may leave it out: see keyNameOf. */
export type ApiKey = { role: ApiRole; hash: string; name?: string };

/** A key's name: letters, digits, `_`, `.`, `-`, at most 64 (it is written to the access trail and logs). */
export const API_KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
/** The name of a key configured without one: `key-` and the first 8 hex digits of its hash. */
export const keyNameOf = (key: Pick<ApiKey, 'hash' | 'name'>) => key.name ?? `key-${key.hash.slice(0, 8)}`;
/** Names the access trail gives requests made without a key: a configured key may not pass for them. */
export const RESERVED_KEY_NAMES = ['open', 'signed-link'] as const;

/**
 * `role:name:<sha256-hex>` (or `role:<sha256-hex>`, named after its hash) entries, comma-separated: keys are
 * configured hashed, never in clear. An error names the entry by position only, never its text.
 */
const apiKeys = z
  .string()
  .default('')
  .transform((text, ctx): ApiKey[] => {
    const keys: ApiKey[] = [];
    for (const [i, entry] of text
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)
      .entries()) {
      const parts = entry.split(':');
      const [role, name, hash] = parts.length === 3 ? parts : [parts[0], undefined, parts[1]];
      if (
        parts.length < 2 ||
        parts.length > 3 ||
        !(API_ROLES as readonly string[]).includes(role ?? '') ||
        !/^[0-9a-fA-F]{64}$/.test(hash ?? '')
      ) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1} must be "read:<name>:<sha256-hex>" or "operator:<name>:<sha256-hex>" (the name may be left out; hash a key with: npx tsx api/hashKey.ts <key>)`,
        });
        continue;
      }
      if (name !== undefined && (RESERVED_KEY_NAMES as readonly string[]).includes(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1}: the names ${RESERVED_KEY_NAMES.join(' and ')} are the access trail's for requests without a key`,
        });
        continue;
      }
      if (name !== undefined && !API_KEY_NAME.test(name)) {
        ctx.addIssue({
          code: 'custom',
          message: `entry ${i + 1}: a key name is 1 to 64 of A-Z a-z 0-9 _ . -`,
        });
        continue;
      }
      const lower = (hash as string).toLowerCase();
      keys.push({ role: role as ApiRole, name: name ?? keyNameOf({ hash: lower }), hash: lower });
    }
    return keys;
  });

/** A comma-separated list (blanks dropped); `fallback` when the variable is unset. */
export const commaList = (fallback = '') =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((v) => v.trim())
        .filter(Boolean),
    );

export const envSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'silent']).default('info'),

  DATABASE_URL: z
    .url()
    .refine((u) => u.startsWith('mysql://'), 'must be a mysql:// URL')
    .default('mysql://cofi:cofi@127.0.0.1:3307/cofi'),

  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_API_KEY: z.string().optional(),
  TEMPORAL_TLS: boolish.default(false),
  /** Where people open the Temporal Web UI; used for links in API answers and the dashboard. */
  TEMPORAL_UI_URL: z.url().default('http://127.0.0.1:8233'),
  /** Prefix of every task queue this deployment uses (tests use their own). */
  COFI_TASK_QUEUE: z
    .string()
    .regex(/^[a-zA-Z0-9_.-]+$/)
    .default('cofi'),

  API_HOST: z.string().default('127.0.0.1'),
  API_PORT: z.coerce.number().int().min(1).max(65535).default(5064),
  /** API keys (role, name, hash: see apiKeys); none: the API runs open (loopback only, or ALLOW_OPEN). */
  API_KEYS: apiKeys,
  /** Let the API run without keys on a non-loopback API_HOST (e.g. behind a proxy that authenticates). */
  ALLOW_OPEN: boolish.default(false),
  /** Origins allowed to call the API from a browser (comma-separated); empty: no CORS headers at all. */
  CORS_ORIGINS: commaList(),
  /** A JSON body must arrive within it (else 408), then the answer (else 504); an upload may not stall longer (408). */
  REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(30_000),
  /** Largest JSON request body (bytes); larger gets 413 `{detail}`. Uploads have their own limits. */
  JSON_BODY_LIMIT: z.coerce
    .number()
    .int()
    .min(1024)
    .max(64 * 1024 * 1024)
    .default(1024 * 1024),

  /** Where uploaded audio is kept (the audio store). */
  AUDIO_DIR: z.string().min(1).default('.data/audio'),
  MAX_UPLOAD_FILES: z.coerce.number().int().min(1).max(10000).default(500),
  MAX_FILE_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(200 * 1024 * 1024),

  /**
   * GPU fleet: a name (`simulated`, `cpu`, `cpu+llm`: see namedFleet), JSON `{nodes: [...], llm: [...]}`, or a
   * path to such a file; default: `simulated` (`npm start` picks `cpu` when it can run the CPU node).
   */
  COFI_FLEET: z.string().optional(),
  /** cofi's CPU Whisper node (ops/whisper.sh): where it listens, requests at once, the model id it answers to. */
  CPU_NODE_PORT: z.coerce.number().int().min(1).max(65535).default(9201),
  CPU_NODE_CAPACITY: z.coerce.number().int().min(1).max(64).default(1),
  CPU_NODE_MODEL: z.string().min(1).default('whisper-base'),
  /** cofi's CPU LLM node (ops/llm.sh), likewise. */
  LLM_NODE_PORT: z.coerce.number().int().min(1).max(65535).default(9210),
  LLM_NODE_CAPACITY: z.coerce.number().int().min(1).max(64).default(1),
  LLM_NODE_MODEL: z.string().min(1).default('gemma-3-270m'),
  /** Start the GPU-node simulator inside `npm start` for the fleet's loopback URLs. */
  COFI_SIMULATOR: boolish.default(true),

  /** Children (calls) in flight per batch workflow; bounds history size and memory. */
  BATCH_WINDOW: z.coerce.number().int().min(1).max(1000).default(100),
  /**
   * History events a batch workflow run may reach before it stops taking calls, lets those in flight finish
   * and continues as new (Temporal's hard limit is 51,200 per run).
   */
  BATCH_RUN_EVENTS: z.coerce.number().int().min(100).max(15_000).default(DEFAULT_RUN_EVENTS),
  /**
   * Attempts of a stage activity whose failure is retryable (connection, timeout, 429, 5xx) before the call
   * fails, or, for LID and STT failing on connection or timeout, moves to another GPU node.
   */
  STAGE_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  /** The longest wait between two of those attempts; the waits start at 1 s and double up to it. */
  STAGE_RETRY_MAX_MS: z.coerce.number().int().min(100).max(3_600_000).default(30_000),
  /**
   * How long a GPU or LLM request may wait in its node's task queue before a worker takes it; past it the call
   * moves to another node (or endpoint) that serves the stage and has a live poller, and fails only when none
   * is left. A node whose agent is gone, or that was removed from COFI_FLEET, then strands no call.
   */
  STAGE_SCHEDULE_TO_START_MS: z.coerce.number().int().min(1000).max(86_400_000).default(600_000),
  /**
   * What this worker process polls (comma-separated): `orchestrator` (workflows, bookkeeping, exit sweep,
   * daily schedule), `audio` (denoise, IVR), `node:<id>` / `llm:<id>` (the agent of one GPU node / LLM
   * endpoint of COFI_FLEET; `node:*`, `llm:*`: all of them), or `all` (everything, the default).
   */
  WORKER_ROLES: z.string().default('all'),
  /** A node agent's hold on its node's queue lapses this long after its last renewal (a killed agent's too). */
  NODE_AGENT_LEASE_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
  /** Per-request time limits of the inference clients; a request past its limit is retried (timeout). */
  LID_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  STT_TIMEOUT_MS: z.coerce.number().int().min(100).default(600_000),
  LLM_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
  /**
   * On SIGTERM the worker stops taking work and lets the GPU and LLM requests in hand finish for up to this
   * long before it cancels them (a cancelled attempt is retried); keep it below the stop timeout of
   * whatever stops the worker (compose: stop_grace_period).
   */
  WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).max(3_600_000).default(25_000),
  /** Where the worker's metrics endpoints listen (0.0.0.0 in a container, so Prometheus can reach them). */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** The worker's Prometheus endpoint (stage durations, failures, calls in flight per node); 0: off. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9465),
  /** The Temporal SDK's own worker metrics (Prometheus); 0: off. */
  TEMPORAL_METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Daily batch: recordings arrive in DAILY_DIR/<YYYY-MM-DD>/ (any depth); see README. */
  DAILY_DIR: z.string().min(1).default('.data/daily'),
  /** When the Temporal Schedule runs the daily batch (cron, server time zone UTC); empty: no schedule. */
  DAILY_CRON: z.string().default('30 1 * * *'),
  /** Days a missed scheduled run may still start late (after an outage); each missed day runs once. */
  DAILY_CATCHUP_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  DAILY_PROCESS_ID: z.coerce.number().int().min(1).default(1),
  DAILY_CATEGORY_MAPPING_ID: z.coerce.number().int().min(1).default(1),
  /** Audio clean-up stages of the daily batch (comma-separated subset of denoise,ivr; empty for none). */
  DAILY_AUDIO_STAGES: commaList('denoise,ivr').pipe(z.array(z.enum(['denoise', 'ivr']))),
  /**
   * When the Temporal Schedule runs the retention run (cron, UTC): each process's recordings, transcripts,
   * analyses and answers older than its policy's days are removed (docs/retention.md); empty: no schedule.
   */
  RETENTION_CRON: z.string().default('15 3 * * *'),
  /**
   * How often the worker looks for batches whose workflow ended without recording it (terminated, timed out)
   * or never started, and records them as ended; 0: never.
   */
  EXIT_SWEEP_MS: z.coerce.number().int().min(0).max(86_400_000).default(60_000),
  /** Languages the STT stage accepts; others are recorded as unsupported by LID. */
  LANGUAGES: commaList('en,hi,es'),
});

export type Env = z.infer<typeof envSchema>;
export type Config = Env & { fleet: Fleet };

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Parses the environment; throws ConfigError naming each bad variable. */
export function loadConfig(
  source: Record<string, string | undefined> = process.env,
  readFile: (path: string) => string = () => {
    throw new ConfigError('COFI_FLEET: reading files is not available here');
  },
): Config {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return { ...parsed.data, fleet: parseFleet(parsed.data.COFI_FLEET, readFile, parsed.data) };
}

function parseFleet(
  value: string | undefined,
  readFile: (path: string) => string,
  settings: CpuNodeSettings,
): Fleet {
  if (!value) return SIMULATED_FLEET;
  if ((FLEET_NAMES as readonly string[]).includes(value.trim()))
    return namedFleet(value.trim() as FleetName, settings);
  let text = value;
  if (!value.trimStart().startsWith('{')) {
    try {
      text = readFile(value);
    } catch (err) {
      throw new ConfigError(
        `invalid configuration:\n  COFI_FLEET: cannot read ${value}: ${(err as Error).message}`,
      );
    }
  }
  const result = json(fleetSchema).safeParse(text);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `COFI_FLEET.${i.path.join('.')}: ${i.message}`);
    throw new ConfigError(`invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  return result.data;
}
