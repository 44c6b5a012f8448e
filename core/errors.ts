// Named error types. Retryable or not is decided here, where the error is understood, and carried to
// Temporal as an ApplicationFailure whose `type` is one of FAILURE_TYPES.
import { ApplicationFailure } from '@temporalio/common';

export const FAILURE_TYPES = {
  /** Connection refused/reset, DNS: the node may come back. */
  connection: { retryable: true },
  /** The request took longer than its timeout. */
  timeout: { retryable: true },
  /** 429: the node is saturated. */
  rate_limited: { retryable: true },
  /** 5xx. */
  server_error: { retryable: true },
  /** 4xx other than 429: the same request will fail again. */
  client_error: { retryable: false },
  /** The answer did not match the protocol or the JSON schema, after the client's own retries. */
  invalid_output: { retryable: false },
  /** The audio cannot be decoded or is not audio at all. */
  undecodable_audio: { retryable: false },
  /** The call's data is not there (deleted, never distributed): retrying cannot help. */
  missing_data: { retryable: false },
} as const;
export type FailureType = keyof typeof FAILURE_TYPES;

export const NON_RETRYABLE_TYPES = (Object.keys(FAILURE_TYPES) as FailureType[]).filter(
  (t) => !FAILURE_TYPES[t].retryable,
);

/** What a failure log row needs to show which request failed. */
export type FailureContext = {
  requestUrl?: string;
  /** A safe copy of the input: no audio bytes, no keys, long strings cut. */
  inputPayload?: unknown;
  /** The raw response, when the server answered something unusable. */
  rawResponse?: string;
  /** The message without contents (a server's answer may quote the request), for Temporal's history. */
  publicMessage?: string;
};

export function stageFailure(
  type: FailureType,
  message: string,
  context: FailureContext = {},
  cause?: Error,
) {
  return ApplicationFailure.create({
    type,
    message,
    nonRetryable: !FAILURE_TYPES[type].retryable,
    details: [context],
    cause,
  });
}

/** Failure types whose message is built from ids, URLs and codes only, never from what was sent or heard. */
const SAFE_MESSAGE_TYPES: ReadonlySet<string> = new Set([
  'connection',
  'timeout',
  'rate_limited',
  'missing_data',
]);

/**
 * A failure's message as it may leave the database (Temporal's history, the worker's log): no request, no
 * server answer, no text of the call. The full message and the request stay in the failure log.
 */
export function safeMessage(stage: string, type: string, message: string, context: FailureContext): string {
  if (context.publicMessage) return context.publicMessage;
  if (SAFE_MESSAGE_TYPES.has(type)) return message;
  return `${type} at ${stage}: the reason and the request are in the call's failure log`;
}

/** Reads the FailureContext back from an ApplicationFailure (or anything else: then it is empty). */
export function failureContext(err: unknown): FailureContext {
  if (err instanceof ApplicationFailure) {
    const first = err.details?.[0];
    if (first && typeof first === 'object') return first as FailureContext;
  }
  return {};
}

/** Cuts strings and drops binary so a payload can be stored and shown safely. */
export function safePayload(value: unknown, maxString = 2000, depth = 0): unknown {
  if (typeof value === 'string')
    return value.length > maxString ? `${value.slice(0, maxString)}…[${value.length} chars]` : value;
  if (value instanceof Uint8Array) return `[${value.byteLength} bytes]`;
  // Only containers are cut: a string deep in a JSON schema (an enum value) is kept as it is.
  if (depth > 6 && value && typeof value === 'object') return '[nested too deep]';
  if (Array.isArray(value)) {
    const items = value.slice(0, 50).map((v) => safePayload(v, maxString, depth + 1));
    return value.length > 50 ? [...items, `…[${value.length - 50} more]`] : items;
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = isSecretName(k) ? '[redacted]' : safePayload(v, maxString, depth + 1);
    }
    return out;
  }
  return value;
}

/**
 * A field name that holds a credential: `key`, `apiKey`, `x-api-key`, `token`, `accessToken`, secrets and
 * passwords, but not data whose name merely contains the word (`key_facts`, `max_tokens`, `monkey`).
 */
function isSecretName(name: string): boolean {
  const snake = name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase();
  return /(^|[_-])(key|token)$|secret|authori[sz]ation|password|passwd|credential/.test(snake);
}
