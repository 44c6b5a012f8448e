// Agreement (issue 15 item 5): how often reviewers overturned the AI, per question, per process and per week.
//
// What counts: what a reviewer saw and decided (reviewVerdict): each review action (an override, a
// confirmation, POST /calls/{id}/review) keeps every answer of the call shown at that moment, with the AI's
// answer and the effective one. A reviewed answer is a call's question (by code) with a verdict in the period;
// when a call's question has several (a later override, a later mark), the latest in the period counts. It is
// overturned when its effective answer differs from the AI's (an override back to the AI's answer is
// agreement). rate = overturned / reviewed. Answers a later reaudit wrote that no reviewer looked at are not
// reviewed; the verdicts stay when retention expires the answers; an erasure deletes them. A question is counted
// by its process and code, so its questionnaire versions add up. A verdict is dated by its action: the week
// (Monday, UTC) and from/to filter on that time; a week counts the latest verdict of each call's question in it.
import { asc, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import { auditQuestion, process, reviewVerdict } from '../../drizzle/schema/index.js';

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
  /** Per question over time: the weekly figures of each question (process and code). */
  question_weeks: (AgreementRow & { week: string; process_id: number; code: string })[];
};

const rate = (overturned: number, reviewed: number) =>
  reviewed === 0 ? null : Math.round((10000 * overturned) / reviewed) / 10000;

const v = reviewVerdict;
const weekOf = sql`DATE_FORMAT(DATE_SUB(DATE(${v.at}), INTERVAL WEEKDAY(${v.at}) DAY), '%Y-%m-%d')`;

/** The verdicts that count: the latest per call and question code (and week, for the weekly figures). */
function latest(filter: AgreementFilter, perWeek: boolean): SQL {
  const where: SQL[] = [sql`1 = 1`];
  if (filter.processId !== undefined) where.push(sql`${v.processId} = ${filter.processId}`);
  if (filter.from) where.push(sql`${v.at} >= ${filter.from}`);
  if (filter.to) where.push(sql`${v.at} <= ${filter.to}`);
  return sql`(SELECT ${v.callId} AS callId, ${v.processId} AS processId, ${v.code} AS code,
    ${v.questionId} AS questionId, ${v.aiAnswer} AS aiAnswer, ${v.answer} AS answer, ${weekOf} AS week,
    ROW_NUMBER() OVER (PARTITION BY ${v.callId}, ${v.code}${perWeek ? sql`, ${weekOf}` : sql``}
      ORDER BY ${v.at} DESC, ${v.id} DESC) AS rn
    FROM ${v} WHERE ${sql.join(where, sql` AND `)}) AS l`;
}

const counts = sql`COUNT(*) AS reviewed, SUM(CASE WHEN l.answer <> l.aiAnswer THEN 1 ELSE 0 END) AS overturned`;

type Raw = Record<string, unknown>;
async function rows(db: Db, query: SQL): Promise<Raw[]> {
  const [result] = (await db.execute(query)) as unknown as [Raw[]];
  return result;
}

export async function agreement(db: Db, filter: AgreementFilter): Promise<Agreement> {
  const [byProcess, byQuestion, byWeek, byQuestionWeek, names] = await Promise.all([
    rows(
      db,
      sql`SELECT l.processId, ${counts}, COUNT(DISTINCT l.callId) AS calls FROM ${latest(filter, false)}
        WHERE l.rn = 1 GROUP BY l.processId ORDER BY l.processId`,
    ),
    rows(
      db,
      sql`SELECT l.processId, l.code, COALESCE(MAX(q.text), l.code) AS question, ${counts}
        FROM ${latest(filter, false)} LEFT JOIN ${auditQuestion} q ON q.id = l.questionId
        WHERE l.rn = 1 GROUP BY l.processId, l.code ORDER BY l.processId, MIN(q.position), l.code`,
    ),
    rows(
      db,
      sql`SELECT l.week, l.processId, ${counts} FROM ${latest(filter, true)}
        WHERE l.rn = 1 GROUP BY l.week, l.processId ORDER BY l.week, l.processId`,
    ),
    rows(
      db,
      sql`SELECT l.week, l.processId, l.code, ${counts} FROM ${latest(filter, true)}
        WHERE l.rn = 1 GROUP BY l.week, l.processId, l.code ORDER BY l.week, l.processId, l.code`,
    ),
    db.select({ id: process.id, name: process.name }).from(process).orderBy(asc(process.id)),
  ]);
  const nameOf = new Map(names.map((p) => [p.id, p.name]));
  const figures = (r: Raw): AgreementRow => {
    const reviewed = Number(r.reviewed ?? 0);
    const overturned = Number(r.overturned ?? 0);
    return { reviewed, overturned, rate: rate(overturned, reviewed) };
  };
  const processes = byProcess.map((r) => ({
    process_id: Number(r.processId),
    name: nameOf.get(Number(r.processId)) ?? null,
    reviewed_calls: Number(r.calls ?? 0),
    ...figures(r),
  }));
  const reviewed = processes.reduce((n, p) => n + p.reviewed, 0);
  const overturned = processes.reduce((n, p) => n + p.overturned, 0);
  return {
    process_id: filter.processId ?? null,
    from: filter.from?.toISOString() ?? null,
    to: filter.to?.toISOString() ?? null,
    totals: {
      reviewed_calls: processes.reduce((n, p) => n + p.reviewed_calls, 0),
      reviewed,
      overturned,
      rate: rate(overturned, reviewed),
    },
    processes,
    questions: byQuestion.map((r) => ({
      process_id: Number(r.processId),
      code: String(r.code),
      question: String(r.question),
      ...figures(r),
    })),
    weeks: byWeek.map((r) => ({ week: String(r.week), process_id: Number(r.processId), ...figures(r) })),
    question_weeks: byQuestionWeek.map((r) => ({
      week: String(r.week),
      process_id: Number(r.processId),
      code: String(r.code),
      ...figures(r),
    })),
  };
}
