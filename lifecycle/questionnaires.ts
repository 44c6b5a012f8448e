// A process's questionnaire and its versions: which one is current (what llm2 scores with), the checks a new
// version must pass, and publishing one. A published version is never changed: a new version has new question
// rows, so past answers keep pointing at the questions (and the text) they were given for.
import { and, asc, desc, eq } from 'drizzle-orm';
import { ANSWERS, canAnswerNo, type Question } from '../core/inference/questionnaire.js';
import type { Db } from '../drizzle/client.js';
import {
  type AnswerType,
  type AuditQuestion,
  auditQuestion,
  process,
  type QuestionnaireVersion,
  questionnaireVersion,
} from '../drizzle/schema/index.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

export const MAX_QUESTIONS = 100;
export const MAX_CODE = 64;
export const MAX_TEXT = 2000;
/** Codes are keys of the JSON the LLM answers with and of reports: lower-case identifiers. */
export const CODE_PATTERN = /^[a-z][a-z0-9_]*$/;

/** One question of a version as a client sends it (the API's body, already shaped by its schema). */
export type QuestionInput = {
  code: string;
  text: string;
  answer_type: AnswerType;
  weight: number;
  guidance?: string | null;
  critical?: boolean;
  /** The answers the question takes: optional, and when given it must be the answer type's. */
  options?: string[];
};
export type VersionInput = { note?: string | null; questions: QuestionInput[] };

/** A version refused: `detail` names the question (position and code) and the field. */
export class QuestionnaireInvalid extends Error {
  override name = 'QuestionnaireInvalid';
  constructor(readonly detail: string) {
    super(detail);
  }
}

const sameSet = (a: readonly string[], b: readonly string[]) =>
  a.length === b.length && new Set(a).size === a.length && a.every((x) => b.includes(x));

/**
 * The checks a version must pass, beyond its JSON shape: at least one question, codes unique, weights positive
 * finite numbers, options the answer type's, critical only on a type that can be answered `no`.
 */
export function checkVersion(input: VersionInput): void {
  const { questions } = input;
  if (questions.length === 0)
    throw new QuestionnaireInvalid('questions: a questionnaire needs at least one question');
  if (questions.length > MAX_QUESTIONS)
    throw new QuestionnaireInvalid(`questions: at most ${MAX_QUESTIONS} questions (got ${questions.length})`);
  const seen = new Map<string, number>();
  for (const [i, q] of questions.entries()) {
    const name = `questions[${i}] ("${q.code.slice(0, MAX_CODE)}")`;
    if (!CODE_PATTERN.test(q.code) || q.code.length > MAX_CODE)
      throw new QuestionnaireInvalid(
        `questions[${i}].code: ${JSON.stringify(q.code.slice(0, MAX_CODE))} is not a code: lower-case letters, digits and _, starting with a letter, at most ${MAX_CODE} characters`,
      );
    const first = seen.get(q.code);
    if (first !== undefined)
      throw new QuestionnaireInvalid(
        `${name}.code: "${q.code}" is already the code of questions[${first}]; codes must be unique`,
      );
    seen.set(q.code, i);
    if (!q.text.trim()) throw new QuestionnaireInvalid(`${name}.text: the question text is empty`);
    if (q.text.length > MAX_TEXT)
      throw new QuestionnaireInvalid(`${name}.text: at most ${MAX_TEXT} characters (got ${q.text.length})`);
    if (!Number.isFinite(q.weight) || q.weight <= 0)
      throw new QuestionnaireInvalid(`${name}.weight: must be a positive number (got ${q.weight})`);
    const answers = ANSWERS[q.answer_type];
    if (q.options !== undefined && !sameSet(q.options, answers))
      throw new QuestionnaireInvalid(
        `${name}.options: a ${q.answer_type} question takes exactly ${answers.join(', ')} (got ${JSON.stringify(q.options).slice(0, 200)})`,
      );
    if (q.critical && !canAnswerNo(q.answer_type))
      throw new QuestionnaireInvalid(
        `${name}.critical: only a question that can be answered "no" can be critical, and a ${q.answer_type} question takes ${answers.join(', ')}`,
      );
  }
}

