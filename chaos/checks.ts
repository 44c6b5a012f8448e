// After a fault: what the tables say. Every call either completed every stage (one transcript, one answer
// set) or failed with a processing_logs row; no duplicate rows; the batch's counts equal the rows.
import type { Pool, RowDataPacket } from 'mysql2/promise';

export type Verdict = {
  batchStatus: string;
  calls: number;
  completed: number;
  failed: number;
  /** Calls neither completed nor failed with a logged reason, or completed with results missing. */
  lost: number;
  /** Rows beyond one per natural key (transcripts, answers, events, failure logs). */
  duplicated: number;
  countsMatch: boolean;
  problems: string[];
};

async function rows<T>(pool: Pool, sql: string, args: unknown[] = []): Promise<T[]> {
  const [result] = await pool.query<RowDataPacket[]>(sql, args);
  return result as T[];
}

export async function verifyBatch(pool: Pool, batchId: number, questions: number): Promise<Verdict> {
  const problems: string[] = [];
  const [batch] = await rows<{
    status: string;
    completedFiles: number;
    failedFiles: number;
    totalFiles: number;
  }>(pool, 'SELECT status, completedFiles, failedFiles, totalFiles FROM batchStatus WHERE id = ?', [batchId]);
  const calls = await rows<{
    id: number;
    status: string;
    lid: number;
    stt: number;
    llm1: number;
    llm2: number;
    t: number;
    a: number;
    an: number;
    logs: number;
  }>(
    pool,
    `SELECT c.id, c.status, d.lidDone lid, d.sttDone stt, d.llm1Done llm1, d.llm2Done llm2,
            (SELECT COUNT(*) FROM transcript t WHERE t.callId = c.id) t,
            (SELECT COUNT(*) FROM auditAnswer a WHERE a.callId = c.id) a,
            (SELECT COUNT(*) FROM analysis n WHERE n.callId = c.id) an,
            (SELECT COUNT(*) FROM processing_logs p WHERE p.call_id = CAST(c.id AS CHAR) AND p.batch_id = ?) logs
       FROM \`call\` c LEFT JOIN fileDistribution d ON d.callId = c.id WHERE c.batchId = ?`,
    [String(batchId), batchId],
  );
  let completed = 0;
  let failed = 0;
  let lost = 0;
  for (const c of calls) {
    if (c.status === 'Completed') {
      completed++;
      const whole = c.lid && c.stt && c.llm1 && c.llm2 && c.t === 1 && c.an === 1 && c.a === questions;
      if (!whole) {
        lost++;
        problems.push(`call ${c.id} Completed but flags/rows incomplete (t=${c.t} a=${c.a} an=${c.an})`);
      }
    } else if (c.status === 'Failed' && c.logs >= 1) {
      failed++;
    } else {
      lost++;
      problems.push(`call ${c.id} ended ${c.status} with ${c.logs} failure log(s)`);
    }
  }
  const dupSql = [
    'SELECT COUNT(*) - COUNT(DISTINCT callId) n FROM transcript WHERE callId IN (SELECT id FROM `call` WHERE batchId = ?)',
    'SELECT COUNT(*) - COUNT(DISTINCT callId, questionId) n FROM auditAnswer WHERE callId IN (SELECT id FROM `call` WHERE batchId = ?)',
    'SELECT COUNT(*) - COUNT(DISTINCT stage, eventType, COALESCE(callId, 0)) n FROM batchExecutionLog WHERE batchId = ?',
    'SELECT COUNT(*) - COUNT(DISTINCT call_id, stage_name) n FROM processing_logs WHERE batch_id = CAST(? AS CHAR)',
  ];
  let duplicated = 0;
  for (const q of dupSql) duplicated += Number((await rows<{ n: number }>(pool, q, [batchId]))[0]?.n ?? 0);
  const countsMatch =
    !!batch &&
    batch.completedFiles === completed &&
    batch.failedFiles === failed &&
    batch.totalFiles === calls.length;
  if (!countsMatch)
    problems.push(
      `batch counts ${JSON.stringify(batch)} vs rows completed=${completed} failed=${failed} calls=${calls.length}`,
    );
  return {
    batchStatus: batch?.status ?? 'missing',
    calls: calls.length,
    completed,
    failed,
    lost,
    duplicated,
    countsMatch,
    problems,
  };
}
