// Batches and their logs: batchStatus, batchExecutionLog, processing_logs (seed names kept verbatim).
import { type InferSelectModel, relations } from 'drizzle-orm';
import {
  date,
  datetime,
  index,
  int,
  json,
  mysqlTable,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { BATCH_KINDS, BATCH_STATUSES, STAGE_STATUSES } from '../../core/stages.js';
import { createdAt, updatedAt } from './columns.js';

const stageStatus = (name: string) =>
  varchar(name, { length: 24, enum: STAGE_STATUSES }).notNull().default('Pending');

export const batchStatus = mysqlTable(
  'batchStatus',
  {
    id: int('id').autoincrement().primaryKey(),
    batchDate: date('batchDate', { mode: 'string' }).notNull(),
    kind: varchar('kind', { length: 16, enum: BATCH_KINDS }).notNull(),
    status: varchar('status', { length: 24, enum: BATCH_STATUSES }).notNull().default('Pending'),
    /** The id the API hands out (`task_id`); unique, readable (`audit-42`). */
    taskId: varchar('taskId', { length: 128 }).notNull(),
    workflowId: varchar('workflowId', { length: 255 }).notNull(),
    /** First run id of the execution that owns the batch now (continue-as-new keeps it). */
    runId: varchar('runId', { length: 64 }),
    /**
     * How many executions have opened the batch (a day run again is a second one). Event keys carry it, so a
     * resumed day logs its own stage and batch events.
     */
    attempt: int('attempt').notNull().default(0),
    processId: int('processId'),
    categoryMappingId: int('categoryMappingId'),
    /** The stages this batch runs, in order. */
    stages: json('stages').$type<string[]>().notNull(),
    /** Where the batch's audio came from (upload staging folder, daily folder). */
    source: varchar('source', { length: 1024 }),
    totalFiles: int('totalFiles').notNull().default(0),
    completedFiles: int('completedFiles').notNull().default(0),
    failedFiles: int('failedFiles').notNull().default(0),
    /** Calls a cancel stopped before they finished (reaudits). */
    cancelledFiles: int('cancelledFiles').notNull().default(0),
    dbInsertionStatus: stageStatus('dbInsertionStatus'),
    denoiseStatus: stageStatus('denoiseStatus'),
    ivrStatus: stageStatus('ivrStatus'),
    lidStatus: stageStatus('lidStatus'),
    sttStatus: stageStatus('sttStatus'),
    redactStatus: stageStatus('redactStatus'),
    llm1Status: stageStatus('llm1Status'),
    llm2Status: stageStatus('llm2Status'),
    /** Extra facts of a batch kind (reaudit: names not found, cleanup counts). */
    details: json('details').$type<Record<string, unknown>>(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    startedAt: datetime('startedAt', { mode: 'date', fsp: 3 }),
    completedAt: datetime('completedAt', { mode: 'date', fsp: 3 }),
  },
  (t) => [
    uniqueIndex('batchStatus_taskId').on(t.taskId),
    index('batchStatus_date').on(t.batchDate),
    index('batchStatus_kind').on(t.kind, t.id),
  ],
);

export const batchExecutionLog = mysqlTable(
  'batchExecutionLog',
  {
    id: int('id').autoincrement().primaryKey(),
    batchId: int('batchId').notNull(),
    stage: varchar('stage', { length: 32 }).notNull(),
    eventType: varchar('eventType', { length: 32 }).notNull(),
    status: varchar('status', { length: 24 }).notNull(),
    message: text('message'),
    metadata: json('metadata').$type<Record<string, unknown>>(),
    callId: int('callId'),
    totalFiles: int('totalFiles'),
    successfulFiles: int('successfulFiles'),
    failedFiles: int('failedFiles'),
    /** Natural key of the event (batch, stage, type, call): a retried activity cannot log twice. */
    eventKey: varchar('eventKey', { length: 191 }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('batchExecutionLog_eventKey').on(t.eventKey),
    index('batchExecutionLog_batch').on(t.batchId, t.id),
  ],
);

/** Failures with the request that failed. Column names are the predecessor's snake_case ones. */
export const processingLogs = mysqlTable(
  'processing_logs',
  {
    id: int('id').autoincrement().primaryKey(),
    callId: varchar('call_id', { length: 64 }).notNull(),
    audioName: varchar('audio_name', { length: 255 }),
    /** A string, as in the predecessor, so its queries (`batch_id = '42'`) run unchanged. */
    batchId: varchar('batch_id', { length: 64 }).notNull(),
    stageName: varchar('stage_name', { length: 32 }).notNull(),
    status: varchar('status', { length: 16 }).notNull(),
    errorType: varchar('error_type', { length: 64 }),
    errorMessage: text('error_message'),
    requestUrl: varchar('request_url', { length: 2048 }),
    inputPayload: text('input_payload'),
    attempts: int('attempts'),
    createdAt: datetime('created_at', { mode: 'date', fsp: 3 })
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [
    uniqueIndex('processing_logs_batch_call_stage').on(t.batchId, t.callId, t.stageName),
    index('processing_logs_status').on(t.batchId, t.status),
  ],
);

export const batchStatusRelations = relations(batchStatus, ({ many }) => ({
  events: many(batchExecutionLog),
}));
export const batchExecutionLogRelations = relations(batchExecutionLog, ({ one }) => ({
  batch: one(batchStatus, { fields: [batchExecutionLog.batchId], references: [batchStatus.id] }),
}));

export type BatchRow = InferSelectModel<typeof batchStatus>;
export type BatchEventRow = InferSelectModel<typeof batchExecutionLog>;
export type ProcessingLogRow = InferSelectModel<typeof processingLogs>;
