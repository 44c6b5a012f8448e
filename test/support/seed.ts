// Rows for read-endpoint tests: a finished audit batch with one complete call, one failed in STT and the
// events, failure log and stored audio the pipeline would have left (written directly, no workflow).
import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import type { AudioStore } from '../../core/audioStore.js';
import type { Db } from '../../drizzle/client.js';
import {
  analysis,
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  call,
  fileDistribution,
  lidResult,
  processingLogs,
  stageOutcome,
  transcript,
} from '../../drizzle/schema/index.js';
import { makeWav } from './audio.js';

export type SeededBatch = {
  batchId: number;
  okCallId: number;
  failedCallId: number;
  wavBytes: number;
  cleanup(): Promise<void>;
};

const STAGES = ['distribute', 'lid', 'stt', 'llm1', 'llm2'] as const;

export async function seedFinishedBatch(
  db: Db,
  audio: AudioStore,
  names = ['good <b>call</b>.wav', 'broken-stt.wav'],
): Promise<SeededBatch> {
  const tag = randomUUID().slice(0, 8);
  const [inserted] = await db.insert(batchStatus).values({
    batchDate: new Date().toISOString().slice(0, 10),
    kind: 'audit',
    status: 'CompletedWithErrors',
    taskId: `seed-${tag}`,
    workflowId: `test/seed-${tag}`,
    processId: 1,
    categoryMappingId: 1,
    stages: [...STAGES],
    totalFiles: 2,
    completedFiles: 1,
    failedFiles: 1,
    dbInsertionStatus: 'Complete',
    lidStatus: 'Complete',
    sttStatus: 'CompleteWithErrors',
    llm1Status: 'CompleteWithErrors',
    llm2Status: 'CompleteWithErrors',
    attempt: 1,
    startedAt: new Date(Date.now() - 60_000),
    completedAt: new Date(),
  });
  const batchId = inserted.insertId;
  await db
    .update(batchStatus)
    .set({ taskId: `audit-${batchId}` })
    .where(eq(batchStatus.id, batchId));
  const wav = makeWav(2, 7);
  const okPath = audio.batchFile(batchId, 1, 'wav');
  await mkdir(path.dirname(audio.resolve(okPath)), { recursive: true });
  await writeFile(audio.resolve(okPath), wav);
  const [okRow] = await db.insert(call).values({
    batchId,
    audioName: names[0] ?? 'a.wav',
    storedPath: okPath,
    processId: 1,
    categoryMappingId: 1,
    status: 'Completed',
    stage: 'llm2',
    lang: 'en',
    audioDuration: 2,
    audioFormat: 'wav',
    audioBytes: wav.byteLength,
    gpuNode: 'node-a',
    auditScore: 87.5,
  });
  const okCallId = okRow.insertId;
  const [badRow] = await db.insert(call).values({
    batchId,
    audioName: names[1] ?? 'b.wav',
    storedPath: audio.batchFile(batchId, 2, 'wav'),
    processId: 1,
    categoryMappingId: 1,
    status: 'Failed',
    stage: 'lid',
    lang: 'en',
    failedStage: 'stt',
    errorMessage: 'HTTP 400 from node-a',
    audioFormat: 'wav',
    gpuNode: 'node-a',
  });
  const failedCallId = badRow.insertId;
  for (const [callId, sttDone] of [
    [okCallId, true],
    [failedCallId, false],
  ] as const) {
    await db.insert(fileDistribution).values({
      batchId,
      callId,
      file: callId === okCallId ? (names[0] ?? '') : (names[1] ?? ''),
      gpuNode: 'node-a',
      gpuUrl: 'http://127.0.0.1:1',
      lidDone: true,
      sttDone,
      llm1Done: sttDone,
      llm2Done: sttDone,
      failedStage: sttDone ? null : 'stt',
    });
  }
  await db.insert(lidResult).values({
    callId: okCallId,
    lang: 'en',
    confidence: 0.93,
    detectedRaw: 'english',
    supported: true,
    source: 'whisper',
    gpuNode: 'node-a',
  });
  await db.insert(transcript).values({
    callId: okCallId,
    lang: 'en',
    text: 'Hello, thank you for calling. <script>alert(1)</script>',
    segments: [
      { id: 0, start: 0, end: 1.2, text: 'Hello, thank you for calling.', speaker: 'agent' },
      { id: 1, start: 1.2, end: 2, text: '<script>alert(1)</script>', speaker: 'customer' },
    ],
    duration: 2,
    model: 'whisper-1',
    gpuNode: 'node-a',
  });
  await db.insert(analysis).values({
    callId: okCallId,
    summary: 'Customer asked about a bill & got an answer.',
    category: 'billing',
    subCategory: 'invoice_query',
    sentiment: 'positive',
    keyFacts: ['invoice 42'],
    model: 'sim',
  });
  await db.insert(auditAnswer).values([
    {
      callId: okCallId,
      questionId: 101,
      answer: 'yes',
      evidence: '"Hello, thank you for calling."',
      score: 8,
      maxScore: 8,
      model: 'sim',
    },
    {
      callId: okCallId,
      questionId: 102,
      answer: 'no',
      evidence: 'no identity check <img src=x onerror=alert(2)>',
      score: 0,
      maxScore: 15,
      model: 'sim',
    },
  ]);
  const base = Date.now() - 60_000; // read once: two reads a millisecond apart made a 3.5 s stage 3.501 s
  const at = (ms: number) => new Date(base + ms);
  await db.insert(batchExecutionLog).values([
    {
      batchId,
      stage: 'batch',
      eventType: 'batch_start',
      status: 'InProgress',
      message: 'batch started with 2 calls',
      eventKey: `${batchId}:batch:batch_start`,
      createdAt: at(0),
    },
    {
      batchId,
      stage: 'stt',
      eventType: 'stage_start',
      status: 'InProgress',
      message: 'stt started',
      eventKey: `${batchId}:stt:stage_start`,
      createdAt: at(1000),
    },
    {
      batchId,
      stage: 'stt',
      eventType: 'file_failed',
      status: 'Failed',
      callId: failedCallId,
      message: 'broken-stt.wav: HTTP 400',
      eventKey: `${batchId}:stt:file_failed:${failedCallId}`,
      createdAt: at(2000),
    },
    {
      batchId,
      stage: 'stt',
      eventType: 'stage_complete',
      status: 'CompleteWithErrors',
      message: 'stt finished',
      successfulFiles: 1,
      failedFiles: 1,
      totalFiles: 2,
      eventKey: `${batchId}:stt:stage_complete`,
      createdAt: at(4500),
    },
  ]);
  // The ledger the pipeline would have written: one call done everywhere, one failed at stt.
  await db.insert(stageOutcome).values([
    ...STAGES.map((stage) => ({
      batchId,
      callId: okCallId,
      stage,
      outcome: 'done' as const,
      finishedAt: at(4000),
    })),
    ...(['distribute', 'lid'] as const).map((stage) => ({
      batchId,
      callId: failedCallId,
      stage,
      outcome: 'done' as const,
      finishedAt: at(1000),
    })),
    {
      batchId,
      callId: failedCallId,
      stage: 'stt' as const,
      outcome: 'failed' as const,
      reason: 'client_error: HTTP 400',
      finishedAt: at(2000),
    },
    ...(['llm1', 'llm2'] as const).map((stage) => ({
      batchId,
      callId: failedCallId,
      stage,
      outcome: 'skipped' as const,
      reason: 'stt failed',
      finishedAt: at(2000),
    })),
  ]);
  await db.insert(processingLogs).values({
    callId: String(failedCallId),
    audioName: names[1] ?? null,
    batchId: String(batchId),
    stageName: 'stt',
    status: 'failed',
    errorType: 'client_error',
    errorMessage: 'HTTP 400: bad audio',
    requestUrl: 'http://127.0.0.1:1/v1/audio/transcriptions',
    inputPayload: JSON.stringify({ file: names[1], model: 'whisper-1', response_format: 'verbose_json' }),
    attempts: 1,
  });
  return {
    batchId,
    okCallId,
    failedCallId,
    wavBytes: wav.byteLength,
    async cleanup() {
      const ids = [okCallId, failedCallId];
      await db.delete(auditAnswer).where(inArray(auditAnswer.callId, ids));
      await db.delete(analysis).where(inArray(analysis.callId, ids));
      await db.delete(transcript).where(inArray(transcript.callId, ids));
      await db.delete(lidResult).where(inArray(lidResult.callId, ids));
      await db.delete(fileDistribution).where(eq(fileDistribution.batchId, batchId));
      await db.delete(processingLogs).where(eq(processingLogs.batchId, String(batchId)));
      await db.delete(batchExecutionLog).where(eq(batchExecutionLog.batchId, batchId));
      await db.delete(stageOutcome).where(eq(stageOutcome.batchId, batchId));
      await db.delete(call).where(eq(call.batchId, batchId));
      await db.delete(batchStatus).where(eq(batchStatus.id, batchId));
    },
  };
}
