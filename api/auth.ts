// API keys as bearer tokens: `read` for GET, `reviewer` also for review changes, `operator` for the rest; keys
// configured hashed (API_KEYS).
// The key that was accepted (or refused for its role) is the request's actor, which the access trail records.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { type ApiKey, type ApiRole, type Config, keyNameOf } from '../core/config.js';
import type { AudioLinks } from './audioLink.js';
import { ApiError } from './errors.js';

export const hashKey = (key: string) => createHash('sha256').update(key, 'utf8').digest('hex');

/** Paths anyone may GET: health, the dashboard's page shells and assets (they hold no data), the API docs. */
const OPEN_PATHS = [
  /^\/health$/,
  /^\/$/,
  /^\/ui\/(batches|calls)\/[^/]+$/,
  /^\/ui\/fleet$/,
  /^\/ui\/reports$/,
  /^\/ui\/search$/,
  /^\/ui\/data-protection$/,
  /^\/ui\/agreement$/,
  /^\/ui\/questionnaires(\/[^/]+)?$/,
  /^\/ui\/assets\/[\w.-]+$/,
  /^\/docs$/,
  /^\/openapi\.json$/,
  /^\/favicon\.ico$/,
];
const AUDIO_PATH = /^\/calls\/(\d{1,10})\/audio$/;
/** Reads only an operator may make: the access trail names every key and what it did; retention runs, what
 * the schedule deleted. */
const OPERATOR_READS = [/^\/audit-log$/, /^\/retention\/runs$/];
/** Changes a `reviewer` key may make (an operator may too): overriding and confirming answers, marking reviewed. */
const REVIEW_CHANGES = [/^\/calls\/[^/]+\/answers\/[^/]+\/(override|confirm)$/, /^\/calls\/[^/]+\/review$/];
const READ_METHODS = new Set(['GET', 'HEAD']);

export function isLoopback(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

export type AccessMode =
  | { mode: 'keys'; keys: ApiKey[] }
  | { mode: 'open'; warning: string }
  | { mode: 'refuse'; reason: string };

/** With no keys the API is open, which is only allowed on loopback unless ALLOW_OPEN says otherwise. */
export function accessMode(config: Pick<Config, 'API_KEYS' | 'API_HOST' | 'ALLOW_OPEN'>): AccessMode {
  if (config.API_KEYS.length > 0) return { mode: 'keys', keys: config.API_KEYS };
  if (!isLoopback(config.API_HOST) && !config.ALLOW_OPEN) {
    return {
      mode: 'refuse',
      reason: `API_HOST is ${config.API_HOST} (not loopback) and API_KEYS is empty: anyone on the network could upload and delete results. Set API_KEYS (hash keys with: npx tsx api/hashKey.ts <key>), or ALLOW_OPEN=1 behind a proxy that authenticates.`,
    };
  }
  return {
    mode: 'open',
    warning: `NO API KEYS CONFIGURED: the API on ${config.API_HOST} is OPEN to every caller (read and operator). Set API_KEYS to require bearer keys.`,
  };
}

/** Who a request acts as: a key's name and role; `open` (operator) without keys; `signed-link` (read) for audio. */
export type Actor = { keyName: string; role: ApiRole };

declare module 'hono' {
  interface ContextVariableMap {
    /** Set by requireKeys once a key (or link, or open mode) is known; unset for a 401. */
    actor: Actor;
  }
}

// Names no configured key may take (RESERVED_KEY_NAMES).
export const OPEN_ACTOR: Actor = { keyName: 'open', role: 'operator' };
export const SIGNED_LINK_ACTOR: Actor = { keyName: 'signed-link', role: 'read' };

const RANK: Record<ApiRole, number> = { read: 0, reviewer: 1, operator: 2 };

/** The key whose hash matches, the strongest role first; every configured hash is compared, in constant time. */
export function keyOf(keys: readonly ApiKey[], presented: string): ApiKey | null {
  const digest = createHash('sha256').update(presented, 'utf8').digest();
  let found: ApiKey | null = null;
  for (const key of keys) {
    if (
      timingSafeEqual(digest, Buffer.from(key.hash, 'hex')) &&
      (!found || RANK[key.role] > RANK[found.role])
    )
      found = key;
  }
  return found;
}

/** The best role among keys whose hash matches. */
export function roleOfKey(keys: readonly ApiKey[], presented: string): ApiRole | null {
  return keyOf(keys, presented)?.role ?? null;
}

function bearer(header: string | undefined): string | null {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1] ?? null;
}

/** Refuses requests without a fitting key: 401 `{detail}` without or with a wrong key, 403 for a weak role. */
export function requireKeys(config: Pick<Config, 'API_KEYS'>, links: AudioLinks): MiddlewareHandler {
  const keys = config.API_KEYS;
  return async (c, next) => {
    if (keys.length === 0) {
      c.set('actor', OPEN_ACTOR);
      return next();
    }
    const path = c.req.path;
    const readOnly = READ_METHODS.has(c.req.method);
    if (readOnly && OPEN_PATHS.some((p) => p.test(path))) return next();
    const audio = AUDIO_PATH.exec(path);
    if (readOnly && audio && links.verify(Number(audio[1]), c.req.query('exp'), c.req.query('sig'))) {
      c.set('actor', SIGNED_LINK_ACTOR);
      return next();
    }
    const token = bearer(c.req.header('authorization'));
    if (!token) {
      c.header('WWW-Authenticate', 'Bearer realm="cofi"');
      throw new ApiError('unauthorized', 'an API key is required: send "Authorization: Bearer <key>"');
    }
    const key = keyOf(keys, token);
    if (!key) {
      c.header('WWW-Authenticate', 'Bearer realm="cofi", error="invalid_token"');
      throw new ApiError('unauthorized', 'the API key is not valid');
    }
    const role = key.role;
    // Set before the role check: a refused attempt is recorded with the key that made it.
    c.set('actor', { keyName: keyNameOf(key), role });
    if (
      !readOnly &&
      role === 'reviewer' &&
      c.req.method === 'POST' &&
      REVIEW_CHANGES.some((p) => p.test(path))
    )
      return next();
    if ((!readOnly || OPERATOR_READS.some((p) => p.test(path))) && role !== 'operator') {
      throw new ApiError(
        'forbidden',
        `a "${role}" key may not ${c.req.method} ${path}: it needs an "operator" key${
          REVIEW_CHANGES.some((p) => p.test(path)) ? ' (or a "reviewer" key)' : ''
        }`,
      );
    }
    return next();
  };
}
