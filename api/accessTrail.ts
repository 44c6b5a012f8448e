// The access trail's writer: one accessLog row per read of a call's contents or change, with who, what, status.
//
// A middleware, not calls in each route: refusals (401, 403, 413, 422) are answered before any handler runs,
// by requireKeys or the validators, and an access trail must show those attempts too. So the list of trailed
// routes lives here, in one place; a handler only adds what the path cannot say (noteAccess: the batch a
// call belongs to, the batch an upload made). Registered before requireKeys and after requestId.
import type { Context, MiddlewareHandler } from 'hono';
import type { Logger } from '../core/logger.js';
import type { Db } from '../drizzle/client.js';
import { type AccessAction, type AccessTarget, accessLog } from '../drizzle/schema/index.js';
import { MAX_ID } from './openapi.js';

/** What a handler knows of the target that its path does not say. */
export type AccessNote = { targetId?: number; batchId?: number | null; taskId?: string };

declare module 'hono' {
  interface ContextVariableMap {
    accessNote: AccessNote;
  }
}

/** Adds to what the trail records for this request (call it before anything that may refuse). */
export function noteAccess(c: Context, note: AccessNote): void {
  c.set('accessNote', { ...c.get('accessNote'), ...note });
}

type Trailed = {
  methods: readonly string[];
  path: RegExp;
  action: AccessAction;
  target: AccessTarget;
  /** The target's id from the path match, when the path names it. */
  id?: (m: RegExpExecArray) => string | undefined;
  /** The route writes its own rows when it succeeds (one per call it changed): only a refusal is written here. */
  refusalsOnly?: true;
};

const GET: readonly string[] = ['GET', 'HEAD'];
const POST: readonly string[] = ['POST'];
/** Every route that shows a call's transcript, answers or audio, and every change. Loose path patterns, so an
 * attempt with a malformed id (refused with 422) is recorded as well, without a target id. */
const TRAILED: readonly Trailed[] = [
  // Before `/calls/{id}`, whose loose pattern would take them for a read of a call named `search`.
  { methods: GET, path: /^\/calls\/search$/, action: 'search', target: 'call' },
  { methods: GET, path: /^\/calls\/export\.csv$/, action: 'export', target: 'call' },
  { methods: GET, path: /^\/ui\/f\/search$/, action: 'search', target: 'call' },
  { methods: GET, path: /^\/calls\/([^/]*)$/, action: 'read_call', target: 'call', id: (m) => m[1] },
  { methods: GET, path: /^\/calls\/([^/]*)\/audio$/, action: 'read_audio', target: 'call', id: (m) => m[1] },
  // The dashboard's call fragment shows the transcript and the answers (its player fragment shows neither).
  { methods: GET, path: /^\/ui\/f\/calls\/([^/]*)$/, action: 'read_call', target: 'call', id: (m) => m[1] },
  // A batch's failure log carries the failed requests' payloads: an LLM stage's holds the transcript (the API's,
  // and the dashboard's fragment of it).
  {
    methods: GET,
    path: /^(?:\/ui\/f)?\/batches\/([^/]*)\/failures$/,
    action: 'read_failures',
    target: 'batch',
    id: (m) => m[1],
  },
  { methods: POST, path: /^\/audit\/upload$/, action: 'upload', target: 'batch' },
  { methods: POST, path: /^\/reaudit$/, action: 'reaudit', target: 'batch' },
  // A retry of a batch's failed calls is a reaudit (or several) of that batch's calls.
  {
    methods: POST,
    path: /^\/batches\/([^/]*)\/retry-failed$/,
    action: 'reaudit',
    target: 'batch',
    id: (m) => m[1],
  },
  { methods: POST, path: /^\/batches\/([^/]*)\/cancel$/, action: 'cancel', target: 'batch', id: (m) => m[1] },
  {
    methods: POST,
    path: /^\/reaudit\/reaudit-([^/]*)\/cancel$/,
    action: 'cancel',
    target: 'batch',
    id: (m) => m[1],
  },
  { methods: POST, path: /^\/batches$/, action: 'daily_run', target: 'batch' },
  { methods: ['DELETE'], path: /^\/calls\/([^/]*)$/, action: 'erasure', target: 'call', id: (m) => m[1] },
  // Erasure by customer reference writes a row per erased call itself, in the erasure's transaction.
  { methods: POST, path: /^\/erasures$/, action: 'erasure', target: 'call', refusalsOnly: true },
  // Publishing a questionnaire version changes how every call from then on is scored.
  {
    methods: POST,
    path: /^\/processes\/([^/]*)\/questionnaire\/versions$/,
    action: 'publish_questionnaire',
    target: 'process',
    id: (m) => m[1],
  },
  // Human review: an override or confirmation changes a call's answers and score; versions and the review show
  // earlier answers (a version's transcript is never answered, but its answers are).
  {
    methods: POST,
    path: /^\/calls\/([^/]*)\/(answers\/[^/]*\/(override|confirm)|review)$/,
    action: 'override',
    target: 'call',
    id: (m) => m[1],
  },
  {
    methods: GET,
    path: /^\/calls\/([^/]*)\/(versions|versions\/diff|review)$/,
    action: 'read_answers',
    target: 'call',
    id: (m) => m[1],
  },
  {
    methods: GET,
    path: /^\/ui\/f\/calls\/([^/]*)\/(review|versions)$/,
    action: 'read_answers',
    target: 'call',
    id: (m) => m[1],
  },
  // A process's redaction and retention policy: what is redacted before the LLMs, how long data is kept.
  {
    methods: ['PUT'],
    path: /^\/processes\/([^/]*)\/policy$/,
    action: 'policy_change',
    target: 'process',
    id: (m) => m[1],
  },
];

