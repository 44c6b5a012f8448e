// Human review (issue 15 item 4): a reviewer overrides an answer with a reason; the call's score is recomputed
// with the questionnaire's own scoring (core/inference/questionnaire.ts, critical questions included).
//
// Where things are: `auditAnswer` (the seed's table) holds the EFFECTIVE answer and its score, and
// `call.auditScore` the effective score, so the seed's queries show what the QA team decided. The AI's own
// answer is kept in `answerReview.aiAnswer` (the current verdict per answer) and in every `answerOverride` row
// (the history: who, when, before, after, reason, the call's score before and after).
//
// A later reaudit: its llm2 writes new AI answers and then calls reconcileReviews in the same transaction. The
// override stays in force (the reviewer's answer is re-applied and the score recomputed); when the new AI answer
// differs from the AI answer the reviewer overrode (even when it now agrees with the reviewer), the answer is
// flagged "AI answer changed since review" (answerReview.aiChanged) until a reviewer confirms it (the override
// then stands against the new AI answer) or overrides it again (to the AI's answer, to drop the override).
//
// A reaudit may score the call with a newer questionnaire version, whose questions have new ids. A verdict is
// carried to the new version's question with the same code when its answer type is unchanged (the row moves to
// the new question id; the AI answer is compared as above). When the new version has no such question (gone, or
// its answer type changed), the verdict cannot apply: it stays, flagged "override not carried: question changed"
// (answerReview.notCarried) on the call and in GET /reviews/flagged, until a reviewer acknowledges it.
import { and, asc, desc, eq, inArray, isNotNull, or, sql } from 'drizzle-orm';
import { ANSWERS, type Question, scoreQuestionnaire } from '../core/inference/questionnaire.js';
import type { Db } from '../drizzle/client.js';
import {
  type AnswerOverrideRow,
  answerOverride,
  answerReview,
  auditAnswer,
  auditQuestion,
  call,
  callLock,
  callReview,
  type OverrideKind,
  reviewVerdict,
} from '../drizzle/schema/index.js';
import { Refusal } from './admission.js';

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type Reviewer = { keyName: string; role: string };

/** Longest reason kept (a reason is a sentence or two; the column is text). */
export const MAX_REASON = 2000;

type Scored = { auditScore: number; criticalFailure: boolean };

/**
 * Scores a call's effective answers with the questionnaire's rules (a critical question answered `no` sets the
 * score to 0) and writes the answers whose answer or score changed, the call's score and its critical failure.
 */
async function rescore(tx: Tx, callId: number, effective: ReadonlyMap<number, string>): Promise<Scored> {
  const rows = await tx
    .select({ answer: auditAnswer, question: auditQuestion })
    .from(auditAnswer)
    .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
    .where(eq(auditAnswer.callId, callId))
    .orderBy(asc(auditQuestion.position));
  const questions: Question[] = rows.map(({ question }) => ({ ...question }));
  const byCode = Object.fromEntries(
    rows.map(({ answer, question }) => [
      question.code,
      { answer: effective.get(answer.questionId) ?? answer.answer, evidence: answer.evidence },
    ]),
  );
  const scored = scoreQuestionnaire(questions, byCode);
  for (const [i, { answer }] of rows.entries()) {
    const next = scored.answers[i];
    if (!next) continue;
    if (next.answer !== answer.answer || next.score !== answer.score || next.maxScore !== answer.maxScore)
      await tx
        .update(auditAnswer)
        .set({ answer: next.answer, score: next.score, maxScore: next.maxScore })
        .where(eq(auditAnswer.id, answer.id));
  }
  await tx
    .update(call)
    .set({ auditScore: scored.callScore, criticalFailure: scored.criticalFailure })
    .where(eq(call.id, callId));
  return { auditScore: scored.callScore, criticalFailure: scored.criticalFailure };
}

/** The call locked for a review change, refused when it is erased or held by a running batch. */
async function lockForReview(tx: Tx, callId: number) {
  const [row] = await tx.select().from(call).where(eq(call.id, callId)).for('update');
  if (!row) throw new Refusal('not_found', `no call with id ${callId}`);
  if (row.status === 'Erased') throw new Refusal('conflict', `call ${callId} was erased: nothing to review`);
  const [held] = await tx.select().from(callLock).where(eq(callLock.callId, callId));
  if (held)
    throw new Refusal(
      'conflict',
      `call ${callId} is being processed by batch ${held.batchId}: review it when that batch has finished`,
    );
  return row;
}

