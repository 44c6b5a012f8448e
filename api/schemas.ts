// Answer shapes of the read endpoints, as zod schemas: the handlers' types and the OpenAPI document.
import { z } from '@hono/zod-openapi';
import {
  BATCH_KINDS,
  BATCH_STATUSES,
  CALL_DIRECTIONS,
  CALL_STATUSES,
  SKIP_REASONS,
  STAGE_STATUSES,
  STAGES,
} from '../core/stages.js';

const when = z.string().openapi({ format: 'date-time' });

export const stageCountSchema = z
  .object({
    total: z.number().int(),
    done: z.number().int(),
    failed: z.number().int(),
    skipped: z.number().int(),
    cancelled: z
      .number()
      .int()
      .openapi({ description: 'calls a cancel stopped before they finished this stage' }),
    no_speech: z.number().int().optional().openapi({
      description:
        'calls whose recording holds no speech: this stage reads the transcript, had nothing to do and sent no request (finished, not an error)',
    }),
  })
  .openapi('StageCount');
export const progressSchema = z.partialRecord(z.enum(STAGES), stageCountSchema).openapi('Progress');
const stageStatusMap = z.partialRecord(z.enum(STAGES), z.enum(STAGE_STATUSES));

export const batchSummarySchema = z
  .object({
    batch_id: z.number().int(),
    task_id: z.string(),
    kind: z.enum(BATCH_KINDS),
    status: z.enum(BATCH_STATUSES),
    batch_date: z.string(),
    process_id: z.number().int().nullable(),
    category_mapping_id: z.number().int().nullable(),
    stages: z.array(z.enum(STAGES)),
    total_files: z.number().int(),
    completed: z.number().int(),
    no_speech: z.number().int().openapi({
      description: 'of the completed calls, those whose recording holds no speech (no analysis, no score)',
    }),
    failed: z.number().int(),
    cancelled: z.number().int().openapi({ description: 'calls a cancel (or the end of the batch) stopped' }),
    stage_status: stageStatusMap,
    progress: progressSchema,
    created_at: when,
    started_at: when.nullable(),
    completed_at: when.nullable(),
    workflow_id: z.string(),
    temporal_url: z.url(),
  })
  .openapi('BatchSummary');
export type BatchSummary = z.infer<typeof batchSummarySchema>;

export const batchListSchema = z
  .object({
    batches: z.array(batchSummarySchema),
    next_before: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'pass as `before` for the next (older) page' }),
  })
  .openapi('BatchList');

export const stageTimingSchema = z.object({
  started_at: when.nullable(),
  completed_at: when.nullable(),
  seconds: z.number().nullable(),
});

export const batchDetailSchema = z
  .object({
    task_id: z.string(),
    batch_id: z.number().int(),
    kind: z.enum(BATCH_KINDS),
    status: z.enum(BATCH_STATUSES),
    source: z
      .enum(['ledger'])
      .openapi({ description: 'where the counts come from: the batch ledger, live while the batch runs' }),
    batch_date: z.string(),
    process_id: z.number().int().nullable(),
    category_mapping_id: z.number().int().nullable(),
    total_files: z.number().int(),
    completed: z.number().int(),
    no_speech: z.number().int().openapi({
      description: 'of the completed calls, those whose recording holds no speech (no analysis, no score)',
    }),
    failed: z.number().int(),
    cancelled: z.number().int().openapi({ description: 'calls a cancel (or the end of the batch) stopped' }),
    in_flight: z
      .number()
      .int()
      .openapi({ description: 'calls that have begun and not ended (0 once the batch has ended)' }),
    progress: progressSchema,
    stage_status: z.record(z.string(), z.string()),
    exit_reason: z
      .string()
      .nullable()
      .openapi({ description: 'why a batch that failed or was cancelled ended (its workflow, a cancel, …)' }),
    attempt: z.number().int().openapi({
      description: 'how many times the batch was run (a day run again is attempt 2); 0 before it starts',
    }),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: when,
    started_at: when.nullable(),
    completed_at: when.nullable(),
    workflow_id: z.string(),
    temporal_url: z.url().openapi({
      description:
        "the batch's current run in the Temporal Web UI (a batch that continued as new: its newest run)",
    }),
    temporal_workflows_url: z.url().openapi({
      description: "the Web UI's list of the batch's workflows: its runs and every call's workflow",
    }),
    stage_timings: z.partialRecord(z.enum(STAGES), stageTimingSchema),
  })
  .openapi('BatchDetail');
