// Reads behind the call endpoints: one call with every stage result, and its row for the audio.
import { asc, eq } from 'drizzle-orm';
import { criticalFailures } from '../../core/inference/questionnaire.js';
import type { Db } from '../../drizzle/client.js';
import {
  analysis,
  auditAnswer,
  auditQuestion,
  batchStatus,
  type CallRow,
  call,
  lidResult,
  process,
  questionnaireVersion,
  transcript,
} from '../../drizzle/schema/index.js';
import { ApiError } from '../errors.js';
import type { CallDetail } from '../schemas.js';
import type { TemporalLinks } from '../temporalLinks.js';
import { callSummary } from './batches.js';

export async function findCall(db: Db, id: number): Promise<CallRow> {
  const [row] = await db.select().from(call).where(eq(call.id, id));
  if (!row) throw new ApiError('not_found', `no call with id ${id}`);
  return row;
}

/** Everything cofi knows about a call; a stage that has not run (or was reset by a reaudit) is null. */
export async function callDetail(
  db: Db,
  row: CallRow,
  audioUrl: string,
  temporal: TemporalLinks,
): Promise<CallDetail> {
  const id = row.id;
  const [[batch], [proc], [lid], [text], [facts], answers, [scoredWith]] = await Promise.all([
    db
      .select({ id: batchStatus.id, taskId: batchStatus.taskId, kind: batchStatus.kind })
      .from(batchStatus)
      .where(eq(batchStatus.id, row.batchId)),
    db.select({ id: process.id, name: process.name }).from(process).where(eq(process.id, row.processId)),
    db.select().from(lidResult).where(eq(lidResult.callId, id)),
    db.select().from(transcript).where(eq(transcript.callId, id)),
    db.select().from(analysis).where(eq(analysis.callId, id)),
    db
      .select({ answer: auditAnswer, question: auditQuestion })
      .from(auditAnswer)
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .where(eq(auditAnswer.callId, id))
      .orderBy(asc(auditQuestion.position)),
    row.questionnaireVersionId === null
      ? []
      : db
          .select({ version: questionnaireVersion.version, version_id: questionnaireVersion.id })
          .from(questionnaireVersion)
          .where(eq(questionnaireVersion.id, row.questionnaireVersionId)),
  ]);
  return {
    call: {
      ...callSummary(row, facts?.category ?? null, facts?.subCategory ?? null),
      process_id: row.processId,
      category_mapping_id: row.categoryMappingId,
      audio_format: row.audioFormat,
      audio_bytes: row.audioBytes,
      created_at: row.createdAt.toISOString(),
    },
    batch: batch ? { batch_id: batch.id, task_id: batch.taskId, kind: batch.kind } : null,
    process: proc ?? null,
    lid: lid
      ? {
          lang: lid.lang,
          confidence: lid.confidence,
          detected_raw: lid.detectedRaw,
          supported: lid.supported,
          source: lid.source,
          speech: lid.speech,
          gpu_node: lid.gpuNode,
        }
      : null,
    transcript: text
      ? {
          lang: text.lang,
          text: text.text,
          duration: text.duration,
          model: text.model,
          gpu_node: text.gpuNode,
          segments: text.segments ?? [],
          redaction: {
            redacted_at: text.redactedAt?.toISOString() ?? null,
            entities: (text.redactedEntities ?? []).map((e) => ({
              type: e.type,
              placeholder: e.placeholder,
              start: e.time?.start ?? null,
              end: e.time?.end ?? null,
              parts: e.parts.map((p) => ({ segment: p.segment, start: p.start, end: p.end })),
            })),
            original_kept: text.originalText !== null,
          },
        }
      : null,
    analysis: facts
      ? {
          summary: facts.summary,
          category: facts.category,
          sub_category: facts.subCategory,
          sentiment: facts.sentiment,
          key_facts: facts.keyFacts ?? null,
          model: facts.model,
        }
      : null,
    answers: answers.map(({ answer: a, question: q }) => ({
      question_id: q.id,
      position: q.position,
      code: q.code,
      question: q.text,
      answer_type: q.answerType,
      weight: q.weight,
      answer: a.answer,
      evidence: a.evidence,
      score: a.score,
      max_score: a.maxScore,
      model: a.model,
      critical: q.critical,
    })),
    score: row.auditScore,
    // The version of the score shown: none while a reaudit re-runs llm2 (it clears the score first).
    questionnaire: row.auditScore === null ? null : (scoredWith ?? null),
    critical_failures: criticalFailures(
      answers.map(({ answer: a, question: q }) => ({ code: q.code, answer: a.answer, critical: q.critical })),
    ),
    // Retention removed the recording (GET /calls/{id}/audio answers 410): nothing to play.
    audio_url: row.recordingExpiredAt ? null : audioUrl,
    temporal_url: temporal.call(id),
  };
}
