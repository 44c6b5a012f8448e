// GET and PUT /processes/{id}/policy: a process's data-protection policy (what the redaction stage removes, how
// many days each kind of a call's data is kept). PUT needs an operator key, replaces the whole policy, and is on
// the access trail (policy_change); bad input is a 422 naming the field and changes nothing.
import { createRoute, z } from '@hono/zod-openapi';
import { eq } from 'drizzle-orm';
import { AUDIO_ACTIONS, parseRedactionPolicy } from '../../core/redaction/policy.js';
import { ENTITY_TYPES, REDACTION_LANGUAGES } from '../../core/redaction/types.js';
import type { Db } from '../../drizzle/client.js';
import { process, processPolicy } from '../../drizzle/schema/index.js';
import { loadProcessPolicy } from '../../lifecycle/processPolicy.js';
import type { ApiDeps } from '../deps.js';
import { ApiError } from '../errors.js';
import { createRouter, errorResponses, idParams, json } from '../openapi.js';

const tags = ['data protection'];

const redactionSchema = z
  .object({
    entities: z.array(z.enum(ENTITY_TYPES)).openapi({ description: 'entity types redacted (empty: none)' }),
    languages: z.array(z.enum(REDACTION_LANGUAGES)).openapi({ description: 'call languages expected' }),
    keepOriginal: z.boolean().openapi({
      description: 'whether the unredacted transcript (and audio) is kept beside the redacted one',
    }),
    audio: z
      .enum(AUDIO_ACTIONS)
      .openapi({ description: 'what the stored recording gets over a redacted span' }),
  })
  .openapi('RedactionPolicy');

const days = (kind: string) =>
  z
    .number()
    .int(`${kind} must be a whole number of days`)
    .min(1, `${kind} must be at least 1 day (null keeps it until erased)`)
    .max(36_500, `${kind} is more than 100 years`)
    .nullable()
    .openapi({
      description: `days ${kind.replace('Days', '')} data is kept after the call was received; null: until erased`,
    });

const retentionSchema = z
  .object({
    recordingDays: days('recordingDays'),
    transcriptDays: days('transcriptDays'),
    analysisDays: days('analysisDays'),
    answerDays: days('answerDays'),
  })
  .openapi('RetentionPolicy');

const policySchema = z
  .object({
    process_id: z.number().int(),
    redaction: redactionSchema,
    retention: retentionSchema,
    /** False: no policy was ever set, these are the defaults. */
    stored: z
      .boolean()
      .openapi({ description: 'false: the process has no policy of its own, these are the defaults' }),
    updated_by: z.string().nullable().openapi({ description: 'the name of the API key that last set it' }),
    updated_at: z.string().nullable().openapi({ format: 'date-time' }),
  })
  .openapi('ProcessPolicy');

const policyBody = z
  .object({
    // Checked by parseRedactionPolicy (core/redaction/policy.ts), the one validator of a redaction policy.
    redaction: z.unknown().optional().openapi({
      type: 'object',
      description:
        'RedactionPolicy; fields left out get their defaults (every entity type and language, keepOriginal false, audio silence)',
    }),
    retention: retentionSchema
      .partial()
      .strict()
      .optional()
      .openapi({ description: 'days per kind; a kind left out is kept until erased (null)' }),
  })
  .strict()
  .openapi('ProcessPolicyUpdate');

const read = createRoute({
  method: 'get',
  path: '/processes/{id}/policy',
  tags,
  summary: "A process's redaction and retention policy (the defaults when none was set)",
  request: { params: idParams },
  responses: { 200: json(policySchema, 'the policy in force'), ...errorResponses(404) },
});

const write = createRoute({
  method: 'put',
  path: '/processes/{id}/policy',
  tags,
  summary:
    "Replaces a process's redaction and retention policy (operator key); what is left out gets its default",
  request: {
    params: idParams,
    body: { required: true, content: { 'application/json': { schema: policyBody } } },
  },
  responses: { 200: json(policySchema, 'the policy now in force'), ...errorResponses(400, 403, 404, 415) },
});

async function requireProcess(db: Db, id: number): Promise<void> {
  const [row] = await db.select({ id: process.id }).from(process).where(eq(process.id, id));
  if (!row) throw new ApiError('not_found', `no process with id ${id}`);
}

async function policyAnswer(db: Db, id: number) {
  const [row] = await db.select().from(processPolicy).where(eq(processPolicy.processId, id));
  const policy = await loadProcessPolicy(db, id);
  return {
    process_id: id,
    redaction: policy.redaction,
    retention: policy.retention,
    stored: row !== undefined,
    updated_by: row?.updatedBy ?? null,
    updated_at: row?.updatedAt.toISOString() ?? null,
  };
}

export function policyRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(read, async (c) => {
      const id = c.req.valid('param').id;
      await requireProcess(db, id);
      return c.json(await policyAnswer(db, id), 200);
    })
    .openapi(write, async (c) => {
      const id = c.req.valid('param').id;
      const body = c.req.valid('json');
      await requireProcess(db, id);
      const redaction = parseRedactionPolicy(body.redaction);
      if (!redaction.ok) throw new ApiError('validation_error', `body field redaction: ${redaction.detail}`);
      const values = {
        redaction: redaction.value,
        recordingDays: body.retention?.recordingDays ?? null,
        transcriptDays: body.retention?.transcriptDays ?? null,
        analysisDays: body.retention?.analysisDays ?? null,
        answerDays: body.retention?.answerDays ?? null,
        updatedBy: c.get('actor')?.keyName ?? null,
        updatedAt: new Date(),
      };
      // One statement: the policy is replaced whole or not at all.
      await db
        .insert(processPolicy)
        .values({ processId: id, ...values })
        .onDuplicateKeyUpdate({ set: values });
      return c.json(await policyAnswer(db, id), 200);
    });
}