export type BatchDetail = z.infer<typeof batchDetailSchema>;

export const batchEventSchema = z
  .object({
    id: z.number().int(),
    stage: z.string(),
    event_type: z.string(),
    status: z.string(),
    message: z.string().nullable(),
    call_id: z.number().int().nullable(),
    total_files: z.number().int().nullable(),
    successful_files: z.number().int().nullable(),
    failed_files: z.number().int().nullable(),
    metadata: z.record(z.string(), z.unknown()).nullable(),
    created_at: when,
  })
  .openapi('BatchEvent');
export type BatchEvent = z.infer<typeof batchEventSchema>;
export const batchEventsSchema = z.object({
  events: z.array(batchEventSchema),
  next_after: z.number().int().nullable(),
});

export const failureSchema = z
  .object({
    id: z.number().int(),
    call_id: z.number().int().nullable(),
    audio_name: z.string().nullable(),
    stage: z.string(),
    status: z.string(),
    error_type: z.string().nullable(),
    error_message: z.string().nullable(),
    request_url: z.string().nullable(),
    input_payload: z.unknown().openapi({ description: 'the request that failed, without audio or keys' }),
    attempts: z.number().int().nullable(),
    created_at: when,
    temporal_url: z
      .url()
      .nullable()
      .openapi({ description: "the call's workflow in this batch, in the Temporal Web UI" }),
  })
  .openapi('Failure');
export type Failure = z.infer<typeof failureSchema>;
export const failuresSchema = z.object({
  failures: z.array(failureSchema),
  next_after: z.number().int().nullable(),
});

export const callSummarySchema = z
  .object({
    call_id: z.number().int(),
    batch_id: z.number().int(),
    audio_name: z.string(),
    status: z.enum(CALL_STATUSES),
    stage: z.enum(STAGES).nullable(),
    lang: z.string().nullable(),
    score: z.number().nullable().openapi({ description: 'weighted questionnaire score, 0..100' }),
    critical_failure: z.boolean().nullable().openapi({
      description:
        'true: a critical question was answered `no`, so the score is 0 ("failed on a critical item"); null until scored',
    }),
    skip_reason: z.enum(SKIP_REASONS).nullable().openapi({
      description:
        '`no_speech`: the call completed, but its recording holds no speech, so it has no analysis and no score',
    }),
    failed_stage: z.enum(STAGES).nullable(),
    error_message: z.string().nullable(),
    duration: z.number().nullable(),
    gpu_node: z.string().nullable(),
    category: z.string().nullable(),
    sub_category: z.string().nullable(),
    // Call metadata, given at upload (`metadata`) or by a daily sidecar; null when not given.
    agent_id: z.string().nullable().openapi({ description: 'the agent who took the call (call metadata)' }),
    team: z.string().nullable(),
    customer_reference: z.string().nullable(),
    call_started_at: when
      .nullable()
      .openapi({ description: 'when the call took place, UTC (call metadata)' }),
    direction: z.enum(CALL_DIRECTIONS).nullable(),
    updated_at: when,
  })
  .openapi('CallSummary');
export type CallSummary = z.infer<typeof callSummarySchema>;
export const batchCallsSchema = z.object({
  calls: z.array(callSummarySchema),
  next_after: z.number().int().nullable(),
});

const segmentSchema = z.object({
  id: z.number(),
  start: z.number(),
  end: z.number(),
  text: z.string(),
  speaker: z.string().optional(),
  avgLogprob: z.number().optional(),
  noSpeechProb: z.number().optional(),
});

