// Calls and where they were distributed: call, fileDistribution, and the reaudit links and locks.
import { type InferSelectModel, relations } from 'drizzle-orm';
import {
  bigint,
  boolean,
  datetime,
  double,
  index,
  int,
  mysqlTable,
  primaryKey,
  text,
  uniqueIndex,
  varchar,
} from 'drizzle-orm/mysql-core';
import { CALL_DIRECTIONS, CALL_STATUSES, SKIP_REASONS, STAGES } from '../../core/stages.js';
import { batchStatus } from './batches.js';
import { createdAt, doneFlag, updatedAt } from './columns.js';

export const call = mysqlTable(
  'call',
  {
    id: int('id').autoincrement().primaryKey(),
    batchId: int('batchId').notNull(),
    /** The recording's file name as the client sent it (display only; never used as a path). */
    audioName: varchar('audioName', { length: 255 }).notNull(),
    /** Path in the audio store, derived by cofi: the audio the inference stages read (after denoise/ivr). */
    storedPath: varchar('storedPath', { length: 1024 }).notNull(),
    /** The audio as received, when denoise/ivr wrote a processed copy. */
    originalPath: varchar('originalPath', { length: 1024 }),
    /** Daily batch: the file's path under DAILY_DIR, so a file is ingested once. */
    sourcePath: varchar('sourcePath', { length: 512 }),
    /** Seconds of IVR prompt cut from the start by the ivr stage. */
    ivrOffset: double('ivrOffset'),
    processId: int('processId').notNull(),
    categoryMappingId: int('categoryMappingId'),
    status: varchar('status', { length: 24, enum: CALL_STATUSES }).notNull().default('Queued'),
    /** The stage the call is in, or last finished. */
    stage: varchar('stage', { length: 16, enum: STAGES }),
    lang: varchar('lang', { length: 16 }),
    audioDuration: double('audioDuration'),
    audioFormat: varchar('audioFormat', { length: 32 }),
    audioBytes: bigint('audioBytes', { mode: 'number' }),
    gpuNode: varchar('gpuNode', { length: 64 }),
    failedStage: varchar('failedStage', { length: 16, enum: STAGES }),
    errorMessage: text('errorMessage'),
    /** Weighted questionnaire score, 0..100, written by llm2. */
    auditScore: double('auditScore'),
    /** The questionnaireVersion llm2 scored the call with (null until scored). */
    questionnaireVersionId: int('questionnaireVersionId'),
    /** True when a critical question was answered `no`, which set the score to 0 (null until scored). */
    criticalFailure: boolean('criticalFailure'),
    /**
     * Why the call has no analysis and no score although it completed: `no_speech` when STT heard no speech
     * in the recording (the LLM stages then have nothing to read and send no request). Null otherwise.
     */
    skipReason: varchar('skipReason', { length: 32, enum: SKIP_REASONS }),
    // Call metadata, optional, given at upload or by the daily batch's sidecar JSON (all null when not given).
    /** The contact-centre agent who took the call, as the client's systems name them. */
    agentId: varchar('agentId', { length: 64 }),
    team: varchar('team', { length: 64 }),
    /** The customer's reference in the client's systems: erasure by customer reference finds calls by it. */
    customerReference: varchar('customerReference', { length: 128 }),
    /** When the call took place (not when cofi received it). */
    callStartedAt: datetime('callStartedAt', { mode: 'date', fsp: 3 }),
    direction: varchar('direction', { length: 8, enum: CALL_DIRECTIONS }),
    /** When the call was erased (DELETE /calls/{id}): the row is then a tombstone, its results gone. */
    erasedAt: datetime('erasedAt', { mode: 'date', fsp: 3 }),
    /** The name of the API key that erased it. */
    erasedBy: varchar('erasedBy', { length: 64 }),
    // When the retention run (lifecycle/retention.ts) removed each kind of the call's data; null: still kept.
    // Reads of an expired part answer 410, and a resumed run skips what is marked (no double delete or count).
    recordingExpiredAt: datetime('recordingExpiredAt', { mode: 'date', fsp: 3 }),
    transcriptExpiredAt: datetime('transcriptExpiredAt', { mode: 'date', fsp: 3 }),
    analysisExpiredAt: datetime('analysisExpiredAt', { mode: 'date', fsp: 3 }),
    answerExpiredAt: datetime('answerExpiredAt', { mode: 'date', fsp: 3 }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('call_batch_audio').on(t.batchId, t.audioName),
    index('call_audioName').on(t.audioName),
    index('call_status').on(t.batchId, t.status),
    index('call_sourcePath').on(t.sourcePath),
    index('call_customerReference').on(t.customerReference),
    index('call_agent').on(t.agentId),
    // Search (GET /calls/search, the CSV export): its sort orders, date ranges and the filters that walk them.
    // Measured by the bench's search part on 100,000 calls (bench/search.ts).
    index('call_created').on(t.createdAt),
    index('call_started').on(t.callStartedAt),
    index('call_score').on(t.auditScore),
    index('call_team').on(t.team, t.createdAt),
    index('call_status_created').on(t.status, t.createdAt),
    // The retention run's scan: a process's calls by age.
    index('call_process_created').on(t.processId, t.createdAt),
  ],
);

export const fileDistribution = mysqlTable(
  'fileDistribution',
  {
    id: int('id').autoincrement().primaryKey(),
    batchId: int('batchId').notNull(),
    callId: int('callId').notNull(),
    file: varchar('file', { length: 255 }).notNull(),
    gpuNode: varchar('gpuNode', { length: 64 }).notNull(),
    gpuUrl: varchar('gpuUrl', { length: 512 }).notNull(),
    denoiseDone: doneFlag('denoiseDone'),
    ivrDone: doneFlag('ivrDone'),
    lidDone: doneFlag('lidDone'),
    sttDone: doneFlag('sttDone'),
    redactDone: doneFlag('redactDone'),
    llm1Done: doneFlag('llm1Done'),
    llm2Done: doneFlag('llm2Done'),
    /** The stage at which the call failed in its latest run, if it did. */
    failedStage: varchar('failedStage', { length: 16, enum: STAGES }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('fileDistribution_call').on(t.callId), index('fileDistribution_batch').on(t.batchId)],
);

/** Which calls a reaudit batch covers, and the batch each came from. */
export const reauditCall = mysqlTable(
  'reauditCall',
  {
    batchId: int('batchId').notNull(),
    callId: int('callId').notNull(),
    originalBatchId: int('originalBatchId').notNull(),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.batchId, t.callId] }), index('reauditCall_call').on(t.callId)],
);

/**
 * A call held by a running batch of any kind: a call belongs to at most one running batch. Taken at admission
 * in the transaction that creates the batch's rows, released with the batch's final status. The primary key
 * makes taking a lock atomic across API replicas and restarts (the predecessor kept this in process memory).
 */
export const callLock = mysqlTable(
  'callLock',
  {
    callId: int('callId').primaryKey(),
    batchId: int('batchId').notNull(),
    lockedAt: datetime('lockedAt', { mode: 'date', fsp: 3 })
      .notNull()
      .$defaultFn(() => new Date()),
  },
  (t) => [index('callLock_batch').on(t.batchId)],
);

export const callRelations = relations(call, ({ one }) => ({
  batch: one(batchStatus, { fields: [call.batchId], references: [batchStatus.id] }),
  distribution: one(fileDistribution, { fields: [call.id], references: [fileDistribution.callId] }),
}));

export type CallRow = InferSelectModel<typeof call>;
export type FileDistributionRow = InferSelectModel<typeof fileDistribution>;
