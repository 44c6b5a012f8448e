// Reads behind the questionnaire endpoints: a version with its questions, and a process's list of versions.
import { asc, count, eq, sql } from 'drizzle-orm';
import { ANSWERS } from '../../core/inference/questionnaire.js';
import type { Db } from '../../drizzle/client.js';
import { auditQuestion, process, questionnaireVersion } from '../../drizzle/schema/index.js';
import type { VersionWithQuestions } from '../../lifecycle/questionnaires.js';
import { ApiError } from '../errors.js';

/** A version as the API shows it. */
export function versionView({ version: v, questions }: VersionWithQuestions) {
  return {
    process_id: v.processId,
    version: v.version,
    version_id: v.id,
    published_at: v.publishedAt.toISOString(),
    published_by: v.publishedBy,
    note: v.note,
    questions: questions.map((q) => ({
      id: q.id,
      position: q.position,
      code: q.code,
      text: q.text,
      answer_type: q.answerType,
      options: [...ANSWERS[q.answerType]],
      weight: q.weight,
      guidance: q.guidance,
      critical: Boolean(q.critical),
    })),
  };
}
export type VersionView = ReturnType<typeof versionView>;

/** The process, or a 404. */
export async function findProcess(db: Db, id: number) {
  const [row] = await db
    .select({ id: process.id, name: process.name })
    .from(process)
    .where(eq(process.id, id));
  if (!row) throw new ApiError('not_found', `no process with id ${id}`);
  return row;
}

/** Every version of a process's questionnaire, newest first, with its question counts. */
export async function listVersions(db: Db, processId: number) {
  const rows = await db
    .select({
      version: questionnaireVersion.version,
      version_id: questionnaireVersion.id,
      published_at: questionnaireVersion.publishedAt,
      published_by: questionnaireVersion.publishedBy,
      note: questionnaireVersion.note,
      question_count: count(auditQuestion.id),
      critical_count: sql<number>`coalesce(sum(${auditQuestion.critical}), 0)`,
    })
    .from(questionnaireVersion)
    .leftJoin(auditQuestion, eq(auditQuestion.versionId, questionnaireVersion.id))
    .where(eq(questionnaireVersion.processId, processId))
    .groupBy(
      questionnaireVersion.id,
      questionnaireVersion.version,
      questionnaireVersion.publishedAt,
      questionnaireVersion.publishedBy,
      questionnaireVersion.note,
    )
    .orderBy(asc(questionnaireVersion.version));
  const current = rows.at(-1)?.version ?? null;
  return rows.reverse().map((r) => ({
    ...r,
    published_at: r.published_at.toISOString(),
    question_count: Number(r.question_count),
    critical_count: Number(r.critical_count),
    current: r.version === current,
  }));
}
