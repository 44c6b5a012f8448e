// What the calls search and export tests share: one batch with known metadata, results and transcripts, and a
// strict CSV reader.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { eq, inArray } from 'drizzle-orm';
import {
  analysis,
  auditAnswer,
  batchStatus,
  call,
  callReview,
  transcript,
} from '../../drizzle/schema/index.js';
import type { ApiApp } from '../support/apiApp.js';

const DAY = 86_400_000;

export type SearchSeed = {
  batchId: number;
  ids: Record<string, number>;
  /** Ids of the paging calls (p0..p29). */
  paging: number[];
  cleanup(): Promise<void>;
};

/**
 * A batch of calls with known metadata, results and transcripts: `refund` (en, agent-a, team-1, 90, billing,
 * inbound, reviewed), `kuendigung` (de, agent-b, team-1, 40, complaint, outbound), `failed` (en, agent-a,
 * team-2, no score, Failed), `erased` (a tombstone of agent-a) and 30 paging calls with repeating scores.
 */
export async function seedSearch(api: ApiApp): Promise<SearchSeed> {
  const db = api.db;
  const tag = randomUUID().slice(0, 8);
  const [b] = await db.insert(batchStatus).values({
    batchDate: '2026-03-01',
    kind: 'audit',
    status: 'Completed',
    taskId: `search-${tag}`,
    workflowId: `test/search-${tag}`,
    processId: 1,
    stages: ['distribute', 'lid', 'stt', 'llm1', 'llm2'],
  });
  const batchId = b.insertId;
  const base = Date.parse('2026-03-01T08:00:00Z');
  const one = async (values: Partial<typeof call.$inferInsert> & { audioName: string }) => {
    const [r] = await db.insert(call).values({
      batchId,
      storedPath: `batch-${batchId}/${values.audioName}`,
      processId: 1,
      status: 'Completed',
      stage: 'llm2',
      ...values,
    });
    return r.insertId;
  };
  const ids: Record<string, number> = {};
  ids.refund = await one({
    audioName: 'refund, "quoted"\nname.wav',
    lang: 'en',
    agentId: 'agent-a',
    team: 'team-1',
    auditScore: 90,
    direction: 'inbound',
    callStartedAt: new Date('2026-02-27T10:00:00Z'),
    createdAt: new Date(base),
  });
  ids.kuendigung = await one({
    audioName: '=kuendigung.wav',
    processId: 2,
    lang: 'de',
    agentId: 'agent-b',
    team: 'team-1',
    customerReference: 'CUST-0042',
    auditScore: 40,
    direction: 'outbound',
    callStartedAt: new Date('2026-02-28T10:00:00Z'),
    createdAt: new Date(base + DAY),
  });
  ids.failed = await one({
    audioName: 'failed.wav',
    lang: 'en',
    agentId: 'agent-a',
    team: 'team-2',
    status: 'Failed',
    stage: 'stt',
    createdAt: new Date(base + 2 * DAY),
  });
  ids.erased = await one({
    audioName: 'erased.wav',
    lang: 'en',
    agentId: 'agent-a',
    team: 'team-1',
    status: 'Erased',
    erasedAt: new Date(),
    erasedBy: 'test',
    createdAt: new Date(base + 2 * DAY),
  });
  const paging: number[] = [];
  for (let i = 0; i < 30; i++)
    paging.push(
      await one({
        audioName: `p${i}.wav`,
        lang: 'fr',
        agentId: 'agent-p',
        team: 'team-p',
        // Ties on purpose: ten scores, three calls each; a third with no score; a few start times missing.
        auditScore: i % 3 === 0 ? null : (i % 10) * 10,
        callStartedAt: i % 4 === 0 ? null : new Date(base - ((i * 7) % 11) * 3600_000),
        // Two calls share each creation time.
        createdAt: new Date(base + 3 * DAY + Math.floor(i / 2) * 1000),
      }),
    );
  await db.insert(transcript).values([
    {
      callId: ids.refund,
      lang: 'en',
      text: 'The customer asked for a refund of the duplicate invoice, and the agent agreed.',
      segments: [],
    },
    {
      callId: ids.kuendigung,
      lang: 'de',
      text: 'Der Kunde möchte die Kündigung des Vertrags und einen Rückruf wegen der Rechnung.',
      segments: [],
    },
  ]);
  await db.insert(analysis).values([
    { callId: ids.refund, summary: 's', category: 'billing', subCategory: 'refund' },
    { callId: ids.kuendigung, summary: 's', category: 'complaint' },
  ]);
  await db.insert(auditAnswer).values([
    { callId: ids.refund, questionId: 101, answer: 'yes', score: 8, maxScore: 8 },
    { callId: ids.refund, questionId: 102, answer: 'no', score: 0, maxScore: 15 },
  ]);
  await db.insert(callReview).values({ callId: ids.refund, reviewedBy: 'test', reviewedAt: new Date() });
  const all = [...Object.values(ids), ...paging];
  return {
    batchId,
    ids,
    paging,
    async cleanup() {
      await db.delete(callReview).where(inArray(callReview.callId, all));
      await db.delete(auditAnswer).where(inArray(auditAnswer.callId, all));
      await db.delete(analysis).where(inArray(analysis.callId, all));
      await db.delete(transcript).where(inArray(transcript.callId, all));
      await db.delete(call).where(eq(call.batchId, batchId));
      await db.delete(batchStatus).where(eq(batchStatus.id, batchId));
    },
  };
}

/** RFC 4180: fields split by commas, records by CRLF; a quoted field may hold both, and "" for a quote. */
export function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let record: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"') {
      assert.equal(field, '', `a quote inside an unquoted field at ${i}`);
      quoted = true;
    } else if (ch === ',') {
      record.push(field);
      field = '';
    } else if (ch === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i++;
    } else {
      assert.ok(ch !== '\n' && ch !== '\r', `a bare line break outside quotes at ${i}`);
      field += ch;
    }
  }
  assert.equal(quoted, false, 'the file ends inside a quoted field');
  assert.equal(field + record.join(''), '', 'the last record ends with CRLF');
  return records;
}