/**
 * Keeps what the reviewer saw and decided at this action: every answer of the call as it now stands (the AI's
 * answer and the effective one), dated by the action. Agreement counts these rows (api/queries/review.ts).
 */
async function recordVerdicts(
  tx: Tx,
  row: { id: number; processId: number },
  kind: 'override' | 'confirm' | 'mark',
  who: Reviewer,
  at: Date,
) {
  const [answers, reviews] = await Promise.all([
    tx
      .select({ questionId: auditAnswer.questionId, answer: auditAnswer.answer, code: auditQuestion.code })
      .from(auditAnswer)
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .where(eq(auditAnswer.callId, row.id)),
    tx.select().from(answerReview).where(eq(answerReview.callId, row.id)),
  ]);
  const aiOf = new Map(
    reviews.map((r) => [r.questionId, r.aiChanged ? (r.newAiAnswer ?? r.aiAnswer) : r.aiAnswer]),
  );
  if (answers.length === 0) return;
  await tx.insert(reviewVerdict).values(
    answers.map((a) => ({
      callId: row.id,
      processId: row.processId,
      questionId: a.questionId,
      code: a.code,
      aiAnswer: aiOf.get(a.questionId) ?? a.answer,
      answer: a.answer,
      kind,
      keyName: who.keyName,
      at,
    })),
  );
}

async function markReviewedIn(tx: Tx, callId: number, who: Reviewer, at: Date) {
  await tx
    .insert(callReview)
    .values({ callId, reviewedBy: who.keyName, reviewedAt: at })
    .onDuplicateKeyUpdate({ set: { callId: sql`${callReview.callId}` } });
}

export type OverrideResult = { override: AnswerOverrideRow; score: number; critical_failure: boolean | null };

/**
 * Sets the effective answer of `questionId` on call `callId` to `answer`, for the reason given, and recomputes
 * the score. Refused with nothing changed: unknown call or question, an answer the question's type does not
 * take, an empty reason, an erased call, a call a batch is working on.
 */
export async function overrideAnswer(
  db: Db,
  input: { callId: number; questionId: number; answer: string; reason: string; by: Reviewer },
): Promise<OverrideResult> {
  const reason = input.reason.trim();
  if (!reason) throw new Refusal('validation_error', 'reason: say why the answer is overridden');
  if (reason.length > MAX_REASON)
    throw new Refusal('validation_error', `reason: at most ${MAX_REASON} characters`);
  return db.transaction(async (tx) => {
    const row = await lockForReview(tx, input.callId);
    const [current] = await tx
      .select({ answer: auditAnswer, question: auditQuestion })
      .from(auditAnswer)
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .where(and(eq(auditAnswer.callId, input.callId), eq(auditAnswer.questionId, input.questionId)));
    if (!current)
      throw new Refusal(
        'not_found',
        `call ${input.callId} has no answer to question ${input.questionId}: it was not scored with it`,
      );
    const allowed = ANSWERS[current.question.answerType];
    if (!allowed.includes(input.answer))
      throw new Refusal(
        'validation_error',
        `answer: "${input.answer.slice(0, 20)}" is not an answer to question ${current.question.code} (${current.question.answerType}): use ${allowed.join(', ')}`,
      );
    const [review] = await tx
      .select()
      .from(answerReview)
      .where(and(eq(answerReview.callId, input.callId), eq(answerReview.questionId, input.questionId)));
    // The AI answer this verdict is on: the new one when a reaudit changed it since the last review.
    const aiAnswer = review
      ? review.aiChanged
        ? (review.newAiAnswer ?? review.aiAnswer)
        : review.aiAnswer
      : current.answer.answer;
    const at = new Date();
    const scored = await rescore(tx, input.callId, new Map([[input.questionId, input.answer]]));
    if (input.answer === aiAnswer)
      // Back to the AI's answer: the override is dropped (the history keeps this action), so a later reaudit
      // takes its own AI answer instead of forcing this one back.
      await tx
        .delete(answerReview)
        .where(and(eq(answerReview.callId, input.callId), eq(answerReview.questionId, input.questionId)));
    else
      await tx
        .insert(answerReview)
        .values({ callId: input.callId, questionId: input.questionId, answer: input.answer, aiAnswer })
        .onDuplicateKeyUpdate({
          set: {
            answer: input.answer,
            aiAnswer,
            aiChanged: false,
            newAiAnswer: null,
            aiChangedBatchId: null,
            aiChangedAt: null,
            notCarried: null,
          },
        });
    await markReviewedIn(tx, input.callId, input.by, at);
    await recordVerdicts(tx, row, 'override', input.by, at);
    const values = {
      callId: input.callId,
      questionId: input.questionId,
      kind: 'override' as OverrideKind,
      aiAnswer,
      answerBefore: current.answer.answer,
      answerAfter: input.answer,
      scoreBefore: row.auditScore,
      scoreAfter: scored.auditScore,
      reason,
      keyName: input.by.keyName,
      role: input.by.role,
      at,
    };
    const [inserted] = await tx.insert(answerOverride).values(values).$returningId();
    return {
      override: { id: inserted?.id ?? 0, ...values },
      score: scored.auditScore,
      critical_failure: scored.criticalFailure,
    };
  });
}

