// Reads behind GET /reports/agents, GET /reports/questions and the dashboard's reports page: scores, fail rates
// and critical failures per agent and per question over a period, with a trend per day or week. A call counts
// in the period of when it took place (callStartedAt), or of when cofi received it when that is not known.
import { and, eq, gte, isNotNull, lt, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import { auditAnswer, auditQuestion, call, questionnaireVersion } from '../../drizzle/schema/index.js';

export const REPORT_BUCKETS = ['day', 'week'] as const;
export type ReportBucket = (typeof REPORT_BUCKETS)[number];

export type ReportFilter = {
  /** First and last day of the period (YYYY-MM-DD, UTC), both included. */
  from: string;
  to: string;
  processId?: number | undefined;
  /** Questions report only: one agent's answers. */
  agentId?: string | undefined;
  bucket: ReportBucket;
  /** A scored call below this score (0..100) is a failed call. */
  passMark: number;
};

const when = sql`COALESCE(${call.callStartedAt}, ${call.createdAt})`;

/** The first day of a call's day or (ISO, Monday-first) week, as YYYY-MM-DD. */
function periodOf(bucket: ReportBucket): SQL<string> {
  return bucket === 'day'
    ? sql<string>`DATE_FORMAT(${when}, '%Y-%m-%d')`
    : sql<string>`DATE_FORMAT(DATE_SUB(DATE(${when}), INTERVAL WEEKDAY(${when}) DAY), '%Y-%m-%d')`;
}

const dayAfter = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000);

/** Completed calls of the period (of the process): erased, failed and running calls are not in any report. */
function scope(f: ReportFilter): SQL {
  return and(
    eq(call.status, 'Completed'),
    gte(when, new Date(`${f.from}T00:00:00Z`)),
    lt(when, dayAfter(f.to)),
    f.processId !== undefined ? eq(call.processId, f.processId) : undefined,
    f.agentId !== undefined ? eq(call.agentId, f.agentId) : undefined,
  )!;
}

/** 1 for a call with a critical question answered `no` (what sets its score to 0), else 0. */
const criticalFailure = sql<number>`EXISTS (SELECT 1 FROM ${auditAnswer} JOIN ${auditQuestion} ON ${auditQuestion.id} = ${auditAnswer.questionId} WHERE ${auditAnswer.callId} = ${call.id} AND ${auditQuestion.critical} AND ${auditAnswer.answer} = 'no')`;

const num = (v: unknown) => Number(v ?? 0);
const avg = (v: unknown) => (v === null || v === undefined ? null : Math.round(Number(v) * 10) / 10);
const rate = (part: number, whole: number) => (whole === 0 ? null : Math.round((part / whole) * 1000) / 1000);

export type TrendPoint = {
  period: string;
  calls: number;
  scored: number;
  average_score: number | null;
  fail_rate: number | null;
};

export type AgentReport = {
  /** null: calls without an agent (no metadata given). */
  agent_id: string | null;
  team: string | null;
  calls: number;
  scored: number;
  average_score: number | null;
  failed_calls: number;
  fail_rate: number | null;
  critical_failures: number;
  trend: TrendPoint[];
};

function callFigures(f: ReportFilter) {
  return {
    calls: sql<number>`COUNT(*)`,
    scored: sql<number>`COUNT(${call.auditScore})`,
    average: sql<number | null>`AVG(${call.auditScore})`,
    failed: sql<number>`COALESCE(SUM(${call.auditScore} < ${f.passMark}), 0)`,
    critical: sql<number>`COALESCE(SUM(${criticalFailure}), 0)`,
  };
}

const point = (
  period: string,
  r: { calls: unknown; scored: unknown; average: unknown; failed: unknown },
) => ({
  period,
  calls: num(r.calls),
  scored: num(r.scored),
  average_score: avg(r.average),
  fail_rate: rate(num(r.failed), num(r.scored)),
});