/** What the redact stage found in a transcript: where, never what. */
const redactionSchema = z
  .object({
    redacted_at: when.nullable().openapi({
      description: 'when personal data was replaced with placeholders; null: not yet (no LLM has read it)',
    }),
    entities: z.array(
      z.object({
        type: z.string().openapi({ description: 'card, iban, phone, email, dob, postcode or national_id' }),
        placeholder: z.string().openapi({ example: '[CARD]' }),
        start: z.number().nullable().openapi({ description: 'seconds into the recording, when known' }),
        end: z.number().nullable(),
        parts: z
          .array(z.object({ segment: z.number().int(), start: z.number().int(), end: z.number().int() }))
          .openapi({ description: 'segment and character span of the value in the unredacted text' }),
      }),
    ),
    original_kept: z
      .boolean()
      .openapi({ description: "the process's policy keeps the unredacted transcript (not shown here)" }),
  })
  .openapi({ description: 'the text and segments above are the redacted ones, with typed placeholders' });

export const answerSchema = z
  .object({
    question_id: z.number().int(),
    position: z.number().int(),
    code: z.string(),
    question: z.string(),
    answer_type: z.string(),
    weight: z.number(),
    answer: z.string(),
    evidence: z.string().nullable(),
    score: z.number(),
    max_score: z.number(),
    model: z.string().nullable(),
    critical: z.boolean().openapi({ description: 'a critical question: `no` sets the call score to 0' }),
  })
  .openapi('AuditAnswer');

export const callDetailSchema = z
  .object({
    call: callSummarySchema.extend({
      process_id: z.number().int(),
      category_mapping_id: z.number().int().nullable(),
      audio_format: z.string().nullable(),
      audio_bytes: z.number().int().nullable(),
      created_at: when,
    }),
    batch: z
      .object({ batch_id: z.number().int(), task_id: z.string(), kind: z.enum(BATCH_KINDS) })
      .nullable(),
    process: z.object({ id: z.number().int(), name: z.string() }).nullable(),
    lid: z
      .object({
        lang: z.string(),
        confidence: z.number().nullable(),
        detected_raw: z.string().nullable(),
        supported: z.boolean(),
        source: z.string(),
        speech: z
          .boolean()
          .openapi({ description: 'false: the model heard no speech, `lang` is its guess on silence' }),
        gpu_node: z.string().nullable(),
      })
      .nullable(),
    transcript: z
      .object({
        lang: z.string().nullable(),
        text: z.string(),
        duration: z.number().nullable(),
        model: z.string().nullable(),
        gpu_node: z.string().nullable(),
        segments: z.array(segmentSchema),
        redaction: redactionSchema,
      })
      .nullable(),
    analysis: z
      .object({
        summary: z.string(),
        category: z.string().nullable(),
        sub_category: z.string().nullable(),
        sentiment: z.string().nullable(),
        key_facts: z.array(z.string()).nullable(),
        model: z.string().nullable(),
      })
      .nullable(),
    answers: z.array(answerSchema),
    score: z.number().nullable(),
    questionnaire: z
      .object({ version: z.number().int(), version_id: z.number().int() })
      .nullable()
      .openapi({ description: 'the questionnaire version the call was scored with; null until scored' }),
    critical_failures: z.array(z.string()).openapi({
      description: 'codes of the critical questions answered `no` (the score is then 0); empty when none',
    }),
    audio_url: z.string().nullable().openapi({
      description:
        'the recording; signed when the API has keys, for <audio>; null once it expired by retention',
    }),
    temporal_url: z.url().openapi({
      description:
        "the Web UI's list of every workflow that ran the call (its upload, reaudits), newest first",
    }),
  })
  .openapi('CallDetail');
export type CallDetail = z.infer<typeof callDetailSchema>;

export const processesSchema = z.object({
  processes: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      description: z.string().nullable(),
      active: z.boolean(),
      question_count: z.number().int(),
    }),
  ),
});
export const categoryMappingsSchema = z.object({
  category_mappings: z.array(
    z.object({
      id: z.number().int(),
      name: z.string(),
      description: z.string().nullable(),
      category_count: z.number().int(),
    }),
  ),
});

/** A task id in a path (`audit-42`, `reaudit-43`, `daily-2026-01-15`). */
export const taskParams = (example: string) =>
  z.object({
    task_id: z.string().openapi({ param: { name: 'task_id', in: 'path' }, example }),
  });

/** What the status endpoints answer: the batch view without stage timings. */
export const statusSchema = batchDetailSchema.omit({ stage_timings: true }).openapi('BatchStatus');