/**
 * Confirms an answer flagged "AI answer changed since review": the reviewer's answer stands against the new AI
 * answer, the flag clears, and the confirmation is kept in the history. On a verdict flagged "override not
 * carried" it acknowledges it: the verdict (which no answer of the call can take) goes, the history keeps the
 * acknowledgement. Refused when the answer is not flagged.
 */
export async function confirmAnswer(
  db: Db,
  input: { callId: number; questionId: number; reason?: string; by: Reviewer },
): Promise<AnswerOverrideRow> {
  const reason = (input.reason ?? '').trim() || 'the override stands against the new AI answer';
  if (reason.length > MAX_REASON)
    throw new Refusal('validation_error', `reason: at most ${MAX_REASON} characters`);
  return db.transaction(async (tx) => {
    const row = await lockForReview(tx, input.callId);
    const [review] = await tx
      .select()
      .from(answerReview)
      .where(and(eq(answerReview.callId, input.callId), eq(answerReview.questionId, input.questionId)))
      .for('update');
    if (!review?.aiChanged && !review?.notCarried)
      throw new Refusal(
        'conflict',
        `question ${input.questionId} of call ${input.callId} is not flagged "AI answer changed since review": nothing to confirm`,
      );
    const aiAnswer = review.aiChanged ? (review.newAiAnswer ?? review.aiAnswer) : review.aiAnswer;
    const at = new Date();
    const where = and(eq(answerReview.callId, input.callId), eq(answerReview.questionId, input.questionId));
    if (review.notCarried) await tx.delete(answerReview).where(where);
    else
      await tx
        .update(answerReview)
        .set({ aiAnswer, aiChanged: false, newAiAnswer: null, aiChangedBatchId: null, aiChangedAt: null })
        .where(where);
    const values = {
      callId: input.callId,
      questionId: input.questionId,
      kind: 'confirm' as OverrideKind,
      aiAnswer,
      answerBefore: review.answer,
      answerAfter: review.answer,
      scoreBefore: row.auditScore,
      scoreAfter: row.auditScore,
      reason: review.notCarried
        ? `${review.notCarried}; acknowledged: ${reason}`.slice(0, MAX_REASON)
        : reason,
      keyName: input.by.keyName,
      role: input.by.role,
      at,
    };
    await recordVerdicts(tx, row, 'confirm', input.by, at);
    const [inserted] = await tx.insert(answerOverride).values(values).$returningId();
    return { id: inserted?.id ?? 0, ...values };
  });
}

/** Marks a call reviewed without changing an answer (the reviewer agrees with the answers they did not override). */
export async function markReviewed(
  db: Db,
  callId: number,
  by: Reviewer,
): Promise<{ reviewed_at: Date; reviewed_by: string }> {
  return db.transaction(async (tx) => {
    const row = await lockForReview(tx, callId);
    if (row.auditScore === null)
      throw new Refusal('conflict', `call ${callId} has no answers yet: there is nothing to review`);
    const at = new Date();
    await markReviewedIn(tx, callId, by, at);
    await recordVerdicts(tx, row, 'mark', by, at);
    const [mark] = await tx.select().from(callReview).where(eq(callReview.callId, callId));
    return { reviewed_at: mark?.reviewedAt ?? new Date(), reviewed_by: mark?.reviewedBy ?? by.keyName };
  });
}