export type VersionWithQuestions = { version: QuestionnaireVersion; questions: AuditQuestion[] };

async function questionsOf(db: Db | Tx, versionId: number): Promise<AuditQuestion[]> {
  return db
    .select()
    .from(auditQuestion)
    .where(eq(auditQuestion.versionId, versionId))
    .orderBy(asc(auditQuestion.position));
}

/** The process's current (highest) version with its questions, or null when it has no questionnaire. */
export async function currentQuestionnaire(
  db: Db | Tx,
  processId: number,
): Promise<VersionWithQuestions | null> {
  const [version] = await db
    .select()
    .from(questionnaireVersion)
    .where(eq(questionnaireVersion.processId, processId))
    .orderBy(desc(questionnaireVersion.version))
    .limit(1);
  if (!version) return null;
  return { version, questions: await questionsOf(db, version.id) };
}

/** One version of a process's questionnaire, or null. */
export async function questionnaireAt(
  db: Db,
  processId: number,
  version: number,
): Promise<VersionWithQuestions | null> {
  const [row] = await db
    .select()
    .from(questionnaireVersion)
    .where(and(eq(questionnaireVersion.processId, processId), eq(questionnaireVersion.version, version)));
  if (!row) return null;
  return { version: row, questions: await questionsOf(db, row.id) };
}

/** Questions as the scorer takes them. */
export const scoringQuestions = (questions: readonly AuditQuestion[]): Question[] =>
  questions.map((q) => ({
    id: q.id,
    code: q.code,
    text: q.text,
    answerType: q.answerType,
    weight: q.weight,
    guidance: q.guidance,
    critical: q.critical,
  }));

/** Why a publish was refused for its target (the API turns it into a 404). */
export class NoSuchProcess extends Error {
  override name = 'NoSuchProcess';
}

/**
 * Publishes the next version of a process's questionnaire (version 1 for a process without one) after
 * checkVersion; it is current from its commit on. The process row is locked, so two publishes at once get
 * consecutive numbers. Nothing is written when a check fails.
 */
export async function publishVersion(
  db: Db,
  processId: number,
  input: VersionInput,
  publishedBy: string | null,
): Promise<VersionWithQuestions> {
  checkVersion(input);
  return db.transaction(async (tx) => {
    const [proc] = await tx
      .select({ id: process.id })
      .from(process)
      .where(eq(process.id, processId))
      .for('update');
    if (!proc) throw new NoSuchProcess(`no process with id ${processId}`);
    const [last] = await tx
      .select({ version: questionnaireVersion.version })
      .from(questionnaireVersion)
      .where(eq(questionnaireVersion.processId, processId))
      .orderBy(desc(questionnaireVersion.version))
      .limit(1);
    const number = (last?.version ?? 0) + 1;
    const [created] = await tx.insert(questionnaireVersion).values({
      processId,
      version: number,
      publishedAt: new Date(),
      publishedBy,
      note: input.note?.trim() ? input.note.trim() : null,
    });
    const versionId = created.insertId;
    await tx.insert(auditQuestion).values(
      input.questions.map((q, i) => ({
        processId,
        versionId,
        position: i + 1,
        code: q.code,
        text: q.text.trim(),
        answerType: q.answer_type,
        weight: q.weight,
        guidance: q.guidance?.trim() ? q.guidance.trim() : null,
        critical: q.critical ?? false,
      })),
    );
    const [version] = await tx
      .select()
      .from(questionnaireVersion)
      .where(eq(questionnaireVersion.id, versionId));
    if (!version) throw new Error(`questionnaire version ${versionId} vanished in its own transaction`);
    return { version, questions: await questionsOf(tx, versionId) };
  });
}
