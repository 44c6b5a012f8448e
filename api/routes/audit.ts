// POST /audit/upload and GET /audit/status/{task_id}: the seed's audit contract. The upload is streamed to
// disk, so its form is validated after it arrived, by the same schema the OpenAPI document shows.
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import {
  CALL_METADATA_FIELDS,
  type CallMetadata,
  CallMetadataError,
  parseUploadMetadata,
} from '../../core/callMetadata.js';
import { sameNamePair } from '../../core/names.js';
import { AUDIT_STAGES, lackingStages, missingInputs, orderStages, type Stage } from '../../core/stages.js';
import { categoryMapping, process } from '../../drizzle/schema/index.js';
import { AUDIT_BUSY, admitUpload, isDuplicateKey, uploadBusy } from '../../lifecycle/admission.js';
import { noteAccess } from '../accessTrail.js';
import { batchView, findBatchByTask } from '../batchView.js';
import type { ApiDeps } from '../deps.js';
import { ApiError, badRequest, describeError } from '../errors.js';
import { createRouter, errorResponses, json, MAX_ID, streamedRoute } from '../openapi.js';
import { statusSchema, taskParams } from '../schemas.js';
import { receiveUpload, type StagedUpload } from '../upload.js';

export { AUDIT_BUSY };

const positiveId = (name: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `${name} is required` : `${name} must be text`),
    })
    .trim()
    .superRefine((value, ctx) => {
      if (!/^\d{1,10}$/.test(value) || Number(value) < 1 || Number(value) > MAX_ID)
        ctx.addIssue({
          code: 'custom',
          message: `${name} must be a positive integer, got "${value.slice(0, 40)}"`,
        });
    })
    .transform(Number)
    .openapi({ type: 'string', pattern: '^\\s*[0-9]{1,10}\\s*$', example: '1' });

const STAGE_LIST = `(${AUDIT_STAGES.join('|')})`;

/** The form fields of an upload (the files are the `files` parts, checked while they stream in). */
export const uploadFields = z
  .object({
    process_id: positiveId('process_id').openapi({ description: 'a process id (GET /processes)' }),
    category_mapping_id: positiveId('category_mapping_id')
      .optional()
      .openapi({ description: 'GET /category-mappings; default 1' }),
    stages: z
      .string()
      .optional()
      .transform((value, ctx) => {
        try {
          return parseAuditStages(value);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
          return z.NEVER;
        }
      })
      .openapi({
        type: 'string',
        description: `comma-separated, each at most once, of: ${AUDIT_STAGES.join(', ')} (distribute is always run, and redact with stt: a transcript is never stored unredacted); llm1 and llm2 need redact; default all`,
        pattern: `^\\s*${STAGE_LIST}?(\\s*,\\s*${STAGE_LIST})*\\s*$`,
        example: 'lid,stt',
      }),
    metadata: z
      .string()
      .optional()
      .openapi({
        type: 'string',
        description: `optional call metadata: a JSON object from file name (exactly as uploaded) to that file's fields, any of ${CALL_METADATA_FIELDS.join(', ')}: agent_id and team 1..64 printable characters, customer_reference 1..128, call_started_at ISO 8601 with a time zone (at most a day ahead), direction inbound or outbound; a null field is not given. A file without an entry has no metadata; an unknown field or a name that is not an uploaded file is refused (422) and nothing is stored`,
        example:
          '{"call-1.wav": {"agent_id": "a-17", "team": "north", "customer_reference": "C-991", "call_started_at": "2026-11-30T09:12:00Z", "direction": "inbound"}}',
      }),
  })
  .openapi('AuditUploadFields');

/**
 * `stages` as a comma-separated list; distribution is always part of an upload, and redaction of every upload
 * that transcribes (issue 16: STT's text is stored and served, so it is redacted before anything reads it).
 */
export function parseAuditStages(value: string | undefined): Stage[] {
  if (value === undefined || value.trim() === '') return [...AUDIT_STAGES];
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(AUDIT_STAGES as readonly string[]).includes(n));
  if (unknown.length)
    throw new Error(`unknown stage(s): ${unknown.join(', ')}; known: ${AUDIT_STAGES.join(', ')}`);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`stage ${twice} is named twice`);
  const stages = orderStages<Stage>([
    'distribute',
    ...(names as Stage[]),
    ...(names.includes('stt') ? (['redact'] as const) : []),
  ]);
  const missing = missingInputs(stages);
  if (missing.length)
    throw new Error(`${missing.join('; ')}: include ${lackingStages(stages).join(', ')} in stages`);
  return stages;
}

const uploadForm = uploadFields.extend({
  files: z
    .array(z.string().openapi({ type: 'string', format: 'binary' }))
    .min(1)
    .openapi({
      description:
        'the recordings (one part each, repeat the field), each a file part with a filename (the call is known by it) and audio content (wav, mp3, flac, ogg, opus, m4a, checked by its bytes); each filename must be a plain name (no path, no control characters, valid UTF-8, at most 255 bytes), unique in the upload ignoring case and accents; names are kept for display and reaudit, never used as paths',
    }),
});