/** Per agent: calls, average score, failed calls (below the pass mark), critical failures, and the trend. */
export async function agentReport(
  db: Db,
  f: ReportFilter,
): Promise<{ agents: AgentReport[]; trend: TrendPoint[] }> {
  const period = periodOf(f.bucket);
  const figures = callFigures(f);
  const [totals, byPeriod, overall] = await Promise.all([
    db
      .select({ agent: call.agentId, team: sql<string | null>`MAX(${call.team})`, ...figures })
      .from(call)
      .where(scope(f))
      .groupBy(call.agentId),
    db
      .select({ agent: call.agentId, period, ...figures })
      .from(call)
      .where(scope(f))
      .groupBy(call.agentId, period)
      .orderBy(period),
    db
      .select({ period, ...figures })
      .from(call)
      .where(scope(f))
      .groupBy(period)
      .orderBy(period),
  ]);
  const trends = new Map<string | null, TrendPoint[]>();
  for (const r of byPeriod) {
    const list = trends.get(r.agent) ?? [];
    list.push(point(r.period, r));
    trends.set(r.agent, list);
  }
  const agents = totals
    .map((r) => ({
      agent_id: r.agent,
      team: r.team,
      calls: num(r.calls),
      scored: num(r.scored),
      average_score: avg(r.average),
      failed_calls: num(r.failed),
      fail_rate: rate(num(r.failed), num(r.scored)),
      critical_failures: num(r.critical),
      trend: trends.get(r.agent) ?? [],
    }))
    // Most calls first; calls without an agent last.
    .sort((a, b) =>
      a.agent_id === null
        ? 1
        : b.agent_id === null
          ? -1
          : b.calls - a.calls || a.agent_id.localeCompare(b.agent_id),
    );
  return { agents, trend: overall.map((r) => point(r.period, r)) };
}

export type QuestionReport = {
  question_id: number;
  process_id: number;
  questionnaire_version: number | null;
  code: string;
  text: string;
  critical: boolean;
  answers: number;
  not_applicable: number;
  failed: number;
  /** Of the answers that apply (not N/A): how many failed (`no`, or 1-2 on a 1-5 scale). */
  fail_rate: number | null;
  /** Points earned of the points possible, 0..100. */
  average_score: number | null;
  /** A critical question's `no` answers: each set its call's score to 0. */
  critical_failures: number;
  trend: { period: string; answers: number; failed: number; fail_rate: number | null }[];
};

const failedAnswer = sql`${auditAnswer.answer} IN ('no', '1', '2')`;

/** Per question (of any questionnaire version): answers, N/A, failed answers and rate, points, critical `no`s. */
export async function questionReport(db: Db, f: ReportFilter): Promise<QuestionReport[]> {
  const period = periodOf(f.bucket);
  const figures = {
    answers: sql<number>`COUNT(*)`,
    na: sql<number>`COALESCE(SUM(${auditAnswer.answer} = 'na'), 0)`,
    failed: sql<number>`COALESCE(SUM(${failedAnswer}), 0)`,
    no: sql<number>`COALESCE(SUM(${auditAnswer.answer} = 'no'), 0)`,
    points: sql<number | null>`SUM(${auditAnswer.score})`,
    possible: sql<number | null>`SUM(${auditAnswer.maxScore})`,
  };
  const [totals, byPeriod] = await Promise.all([
    db
      .select({
        id: auditQuestion.id,
        processId: auditQuestion.processId,
        version: questionnaireVersion.version,
        code: auditQuestion.code,
        text: auditQuestion.text,
        critical: auditQuestion.critical,
        position: auditQuestion.position,
        ...figures,
      })
      .from(auditAnswer)
      .innerJoin(call, eq(call.id, auditAnswer.callId))
      .innerJoin(auditQuestion, eq(auditQuestion.id, auditAnswer.questionId))
      .leftJoin(questionnaireVersion, eq(questionnaireVersion.id, auditQuestion.versionId))
      .where(and(scope(f), isNotNull(call.auditScore)))
      .groupBy(auditQuestion.id)
      .orderBy(auditQuestion.processId, questionnaireVersion.version, auditQuestion.position),
    db
      .select({ id: auditAnswer.questionId, period, ...figures })
      .from(auditAnswer)
      .innerJoin(call, eq(call.id, auditAnswer.callId))
      .where(and(scope(f), isNotNull(call.auditScore)))
      .groupBy(auditAnswer.questionId, period)
      .orderBy(period),
  ]);
  const trends = new Map<number, QuestionReport['trend']>();
  for (const r of byPeriod) {
    const list = trends.get(r.id) ?? [];
    const applies = num(r.answers) - num(r.na);
    list.push({
      period: r.period,
      answers: num(r.answers),
      failed: num(r.failed),
      fail_rate: rate(num(r.failed), applies),
    });
    trends.set(r.id, list);
  }
  return totals.map((r) => {
    const applies = num(r.answers) - num(r.na);
    const possible = num(r.possible);
    return {
      question_id: r.id,
      process_id: r.processId,
      questionnaire_version: r.version ?? null,
      code: r.code,
      text: r.text,
      critical: Boolean(r.critical),
      answers: num(r.answers),
      not_applicable: num(r.na),
      failed: num(r.failed),
      fail_rate: rate(num(r.failed), applies),
      average_score: possible > 0 ? Math.round((num(r.points) / possible) * 1000) / 10 : null,
      critical_failures: r.critical ? num(r.no) : 0,
      trend: trends.get(r.id) ?? [],
    };
  });
}
