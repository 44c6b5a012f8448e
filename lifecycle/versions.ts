// Result versions (issue 15 item 2): before a reaudit deletes a call's results, the whole set (language,
// transcript, analysis, effective answers with the AI's own where a reviewer overrode it, score) is kept as a
// version, in the clean-up's own transaction. The seed's tables keep only the current results, so the seed's
// verification queries show the current version; versions 1..N are the earlier ones, the current is N+1.
import { and, asc, eq, inArray, max } from 'drizzle-orm';
import { isRedactionLanguage, redact } from '../core/redaction/index.js';
import type { Db } from '../drizzle/client.js';
import {
  analysis,
  answerReview,
  auditAnswer,
  auditQuestion,
  call,
  lidResult,
  resultVersion,
  transcript,
  type VersionSnapshot,
} from '../drizzle/schema/index.js';

/** A transaction or the database: what the snapshot reads and writes through. */
type Tx = Pick<Db, 'select' | 'insert'>;

const CHUNK = 500;
const chunks = <T>(items: readonly T[], size = CHUNK) =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/**
 * Keeps the current results of `ids` as a new version each, for the reaudit `batch` (call it in the transaction
 * that deletes them). Idempotent: a call that already has a version for this reaudit gets none (a retried
 * clean-up, or its later stages, find the first stage's snapshot); a call with no results at all gets none.
 * Returns how many versions it wrote.
 */
export async function snapshotResults(
  tx: Tx,
  batch: { id: number; taskId: string; stages: readonly string[] },
  ids: readonly number[],
): Promise<number> {
  let written = 0;
  for (const part of chunks(ids)) {
    const done = new Set(
      (
        await tx
          .select({ callId: resultVersion.callId })
          .from(resultVersion)
          .where(and(eq(resultVersion.batchId, batch.id), inArray(resultVersion.callId, part)))
      ).map((r) => r.callId),
    );
    const todo = part.filter((id) => !done.has(id));
    if (todo.length === 0) continue;
    const [calls, lids, texts, facts, answers, reviews, latest] = await Promise.all([
      tx.select().from(call).where(inArray(call.id, todo)),
      tx.select().from(lidResult).where(inArray(lidResult.callId, todo)),
      tx.select().from(transcript).where(inArray(transcript.callId, todo)),
      tx.select().from(analysis).where(inArray(analysis.callId, todo)),
      tx
        .select()
        .from(auditAnswer)
        .where(inArray(auditAnswer.callId, todo))
        .orderBy(asc(auditAnswer.callId), asc(auditAnswer.questionId)),
      tx.select().from(answerReview).where(inArray(answerReview.callId, todo)),
      tx
        .select({ callId: resultVersion.callId, version: max(resultVersion.version) })
        .from(resultVersion)
        .where(inArray(resultVersion.callId, todo))
        .groupBy(resultVersion.callId),
    ]);
    const by = <T extends { callId: number }>(rows: T[]) => new Map(rows.map((r) => [r.callId, r]));
    const lidOf = by(lids);
    const textOf = by(texts);
    const factsOf = by(facts);
    const lastOf = new Map(latest.map((r) => [r.callId, Number(r.version ?? 0)]));
    // The AI's answer as it now stands: the newer one when a reaudit changed it since the review.
    const aiOf = new Map(
      reviews.map((r) => [
        `${r.callId}:${r.questionId}`,
        r.aiChanged ? (r.newAiAnswer ?? r.aiAnswer) : r.aiAnswer,
      ]),
    );
    for (const row of calls) {
      const lid = lidOf.get(row.id);
      const text = textOf.get(row.id);
      const fact = factsOf.get(row.id);
      const mine = answers.filter((a) => a.callId === row.id);
      if (!lid && !text && !fact && mine.length === 0) continue;
      // Only results worth keeping: a call that failed before it was scored (a retry of a call that failed at
      // stt, say) has a language at most, and a version of it would make the default diff call every answer new.
      if (row.auditScore === null && row.status !== 'Completed') continue;
      const snapshot: VersionSnapshot = {
        lang: row.lang,
        auditScore: row.auditScore,
        lid: lid ? strip(lid) : null,
        transcript: text ? keptTranscript(text) : null,
        analysis: fact
          ? text && text.redactedAt === null
            ? redactedAnalysis(fact, row.lang)
            : strip(fact)
          : null,
        answers: mine.map((a) => {
          // With when it was written (the JSON keeps it; resultsAt reads it back).
          const kept: VersionSnapshot['answers'][number] & { createdAt: string } = {
            questionId: a.questionId,
            answer: a.answer,
            aiAnswer: aiOf.get(`${row.id}:${a.questionId}`) ?? a.answer,
            // Answers of a transcript that predates redaction may quote what it held (issue 16).
            evidence: text && text.redactedAt === null ? redactedEvidence(a.evidence, row.lang) : a.evidence,
            score: a.score,
            maxScore: a.maxScore,
            model: a.model,
            promptVersion: a.promptVersion,
            createdAt: a.createdAt.toISOString(),
          };
          return kept;
        }),
      };
      await tx.insert(resultVersion).values({
        callId: row.id,
        version: (lastOf.get(row.id) ?? 0) + 1,
        batchId: batch.id,
        reason: `replaced by ${batch.taskId}, which re-ran ${batch.stages.join(', ')}`.slice(0, 255),
        stages: [...batch.stages],
        models: {
          stt: text?.model ?? null,
          llm1: fact?.model ?? null,
          llm2: mine.find((a) => a.model)?.model ?? null,
        },
        promptVersions: {
          llm1: fact?.promptVersion ?? null,
          llm2: mine.find((a) => a.promptVersion)?.promptVersion ?? null,
        },
        questionnaireVersion: row.questionnaireVersionId ?? null,
        auditScore: row.auditScore,
        snapshot,
      });
      written++;
    }
  }
  return written;
}