const upload = createRoute({
  method: 'post',
  path: '/audit/upload',
  tags: ['audit'],
  summary:
    'Upload recordings for an audit (one upload at a time); streamed to disk, limits enforced while reading',
  request: {
    body: {
      required: true,
      content: {
        'multipart/form-data': { schema: uploadForm, encoding: { files: { contentType: 'audio/*' } } },
      },
    },
  },
  responses: {
    200: json(
      z.object({
        status: z.literal('queued'),
        task_id: z.string(),
        batch_id: z.number().int(),
        files: z.number().int(),
      }),
      'queued',
    ),
    ...errorResponses(400, 403, 408, 409, 413, 415, 503),
  },
});

const status = createRoute({
  method: 'get',
  path: '/audit/status/{task_id}',
  tags: ['audit'],
  summary: 'Status and per-stage progress of an audit upload',
  request: { params: taskParams('audit-42') },
  responses: { 200: json(statusSchema, 'the batch'), ...errorResponses(404) },
});

/** The form's fields as one value each (a field given twice, or one the form does not have, is refused). */
function fieldsOf(upload: StagedUpload): Record<string, string> {
  const known = new Set(Object.keys(uploadFields.shape));
  const unknown = [...upload.fields.keys()].filter((k) => !known.has(k));
  if (unknown.length)
    throw badRequest(`unknown field(s): ${unknown.map((u) => JSON.stringify(u.slice(0, 40))).join(', ')}`);
  const out: Record<string, string> = {};
  for (const [name, values] of upload.fields) {
    if (values.length > 1) throw badRequest(`field "${name}" was given more than once`);
    out[name] = values[0] ?? '';
  }
  return out;
}

async function validate(deps: ApiDeps, upload: StagedUpload) {
  const fields = fieldsOf(upload);
  if (upload.files.length === 0) throw badRequest('no files: send one or more recordings as "files"');
  const parsed = uploadFields.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ApiError('validation_error', `form field ${issue.path.join('.')}: ${issue.message}`);
  }
  const { process_id: processId, category_mapping_id: mappingId = 1, stages, metadata } = parsed.data;
  let byName = new Map<string, CallMetadata>();
  if (metadata !== undefined) {
    try {
      byName = parseUploadMetadata(
        metadata,
        upload.files.map((f) => f.name),
      );
    } catch (err) {
      if (!(err instanceof CallMetadataError)) throw err;
      throw new ApiError('validation_error', `form field metadata: ${err.message}`);
    }
  }
  const db = deps.database.db;
  const [proc] = await db.select().from(process).where(eq(process.id, processId));
  if (!proc?.active) throw new ApiError('validation_error', `process_id ${processId} does not exist`);
  const [mapping] = await db.select().from(categoryMapping).where(eq(categoryMapping.id, mappingId));
  if (!mapping) throw new ApiError('validation_error', `category_mapping_id ${mappingId} does not exist`);
  return { processId, mappingId, stages, metadata: byName };
}

/** Two names the database holds equal (it compares ignoring case and accents), for the 400's `detail`. */
function duplicateNames(upload: StagedUpload): ApiError {
  const pair = sameNamePair(upload.files.map((f) => f.name));
  return badRequest(
    pair
      ? `duplicate file names in one upload: "${pair[0]}" and "${pair[1]}" (names are compared ignoring case and accents)`
      : 'duplicate file names in one upload (names are compared ignoring case and accents)',
  );
}

export function auditRoutes(deps: ApiDeps) {
  const lifecycle = { db: deps.database.db, temporal: deps.temporal, config: deps.config, audio: deps.audio };
  return streamedRoute(createRouter(), upload, async (c) => {
    // Fast refusal before reading a large body; the workflow start is what makes the rule atomic.
    if (await uploadBusy(lifecycle)) throw new ApiError('conflict', AUDIT_BUSY);
    const staged = await receiveUpload(
      c.req.raw,
      deps.audio,
      {
        maxFiles: deps.config.MAX_UPLOAD_FILES,
        maxFileBytes: deps.config.MAX_FILE_BYTES,
        fileField: 'files',
        idleMs: deps.config.REQUEST_TIMEOUT_MS,
      },
      deps.probeAudio,
    );
    try {
      const { processId, mappingId, stages, metadata } = await validate(deps, staged);
      const { batchId, taskId } = await admitUpload(lifecycle, {
        stagingDir: staged.dir,
        files: staged.files.map((f) => ({ ...f, metadata: metadata.get(f.name) })),
        processId,
        mappingId,
        stages,
      });
      noteAccess(c, { targetId: batchId, batchId, taskId });
      return c.json(
        { status: 'queued' as const, task_id: taskId, batch_id: batchId, files: staged.files.length },
        200,
      );
    } catch (err) {
      // Whatever was refused, the staged files go (a batch that was admitted moved them already).
      await deps.audio.remove(staged.dir);
      // call_batch_audio is unique under the column's collation, which ignores case and accents.
      if (isDuplicateKey(err)) throw duplicateNames(staged);
      if (err instanceof ApiError) throw err;
      throw err instanceof Error && err.name === 'Refusal'
        ? err
        : new ApiError('unavailable', `could not queue the upload: ${describeError(err)}`);
    }
  }).openapi(status, async (c) => {
    const batch = await findBatchByTask(deps, c.req.valid('param').task_id, 'audit');
    return c.json(await batchView(deps, batch), 200);
  });
}
