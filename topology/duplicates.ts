// Rows duplicated by a fault: more than one row where a call may have one. The schema's unique keys forbid
// most of these, which is the point: the count asks the tables, not the schema, so a key dropped or a second
// batch made of one upload (a retried admission) shows up here instead of being assumed away.
import type { Pool, RowDataPacket } from 'mysql2/promise';

export type Duplicates = {
  /** Rows beyond the one allowed, over every table checked. */
  total: number;
  byTable: Record<string, number>;
};

/** Extra rows: for each group of `key` with more than one row, the rows beyond the first. */
const EXTRA = (table: string, key: string, where: string) =>
  `SELECT COALESCE(SUM(n - 1), 0) extra FROM (SELECT COUNT(*) n FROM \`${table}\` r WHERE ${where} GROUP BY ${key} HAVING COUNT(*) > 1) g`;

/** The duplicated rows of batch `batchId`, whose calls' names match `namePattern` (a LIKE pattern). */
export async function countDuplicates(pool: Pool, batchId: number, namePattern: string): Promise<Duplicates> {
  const ofBatch = 'r.callId IN (SELECT id FROM `call` WHERE batchId = ?)';
  const checks: [string, string, unknown[]][] = [
    // A file of the upload admitted twice (in this batch or in another one).
    ['call', EXTRA('call', 'r.audioName', 'r.audioName LIKE ?'), [namePattern]],
    ['fileDistribution', EXTRA('fileDistribution', 'r.callId', ofBatch), [batchId]],
    ['lidResult', EXTRA('lidResult', 'r.callId', ofBatch), [batchId]],
    ['transcript', EXTRA('transcript', 'r.callId', ofBatch), [batchId]],
    ['analysis', EXTRA('analysis', 'r.callId', ofBatch), [batchId]],
    ['auditAnswer', EXTRA('auditAnswer', 'r.callId, r.questionId', ofBatch), [batchId]],
    ['stageOutcome', EXTRA('stageOutcome', 'r.callId, r.stage', 'r.batchId = ?'), [batchId]],
    [
      'processing_logs',
      EXTRA('processing_logs', 'r.call_id, r.stage_name', 'r.batch_id = ?'),
      [String(batchId)],
    ],
  ];
  const byTable: Record<string, number> = {};
  for (const [table, sql, args] of checks) {
    const [rows] = await pool.query<RowDataPacket[]>(sql, args);
    byTable[table] = Number(rows[0]?.extra ?? 0);
  }
  return { total: Object.values(byTable).reduce((a, b) => a + b, 0), byTable };
}
