// LLM stages: analysis (llm1) and the audit questionnaire (llm2), on the call's LLM endpoint queue.
import { ApplicationFailure } from '@temporalio/common';
import { asc, eq, inArray } from 'drizzle-orm';
import { stageFailure } from '../core/errors.js';
import { findLlm } from '../core/fleet.js';
import { createNodeSlots } from '../core/nodeSlots.js';
import { analysis, auditAnswer, category, transcript } from '../drizzle/schema/index.js';
import { reconcileReviews } from '../lifecycle/overrides.js';
import { currentQuestionnaire, scoringQuestions } from '../lifecycle/questionnaires.js';
import { finishWithoutSpeech, loadCall, markStageDone, skipIfDone } from './calls.js';
import type { ActivityDeps } from './deps.js';
import { slotted } from './heartbeat.js';
import type { StageInput } from './types.js';

export function createLlmActivities({ db, config, inference }: ActivityDeps) {
  const endpointOf = (id: string) => {
    const endpoint = findLlm(config.fleet, id);
    if (!endpoint)
      throw stageFailure('missing_data', `LLM endpoint "${id}" is not in the fleet configuration`);
    return endpoint;
  };
  // The endpoint's worker holds more of its tasks than it has slots (tasksInHand): requests wait here.
  const onEndpoint = slotted(createNodeSlots());
  const transcriptOf = async (callId: number) => {
    const [row] = await db.select().from(transcript).where(eq(transcript.callId, callId));
    if (!row) throw stageFailure('missing_data', `call ${callId} has no transcript (run stt first)`);
    // The LLMs only ever read redacted text: a transcript redaction has not been through is refused.
    if (row.redactedAt === null)
      throw ApplicationFailure.create({
        type: 'not_redacted',
        nonRetryable: true,
        message: `call ${callId}'s transcript has not been through redaction (run redact first): it is not sent to an LLM`,
      });
    return row;
  };

  return {
    /** Idempotent: one `analysis` row per call (unique callId), replaced on a retry. */
    async runLlm1({ batchId, callId, route, last }: StageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'llm1', last)) return;
      const row = await loadCall(db, callId);
      if (await finishWithoutSpeech(db, row, { batchId, callId, stage: 'llm1', last, startedAt })) return;
      const endpoint = endpointOf(route.llmEndpoint);
      const text = await transcriptOf(callId);
      const tree = await db
        .select()
        .from(category)
        .where(eq(category.categoryMappingId, row.categoryMappingId ?? 1))
        .orderBy(asc(category.id));
      const codeOf = new Map(tree.map((c) => [c.id, c.code]));
      const result = await onEndpoint(endpoint, (signal) =>
        inference.analyseCall({
          endpoint,
          transcript: { text: text.text, segments: text.segments, lang: text.lang },
          categories: tree.map((c) => ({
            code: c.code,
            name: c.name,
            parent: c.parentId === null ? null : (codeOf.get(c.parentId) ?? null),
          })),
          timeoutMs: config.LLM_TIMEOUT_MS,
          signal,
        }),
      );
      const values = {
        callId,
        summary: result.summary,
        category: result.category,
        subCategory: result.subCategory,
        sentiment: result.sentiment,
        keyFacts: result.keyFacts,
        model: result.model,
        promptVersion: result.promptVersion,
      };
      await db.transaction(async (tx) => {
        await tx.insert(analysis).values(values).onDuplicateKeyUpdate({ set: values });
        await markStageDone(tx, { batchId, callId, stage: 'llm1', last, startedAt });
      });
    },

    /**
     * Idempotent: answers are keyed by (call, question) and upserted; answers to questions not in the process's
     * current questionnaire version are removed in the same transaction, so a call shows exactly one current
     * answer set, and records the version that scored it.
     */
    async runLlm2({ batchId, callId, route, last }: StageInput): Promise<void> {
      const startedAt = new Date();
      if (await skipIfDone(db, { batchId, callId }, 'llm2', last)) return;
      const row = await loadCall(db, callId);
      if (await finishWithoutSpeech(db, row, { batchId, callId, stage: 'llm2', last, startedAt })) return;
      const endpoint = endpointOf(route.llmEndpoint);
      const text = await transcriptOf(callId);
      const [summary] = await db.select().from(analysis).where(eq(analysis.callId, callId));
      // The process's current questionnaire version: the call records which one scored it.
      const questionnaire = await currentQuestionnaire(db, row.processId);
      if (!questionnaire || questionnaire.questions.length === 0)
        throw stageFailure('missing_data', `process ${row.processId} has no questionnaire`);
      const result = await onEndpoint(endpoint, (signal) =>
        inference.answerQuestionnaire({
          endpoint,
          transcript: { text: text.text, segments: text.segments, lang: text.lang },
          analysis: summary
            ? { summary: summary.summary, category: summary.category, sentiment: summary.sentiment }
            : null,
          questions: scoringQuestions(questionnaire.questions),
          timeoutMs: config.LLM_TIMEOUT_MS,
          signal,
        }),
      );
      await db.transaction(async (tx) => {
        for (const a of result.answers) {
          const values = {
            callId,
            questionId: a.questionId,
            answer: a.answer,
            evidence: a.evidence,
            score: a.score,
            maxScore: a.maxScore,
            model: result.model,
            promptVersion: result.promptVersion,
          };
          await tx.insert(auditAnswer).values(values).onDuplicateKeyUpdate({ set: values });
        }
        // Answers to questions the questionnaire no longer has go, by primary key: a range delete
        // (callId = ? AND questionId NOT IN ...) locks index gaps and deadlocked with other calls' inserts.
        const keep = new Set(result.answers.map((a) => a.questionId));
        const stale = (
          await tx
            .select({ id: auditAnswer.id, questionId: auditAnswer.questionId })
            .from(auditAnswer)
            .where(eq(auditAnswer.callId, callId))
        ).filter((r) => !keep.has(r.questionId));
        if (stale.length > 0)
          await tx.delete(auditAnswer).where(
            inArray(
              auditAnswer.id,
              stale.map((r) => r.id),
            ),
          );
        await markStageDone(
          tx,
          { batchId, callId, stage: 'llm2', last, startedAt },
          {
            auditScore: result.callScore,
            questionnaireVersionId: questionnaire.version.id,
            criticalFailure: result.criticalFailure === true,
          },
        );
        // Reviewers' overrides survive a reaudit: re-applied and rescored, flagged where the AI's answer changed.
        await reconcileReviews(tx, { callId, batchId, answers: result.answers });
      });
    },
  };
}