/**
 * Where each verdict whose question the new answers do not include goes: the new questionnaire version's
 * question of the same code and answer type (its id), or why it cannot be carried.
 */
async function carryTargets(
  tx: Tx,
  missing: readonly number[],
  answered: readonly number[],
  reviewed: ReadonlySet<number>,
): Promise<Map<number, number | string>> {
  const out = new Map<number, number | string>();
  if (missing.length === 0) return out;
  const cols = { id: auditQuestion.id, code: auditQuestion.code, answerType: auditQuestion.answerType };
  const [before, now] = await Promise.all([
    tx
      .select(cols)
      .from(auditQuestion)
      .where(inArray(auditQuestion.id, [...missing])),
    answered.length
      ? tx
          .select(cols)
          .from(auditQuestion)
          .where(inArray(auditQuestion.id, [...answered]))
      : Promise.resolve([]),
  ]);
  const oldOf = new Map(before.map((q) => [q.id, q]));
  const newOf = new Map(now.map((q) => [q.code, q]));
  for (const id of missing) {
    const old = oldOf.get(id);
    const next = old ? newOf.get(old.code) : undefined;
    out.set(
      id,
      !old
        ? `override not carried: question changed (question ${id} no longer exists)`
        : !next
          ? `override not carried: question changed (the questionnaire version the call was scored with has no question ${old.code})`
          : next.answerType !== old.answerType
            ? `override not carried: question changed (${old.code} is now ${next.answerType}, was ${old.answerType})`
            : reviewed.has(next.id)
              ? `override not carried: question ${old.code} has a verdict of its own in the new version`
              : next.id,
    );
  }
  return out;
}

/**
 * After llm2 wrote a call's new AI answers (in its transaction): the reviewers' overrides are re-applied (carried
 * by question code to a new questionnaire version's question, or flagged "override not carried"), an answer
 * whose AI answer changed since its review is flagged, and the score is recomputed. Returns the call's effective
 * score, or null when no override applies (llm2's own score stands).
 */
export async function reconcileReviews(
  tx: Tx,
  input: { callId: number; batchId: number; answers: readonly { questionId: number; answer: string }[] },
): Promise<Scored | null> {
  const reviews = await tx.select().from(answerReview).where(eq(answerReview.callId, input.callId));
  if (reviews.length === 0) return null;
  const aiOf = new Map(input.answers.map((a) => [a.questionId, a.answer]));
  const effective = new Map<number, string>();
  const at = new Date();
  const targets = await carryTargets(
    tx,
    reviews.filter((r) => !aiOf.has(r.questionId)).map((r) => r.questionId),
    [...aiOf.keys()],
    new Set(reviews.map((r) => r.questionId)),
  );
  for (const r of reviews) {
    const target = targets.get(r.questionId);
    const keyOf = (questionId: number) =>
      and(eq(answerReview.callId, r.callId), eq(answerReview.questionId, questionId));
    if (typeof target === 'string') {
      // The verdict cannot apply to any answer of this version: kept and flagged, never dropped silently.
      if (r.notCarried !== target)
        await tx
          .update(answerReview)
          .set({ notCarried: target, aiChangedBatchId: input.batchId, aiChangedAt: at })
          .where(keyOf(r.questionId));
      continue;
    }
    const questionId = target ?? r.questionId;
    if (target !== undefined || r.notCarried)
      // Carried to the new version's question of the same code and answer type.
      await tx
        .update(answerReview)
        .set({ questionId, notCarried: null, aiChangedBatchId: null, aiChangedAt: null })
        .where(keyOf(r.questionId));
    const ai = aiOf.get(questionId) ?? r.aiAnswer;
    effective.set(questionId, r.answer);
    const changed = ai !== r.aiAnswer;
    if (changed || r.aiChanged)
      await tx
        .update(answerReview)
        .set(
          changed
            ? { aiChanged: true, newAiAnswer: ai, aiChangedBatchId: input.batchId, aiChangedAt: at }
            : { aiChanged: false, newAiAnswer: null, aiChangedBatchId: null, aiChangedAt: null },
        )
        .where(keyOf(questionId));
  }
  if (effective.size === 0) return null;
  return rescore(tx, input.callId, effective);
}

