// A process's data-protection policy as the stages and the retention run read it: the stored row, or the defaults.
import { eq } from 'drizzle-orm';
import { parseRedactionPolicy, type RedactionPolicy } from '../core/redaction/index.js';
import type { Db } from '../drizzle/client.js';
import { processPolicy } from '../drizzle/schema/index.js';

/** Days each kind of a call's data is kept after the call was created; null: until the call is erased. */
export type Retention = {
  recordingDays: number | null;
  transcriptDays: number | null;
  analysisDays: number | null;
  answerDays: number | null;
};

export type ProcessPolicy = { processId: number; redaction: RedactionPolicy; retention: Retention };

/** Every entity type redacted, the unredacted transcript not kept, spans silenced; nothing expires. */
export function defaultPolicy(processId: number): ProcessPolicy {
  const parsed = parseRedactionPolicy(undefined);
  if (!parsed.ok) throw new Error(parsed.detail);
  return {
    processId,
    redaction: parsed.value,
    retention: { recordingDays: null, transcriptDays: null, analysisDays: null, answerDays: null },
  };
}

export async function loadProcessPolicy(db: Db, processId: number): Promise<ProcessPolicy> {
  const [row] = await db.select().from(processPolicy).where(eq(processPolicy.processId, processId));
  if (!row) return defaultPolicy(processId);
  // The row was validated when written; parsing again fills fields a newer version added since.
  const parsed = parseRedactionPolicy(row.redaction);
  if (!parsed.ok) throw new Error(`stored redaction policy of process ${processId}: ${parsed.detail}`);
  return {
    processId,
    redaction: parsed.value,
    retention: {
      recordingDays: row.recordingDays,
      transcriptDays: row.transcriptDays,
      analysisDays: row.analysisDays,
      answerDays: row.answerDays,
    },
  };
}