/** When a version's newest result was written: its answers, analysis, transcript or language (ISO strings). */
function resultsAt(snap: VersionSnapshot, answerTimes?: string[]): string | null {
  const times = [
    ...(answerTimes ?? snap.answers.map((a) => (a as { createdAt?: unknown }).createdAt)),
    snap.analysis?.createdAt,
    snap.transcript?.createdAt,
    snap.lid?.createdAt,
  ].filter((t): t is string => typeof t === 'string');
  return times.sort().at(-1) ?? null;
}

/**
 * A transcript as a version keeps it (issue 16): never the unredacted copy a policy kept beside it, and no text
 * at all when it predates redaction (a reaudit redacts such a transcript after this snapshot, so its text and
 * segments are still as spoken).
 */
function keptTranscript(row: typeof transcript.$inferSelect): Record<string, unknown> {
  const { originalText: _text, originalSegments: _segments, ...rest } = row;
  const kept = strip(rest);
  return row.redactedAt === null ? { ...kept, text: null, segments: null } : kept;
}

/** An answer's evidence quote run through redaction (every entity type); null when its language has no rules. */
function redactedEvidence(evidence: string | null, lang: string | null): string | null {
  if (evidence === null || !isRedactionLanguage(lang)) return null;
  return redact([{ text: evidence }], { language: lang }).segments[0]?.text ?? null;
}

/** llm1's analysis of a transcript that predates redaction: its free text run through redaction too. */
function redactedAnalysis(row: typeof analysis.$inferSelect, lang: string | null): Record<string, unknown> {
  return {
    ...strip(row),
    summary: redactedEvidence(row.summary, lang),
    keyFacts: row.keyFacts?.map((f) => redactedEvidence(f, lang)) ?? null,
  };
}

/** A result row without its own keys and timestamps (the version row has those). */
function strip<T extends { id: number; callId: number; createdAt: Date }>(row: T): Record<string, unknown> {
  const { id: _id, callId: _callId, createdAt, ...rest } = row;
  return { ...rest, createdAt: createdAt.toISOString() };
}

export type VersionSummary = {
  version: number;
  current: boolean;
  created_at: string | null;
  replaced_at: string | null;
  reason: string;
  batch_id: number | null;
  stages: string[];
  models: Record<string, string | null>;
  prompt_versions: Record<string, string | null>;
  questionnaire_version_id: number | null;
  score: number | null;
  answers: number;
};

export type VersionAnswer = {
  question_id: number;
  code: string | null;
  question: string | null;
  answer: string;
  ai_answer: string;
  score: number;
  max_score: number;
};

export type VersionFull = VersionSummary & {
  lang: string | null;
  transcript: VersionSnapshot['transcript'];
  analysis: VersionSnapshot['analysis'];
  answer_list: VersionAnswer[];
};

/** The current results of a call in a version's shape (number = stored versions + 1). */
async function currentVersion(db: Db, callId: number, stored: number): Promise<VersionFull> {
  const [[row], [text], [fact], answers, reviews] = await Promise.all([
    db.select().from(call).where(eq(call.id, callId)),
    db.select().from(transcript).where(eq(transcript.callId, callId)),
    db.select().from(analysis).where(eq(analysis.callId, callId)),
    db.select().from(auditAnswer).where(eq(auditAnswer.callId, callId)).orderBy(asc(auditAnswer.questionId)),
    db.select().from(answerReview).where(eq(answerReview.callId, callId)),
  ]);
  const aiOf = new Map(
    reviews.map((r) => [r.questionId, r.aiChanged ? (r.newAiAnswer ?? r.aiAnswer) : r.aiAnswer]),
  );
  const snap: VersionSnapshot = {
    lang: row?.lang ?? null,
    auditScore: row?.auditScore ?? null,
    lid: null,
    transcript: text ? keptTranscript(text) : null,
    analysis: fact ? strip(fact) : null,
    answers: answers.map((a) => ({
      questionId: a.questionId,
      answer: a.answer,
      aiAnswer: aiOf.get(a.questionId) ?? a.answer,
      evidence: a.evidence,
      score: a.score,
      maxScore: a.maxScore,
      model: a.model,
      promptVersion: a.promptVersion,
    })),
  };
  return full(db, {
    version: stored + 1,
    current: true,
    created_at: resultsAt(
      snap,
      answers.map((a) => a.createdAt.toISOString()),
    ),
    replaced_at: null,
    reason: 'current results',
    batch_id: null,
    stages: [],
    models: {
      stt: text?.model ?? null,
      llm1: fact?.model ?? null,
      llm2: answers.find((a) => a.model)?.model ?? null,
    },
    prompt_versions: {
      llm1: fact?.promptVersion ?? null,
      llm2: answers.find((a) => a.promptVersion)?.promptVersion ?? null,
    },
    questionnaire_version_id: row?.questionnaireVersionId ?? null,
    score: row?.auditScore ?? null,
    snap,
  });
}

