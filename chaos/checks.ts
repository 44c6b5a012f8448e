// After a fault: what was sent against what the tables say. Every file sent must be a call of the batch that
// reached a final state with its rows (Completed: flags, one transcript, one analysis, an answer per
// question; Failed: a processing_logs row); a file without such a call, a call without its rows or a result
// row without its call is a loss. The batch's own counters must equal the rows.
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Pool, RowDataPacket } from 'mysql2/promise';

/** A file the client sent: its name and size. */
export type SentFile = { name: string; bytes: number };

export type Verdict = {
  batchStatus: string;
  /** Files sent in the upload. */
  sent: number;
  calls: number;
  completed: number;
  failed: number;
  /** Calls that reached a final state with their rows (completed + failed). */
  final: number;
  /** Sent files not accounted for, calls without their rows, and result rows whose call is gone. */
  lost: number;
  countsMatch: boolean;
  problems: string[];
};

async function rows<T>(pool: Pool, sql: string, args: unknown[] = []): Promise<T[]> {
  const [result] = await pool.query<RowDataPacket[]>(sql, args);
  return result as T[];
}

/** Result tables keyed by call: a row here whose call does not exist is a loss. */
const RESULT_TABLES = ['transcript', 'analysis', 'auditAnswer', 'lidResult', 'fileDistribution'] as const;

/**
 * The verdict on one batch. `sent` is what the client uploaded (the calls are matched by name, and by size
 * against the call row and, with `audioRoot`, the stored file); without it the batch's own rows are judged.
 */
export async function verifyBatch(
  pool: Pool,
  batchId: number,
  questions: number,
  options: { sent?: SentFile[]; audioRoot?: string } = {},
): Promise<Verdict> {
  const problems: string[] = [];
  const [batch] = await rows<{
    status: string;
    completedFiles: number;
    failedFiles: number;
    totalFiles: number;
  }>(pool, 'SELECT status, completedFiles, failedFiles, totalFiles FROM batchStatus WHERE id = ?', [batchId]);
  const calls = await rows<{
    id: number;
    audioName: string;
    audioBytes: number | null;
    storedPath: string;
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
    `SELECT c.id, c.audioName, c.audioBytes, c.storedPath, c.status,
            d.lidDone lid, d.sttDone stt, d.llm1Done llm1, d.llm2Done llm2,
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
  /** Names of calls that reached a final state with their rows, and their sizes. */
  const accounted = new Map<string, number[]>();
  /** Names of calls already counted as lost (no final state, or rows missing). */
  const broken = new Set<string>();
  for (const c of calls) {
    let whole = false;
    if (c.status === 'Completed') {
      whole = !!(c.lid && c.stt && c.llm1 && c.llm2) && c.t === 1 && c.an === 1 && c.a === questions;
      if (whole) completed++;
      else problems.push(`call ${c.id} Completed but flags/rows incomplete (t=${c.t} a=${c.a} an=${c.an})`);
    } else if (c.status === 'Failed' && c.logs >= 1) {
      whole = true;
      failed++;
    } else problems.push(`call ${c.id} ended ${c.status} with ${c.logs} failure log(s)`);
    if (!whole) {
      lost++;
      broken.add(c.audioName);
      continue;
    }
    let bytes = c.audioBytes ?? -1;
    if (options.audioRoot) {
      const onDisk = await stat(path.join(options.audioRoot, c.storedPath)).then(
        (s) => s.size,
        () => -1,
      );
      // A redacted recording is a copy cofi wrote in place of the upload: it must be there; its size is its own.
      const redacted = c.storedPath.endsWith('.redact.wav');
      if (redacted ? onDisk <= 0 : onDisk !== bytes)
        problems.push(`call ${c.id}: ${bytes} bytes in its row, ${onDisk} stored`);
      if (!redacted) bytes = Math.min(bytes, onDisk);
    }
    accounted.set(c.audioName, [...(accounted.get(c.audioName) ?? []), bytes]);
  }
  if (options.sent) {
    const unmatched = new Map([...accounted].map(([k, v]) => [k, [...v]]));
    for (const f of options.sent) {
      const sizes = unmatched.get(f.name) ?? [];
      const at = sizes.indexOf(f.bytes);
      if (at >= 0) sizes.splice(at, 1);
      else {
        if (broken.has(f.name)) broken.delete(f.name);
        else lost++;
        problems.push(`sent ${f.name} (${f.bytes} bytes): no final call with its rows and that size`);
      }
    }
    const extra = [...unmatched].flatMap(([name, sizes]) => sizes.map(() => name));
    if (extra.length) problems.push(`calls that were never sent: ${extra.slice(0, 5).join(', ')}`);
  }
  for (const table of RESULT_TABLES) {
    const [orphans] = await rows<{ n: number }>(
      pool,
      `SELECT COUNT(*) n FROM \`${table}\` r LEFT JOIN \`call\` c ON c.id = r.callId WHERE c.id IS NULL`,
    );
    const n = Number(orphans?.n ?? 0);
    if (n > 0) {
      lost += n;
      problems.push(`${n} ${table} row(s) without their call`);
    }
  }
  const countsMatch =
    !!batch &&
    batch.completedFiles === completed &&
    batch.failedFiles === failed &&
    batch.totalFiles === calls.length &&
    (!options.sent || calls.length === options.sent.length);
  if (!countsMatch)
    problems.push(
      `batch counts ${JSON.stringify(batch)} vs rows completed=${completed} failed=${failed} calls=${calls.length}` +
        (options.sent ? ` sent=${options.sent.length}` : ''),
    );
  return {
    batchStatus: batch?.status ?? 'missing',
    sent: options.sent?.length ?? calls.length,
    calls: calls.length,
    completed,
    failed,
    final: completed + failed,
    lost,
    countsMatch,
    problems,
  };
}