function idOf(text: string | undefined): number | null {
  if (!text || !/^\d{1,10}$/.test(text)) return null;
  const id = Number(text);
  return id >= 1 && id <= MAX_ID ? id : null;
}

function trailedRoute(method: string, path: string) {
  for (const trailed of TRAILED) {
    const match = trailed.methods.includes(method) ? trailed.path.exec(path) : null;
    if (match) return { trailed, match };
  }
  return null;
}

export function accessTrail(db: Db, logger?: Logger): MiddlewareHandler {
  return async (c, next) => {
    const at = new Date();
    const path = c.req.path;
    const found = trailedRoute(c.req.method, path);
    // Hono's compose turns a thrown error into the error handler's answer before it gets here.
    await next();
    if (!found) return;
    const { trailed, match } = found;
    if (trailed.refusalsOnly && c.res.status < 400) return;
    const actor = c.get('actor');
    const note = c.get('accessNote') ?? {};
    const pathId = trailed.id ? idOf(trailed.id(match)) : null;
    const targetId = note.targetId ?? pathId;
    const row = {
      at,
      keyName: actor?.keyName ?? null,
      role: actor?.role ?? null,
      action: trailed.action,
      targetType: trailed.target,
      targetId,
      batchId: note.batchId ?? (trailed.target === 'batch' ? targetId : null),
      taskId: note.taskId ?? null,
      method: c.req.method,
      path: path.slice(0, 512),
      status: c.res.status,
      requestId: c.get('requestId')?.slice(0, 255) ?? null,
    };
    try {
      await db.insert(accessLog).values(row);
    } catch (err) {
      // The answer stands (a read that succeeded is not turned into a 500, a batch started stays started); the
      // missing row is logged loudly with what it would have said (ids only).
      const line = { err, access: { ...row, at: at.toISOString() } };
      if (logger) logger.error(line, 'ACCESS TRAIL NOT WRITTEN');
      else console.error('[cofi] ACCESS TRAIL NOT WRITTEN', line);
    }
  };
}