async function full(
  db: Db,
  v: Omit<VersionSummary, 'answers'> & { snap: VersionSnapshot },
): Promise<VersionFull> {
  const { snap, ...summary } = v;
  const ids = snap.answers.map((a) => a.questionId);
  const questions = ids.length
    ? await db
        .select({ id: auditQuestion.id, code: auditQuestion.code, text: auditQuestion.text })
        .from(auditQuestion)
        .where(inArray(auditQuestion.id, ids))
    : [];
  const qOf = new Map(questions.map((q) => [q.id, q]));
  return {
    ...summary,
    answers: snap.answers.length,
    lang: snap.lang,
    transcript: snap.transcript,
    analysis: snap.analysis,
    answer_list: snap.answers.map((a) => ({
      question_id: a.questionId,
      code: qOf.get(a.questionId)?.code ?? null,
      question: qOf.get(a.questionId)?.text ?? null,
      answer: a.answer,
      ai_answer: a.aiAnswer,
      score: a.score,
      max_score: a.maxScore,
    })),
  };
}

/** Every version of a call, oldest first, the current one last. */
export async function listVersions(db: Db, callId: number): Promise<VersionFull[]> {
  const rows = await db
    .select()
    .from(resultVersion)
    .where(eq(resultVersion.callId, callId))
    .orderBy(asc(resultVersion.version));
  const stored = await Promise.all(
    rows.map((r) =>
      full(db, {
        version: r.version,
        current: false,
        created_at: resultsAt(r.snapshot),
        replaced_at: r.createdAt.toISOString(),
        reason: r.reason,
        batch_id: r.batchId,
        stages: r.stages,
        models: r.models,
        prompt_versions: r.promptVersions,
        questionnaire_version_id: r.questionnaireVersion,
        score: r.auditScore,
        snap: r.snapshot,
      }),
    ),
  );
  const last = rows.at(-1)?.version ?? 0;
  return [...stored, await currentVersion(db, callId, last)];
}

export type AnswerChange = {
  question_id: number;
  code: string | null;
  question: string | null;
  before: string | null;
  after: string | null;
  score_before: number | null;
  score_after: number | null;
  max_score: number | null;
};

export type VersionDiff = {
  call_id: number;
  from: number;
  to: number;
  score_before: number | null;
  score_after: number | null;
  transcript_changed: boolean;
  analysis_changed: boolean;
  changed: AnswerChange[];
  unchanged: number;
};

/**
 * Which answers differ between two versions (a question only one of them answered counts as changed). Questions
 * are matched by code: versions scored with different questionnaire versions ask the same question under new ids.
 */
export function diffVersions(callId: number, a: VersionFull, b: VersionFull): VersionDiff {
  const keyOf = (x: VersionAnswer) => x.code ?? `#${x.question_id}`;
  const before = new Map(a.answer_list.map((x) => [keyOf(x), x]));
  const after = new Map(b.answer_list.map((x) => [keyOf(x), x]));
  // The newer version's order, then what only the older one asked.
  const keys = [...new Set([...after.keys(), ...before.keys()])];
  const changed: AnswerChange[] = [];
  let unchanged = 0;
  for (const key of keys) {
    const x = before.get(key);
    const y = after.get(key);
    if (x && y && x.answer === y.answer && x.score === y.score) {
      unchanged++;
      continue;
    }
    changed.push({
      question_id: y?.question_id ?? x?.question_id ?? 0,
      code: y?.code ?? x?.code ?? null,
      question: y?.question ?? x?.question ?? null,
      before: x?.answer ?? null,
      after: y?.answer ?? null,
      score_before: x?.score ?? null,
      score_after: y?.score ?? null,
      max_score: y?.max_score ?? x?.max_score ?? null,
    });
  }
  return {
    call_id: callId,
    from: a.version,
    to: b.version,
    score_before: a.score,
    score_after: b.score,
    transcript_changed: (a.transcript?.text ?? null) !== (b.transcript?.text ?? null),
    analysis_changed: (a.analysis?.summary ?? null) !== (b.analysis?.summary ?? null),
    changed,
    unchanged,
  };
}