export type ReviewState = {
  reviewed: { reviewed_at: string; reviewed_by: string } | null;
  ai_changed: number;
  not_carried: number;
  answers: {
    question_id: number;
    answer: string;
    ai_answer: string;
    ai_changed: boolean;
    new_ai_answer: string | null;
    ai_changed_batch_id: number | null;
    not_carried: string | null;
  }[];
  history: {
    id: number;
    question_id: number;
    kind: OverrideKind;
    ai_answer: string;
    before: string;
    after: string;
    score_before: number | null;
    score_after: number | null;
    reason: string;
    by: string;
    role: string;
    at: string;
  }[];
};

/** A call's review: whether it was reviewed, its overridden answers (with flags), and every action, newest first. */
export async function reviewOf(db: Db, callId: number): Promise<ReviewState> {
  const [[mark], reviews, history] = await Promise.all([
    db.select().from(callReview).where(eq(callReview.callId, callId)),
    db
      .select()
      .from(answerReview)
      .where(eq(answerReview.callId, callId))
      .orderBy(asc(answerReview.questionId)),
    db
      .select()
      .from(answerOverride)
      .where(eq(answerOverride.callId, callId))
      .orderBy(desc(answerOverride.id)),
  ]);
  return {
    reviewed: mark ? { reviewed_at: mark.reviewedAt.toISOString(), reviewed_by: mark.reviewedBy } : null,
    ai_changed: reviews.filter((r) => r.aiChanged).length,
    not_carried: reviews.filter((r) => r.notCarried).length,
    answers: reviews.map((r) => ({
      question_id: r.questionId,
      answer: r.answer,
      ai_answer: r.aiAnswer,
      ai_changed: r.aiChanged,
      new_ai_answer: r.newAiAnswer,
      ai_changed_batch_id: r.aiChangedBatchId,
      not_carried: r.notCarried,
    })),
    history: history.map((h) => ({
      id: h.id,
      question_id: h.questionId,
      kind: h.kind,
      ai_answer: h.aiAnswer,
      before: h.answerBefore,
      after: h.answerAfter,
      score_before: h.scoreBefore,
      score_after: h.scoreAfter,
      reason: h.reason,
      by: h.keyName,
      role: h.role,
      at: h.at.toISOString(),
    })),
  };
}

/**
 * Calls with at least one answer flagged "AI answer changed since review" or "override not carried", most
 * recently flagged first.
 */
export async function flaggedCalls(db: Db, opts: { processId?: number; limit: number }) {
  const rows = await db
    .select({
      callId: answerReview.callId,
      flagged: sql<number>`COUNT(*)`.mapWith(Number),
      notCarried: sql<number>`SUM(CASE WHEN ${answerReview.notCarried} IS NULL THEN 0 ELSE 1 END)`.mapWith(
        Number,
      ),
      since: sql<Date>`MAX(${answerReview.aiChangedAt})`,
      processId: call.processId,
      batchId: call.batchId,
      audioName: call.audioName,
      auditScore: call.auditScore,
    })
    .from(answerReview)
    .innerJoin(call, eq(call.id, answerReview.callId))
    .where(
      and(
        or(eq(answerReview.aiChanged, true), isNotNull(answerReview.notCarried)),
        opts.processId === undefined ? undefined : eq(call.processId, opts.processId),
      ),
    )
    .groupBy(answerReview.callId, call.processId, call.batchId, call.audioName, call.auditScore)
    .orderBy(desc(sql`MAX(${answerReview.aiChangedAt})`))
    .limit(opts.limit);
  return rows.map((r) => ({
    call_id: r.callId,
    batch_id: r.batchId,
    process_id: r.processId,
    audio_name: r.audioName,
    score: r.auditScore,
    flagged_answers: r.flagged,
    not_carried: r.notCarried,
    flagged_at: r.since ? new Date(r.since).toISOString() : null,
  }));
}

/** Ids of calls in `ids` that have an answer flagged "AI answer changed since review" or "override not carried". */
export async function flaggedAmong(db: Db, ids: readonly number[]): Promise<Set<number>> {
  if (ids.length === 0) return new Set();
  const rows = await db
    .selectDistinct({ callId: answerReview.callId })
    .from(answerReview)
    .where(
      and(
        or(eq(answerReview.aiChanged, true), isNotNull(answerReview.notCarried)),
        inArray(answerReview.callId, [...ids]),
      ),
    );
  return new Set(rows.map((r) => r.callId));
}
