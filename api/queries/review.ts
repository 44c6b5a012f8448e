// Agreement (issue 15 item 5): how often reviewers overturned the AI, per question, per process and per week.
//
// What counts: a reviewed call is one a reviewer has looked at (callReview: an override marks it, so does
// POST /calls/{id}/review); every answer of a reviewed call is a reviewed answer; an overturned answer is one
// whose effective answer (the reviewer's) differs from the AI's answer the reviewer decided on (an override back
// to the AI's answer is agreement). rate = overturned / reviewed. Erased calls are out (their answers are gone).
// A question is counted by its process and code, so its versions (questionnaire versions) add up. A week is
// the week (Monday, UTC) of the call's first review; from/to filter on that time too.
import { and, asc, eq, gte, lte, ne, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import {
  answerReview,
  auditAnswer,
  auditQuestion,
  call,
  callReview,
  process,
} from '../../drizzle/schema/index.js';

export type AgreementFilter = { processId?: number; from?: Date; to?: Date };

export type AgreementRow = { reviewed: number; overturned: number; rate: number | null };
export type Agreement = {
  process_id: number | null;
  from: string | null;
  to: string | null;
  totals: AgreementRow & { reviewed_calls: number };
  processes: (AgreementRow & { process_id: number; name: string | null; reviewed_calls: number })[];
  questions: (AgreementRow & { process_id: number; code: string; question: string })[];
  weeks: (AgreementRow & { week: string; process_id: number })[];
};

const rate = (overturned: number, reviewed: number) =>
  reviewed === 0 ? null : Math.round((10000 * overturned) / reviewed) / 10000;

export async function agreement(db: Db, filter: AgreementFilter): Promise<Agreement> {
  const where: SQL[] = [ne(call.status, 'Erased')];
  if (filter.processId !== undefined) where.push(eq(call.processId, filter.processId));
  if (filter.from) where.push(gte(callReview.reviewedAt, filter.from));
  if (filter.to) where.push(lte(callReview.reviewedAt, filter.to));
  const overturned =
    sql<number>`SUM(CASE WHEN ${answerReview.answer} IS NOT NULL AND ${answerReview.answer} <> ${answerReview.aiAnswer} THEN 1 ELSE 0 END)`.mapWith(
      Number,
    );
  const reviewed = sql<number>`COUNT(*)`.mapWith(Number);
  const calls = sql<number>`COUNT(DISTINCT ${call.id})`.mapWith(Number);
  const base = () =>
    db
      .select({
        processId: call.processId,
        reviewed,
        overturned,
        calls,
      })
      .from(callReview)
      .innerJoin(call, eq(call.id, callReview.callId))
      .innerJoin(auditAnswer, eq(auditAnswer.callId, call.id))
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .leftJoin(
        answerReview,
        and(eq(answerReview.callId, auditAnswer.callId), eq(answerReview.questionId, auditAnswer.questionId)),
      )
      .where(and(...where));

  const week = sql<string>`DATE_FORMAT(DATE_SUB(DATE(${callReview.reviewedAt}), INTERVAL WEEKDAY(${callReview.reviewedAt}) DAY), '%Y-%m-%d')`;
  const [byProcess, byQuestion, byWeek, names] = await Promise.all([
    base().groupBy(call.processId).orderBy(asc(call.processId)),
    db
      .select({
        processId: call.processId,
        code: auditQuestion.code,
        question: sql<string>`MAX(${auditQuestion.text})`,
        position: sql<number>`MIN(${auditQuestion.position})`.mapWith(Number),
        reviewed,
        overturned,
      })
      .from(callReview)
      .innerJoin(call, eq(call.id, callReview.callId))
      .innerJoin(auditAnswer, eq(auditAnswer.callId, call.id))
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .leftJoin(
        answerReview,
        and(eq(answerReview.callId, auditAnswer.callId), eq(answerReview.questionId, auditAnswer.questionId)),
      )
      .where(and(...where))
      .groupBy(call.processId, auditQuestion.code)
      .orderBy(asc(call.processId), sql`MIN(${auditQuestion.position})`),
    db
      .select({ week, processId: call.processId, reviewed, overturned })
      .from(callReview)
      .innerJoin(call, eq(call.id, callReview.callId))
      .innerJoin(auditAnswer, eq(auditAnswer.callId, call.id))
      .leftJoin(
        answerReview,
        and(eq(answerReview.callId, auditAnswer.callId), eq(answerReview.questionId, auditAnswer.questionId)),
      )
      .where(and(...where))
      .groupBy(week, call.processId)
      .orderBy(asc(week), asc(call.processId)),
    db.select({ id: process.id, name: process.name }).from(process),
  ]);
  const nameOf = new Map(names.map((p) => [p.id, p.name]));
  const sum = (rows: { reviewed: number; overturned: number }[], k: 'reviewed' | 'overturned') =>
    rows.reduce((n, r) => n + r[k], 0);
  const totalReviewed = sum(byProcess, 'reviewed');
  const totalOverturned = sum(byProcess, 'overturned');
  return {
    process_id: filter.processId ?? null,
    from: filter.from?.toISOString() ?? null,
    to: filter.to?.toISOString() ?? null,
    totals: {
      reviewed_calls: byProcess.reduce((n, r) => n + r.calls, 0),
      reviewed: totalReviewed,
      overturned: totalOverturned,
      rate: rate(totalOverturned, totalReviewed),
    },
    processes: byProcess.map((r) => ({
      process_id: r.processId,
      name: nameOf.get(r.processId) ?? null,
      reviewed_calls: r.calls,
      reviewed: r.reviewed,
      overturned: r.overturned,
      rate: rate(r.overturned, r.reviewed),
    })),
    questions: byQuestion.map((r) => ({
      process_id: r.processId,
      code: r.code,
      question: r.question,
      reviewed: r.reviewed,
      overturned: r.overturned,
      rate: rate(r.overturned, r.reviewed),
    })),
    weeks: byWeek.map((r) => ({
      week: String(r.week),
      process_id: r.processId,
      reviewed: r.reviewed,
      overturned: r.overturned,
      rate: rate(r.overturned, r.reviewed),
    })),
  };
}
