// Issue 16: what cofi hands Temporal is ids, stage names, node ids and counts, never personal data. A real audit
// runs through the stack (simulated GPU nodes and LLM); then every event of every workflow history of this run
// (the batch's and each call's, every run of each) is walked, its payloads decoded, and no string in it may hold
// the recording's file name, a line of its transcript, its analysis or an answer's evidence. Temporal keeps
// histories (and search attributes, and memos) for the namespace's retention, out of reach of DELETE /calls/{id}.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { eq } from 'drizzle-orm';
import { analysis, auditAnswer, call, transcript } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

/** A file name as contact centres write them: the customer's number and name. */
const NAME = 'Jane Doe +44 7700 900123 2026-11-30.wav';

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack?.stop();
});

type Found = { workflowId: string; runId: string; workflowType: string };

/** Every execution (each run) whose id is under this stack's prefix or that carries the batch's id. */
async function executionsOf(batchId: number): Promise<Found[]> {
  const prefix = stack.config.COFI_TASK_QUEUE;
  const seen = new Map<string, Found>();
  for (const query of [`WorkflowId STARTS_WITH "${prefix}/"`, `CofiBatchId = ${batchId}`]) {
    for await (const w of stack.client.workflow.list({ query })) {
      seen.set(`${w.workflowId}/${w.runId}`, {
        workflowId: w.workflowId,
        runId: w.runId,
        workflowType: w.type,
      });
    }
  }
  return [...seen.values()];
}

/** A Payload as the history proto carries it: encoding metadata and bytes. */
function isPayload(v: unknown): v is { data?: Uint8Array; metadata?: Record<string, Uint8Array> } {
  return (
    !!v && typeof v === 'object' && 'metadata' in v && (v as { data?: unknown }).data instanceof Uint8Array
  );
}

/** Every string in an event with where it sits (`input.payloads.0`, `memo.fields.x`): plain fields (failure
 * messages, ids) and each payload's bytes decoded (JSON). */
function stringsOf(value: unknown, at = '', out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([at, value]);
  else if (value instanceof Uint8Array) out.push([at, Buffer.from(value).toString('utf8')]);
  else if (isPayload(value)) out.push([at, Buffer.from(value.data ?? new Uint8Array()).toString('utf8')]);
  else if (Array.isArray(value)) for (const [i, v] of value.entries()) stringsOf(v, `${at}.${i}`, out);
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) stringsOf(v, at ? `${at}.${k}` : k, out);
  return out;
}

describe('Temporal payloads of an audit carry no personal data', () => {
  let batchId = 0;
  let personal: string[] = [];
  let executions: Found[] = [];
  /** Where each piece of personal data was found: workflow type, event type, activity or field. */
  const leaks: string[] = [];
  /** The leaks of call contents (transcript, analysis, answers), as opposed to the file name. */
  const contentLeaks: string[] = [];
  const names = [NAME, NAME.replace(/\.wav$/, '')];

  before(async () => {
    const res = await uploadAudit(stack.app, auditForm([{ name: NAME, bytes: makeWav(6, 1) }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    batchId = Number(res.body.batch_id);
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [c] = await stack.db.select().from(call).where(eq(call.batchId, batchId));
    assert.ok(c);
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, c.id));
    const [a] = await stack.db.select().from(analysis).where(eq(analysis.callId, c.id));
    const answers = await stack.db.select().from(auditAnswer).where(eq(auditAnswer.callId, c.id));
    // Long enough not to match a stage name or a number by chance.
    const long = (s: string | null | undefined) => (s && s.trim().length >= 12 ? [s.trim()] : []);
    personal = [
      ...names,
      ...(t?.segments ?? []).flatMap((s) => long(s.text)),
      ...long(a?.summary),
      ...(a?.keyFacts ?? []).flatMap(long),
      ...answers.flatMap((x) => long(x.evidence)),
    ];
    executions = await executionsOf(batchId);
    for (const e of executions) {
      // A closed workflow's history is complete; the call workflows closed before the batch ended.
      await stack.client.workflow
        .getHandle(e.workflowId, e.runId)
        .result()
        .catch(() => undefined);
      const history = await stack.client.workflow.getHandle(e.workflowId, e.runId).fetchHistory();
      const activities = new Map<string, string>();
      for (const event of history.events ?? []) {
        const scheduled = event.activityTaskScheduledEventAttributes;
        if (scheduled?.activityType?.name) activities.set(String(event.eventId), scheduled.activityType.name);
        const completed =
          event.activityTaskCompletedEventAttributes ?? event.activityTaskFailedEventAttributes ?? null;
        const activity =
          scheduled?.activityType?.name ??
          (completed ? activities.get(String(completed.scheduledEventId)) : undefined);
        for (const [field, text] of stringsOf(event)) {
          // The name alone when only the name is there (it is also a prefix of itself without `.wav`).
          const found = personal.filter((x) => text.includes(x));
          const shown = found.filter((x) => !names.includes(x));
          if (found.length === 0) continue;
          const line = `${e.workflowType} (${e.workflowId}) event ${event.eventId}${activity ? ` (activity ${activity})` : ''} ${field}: ${(shown.length ? shown : [NAME]).map((x) => JSON.stringify(x.slice(0, 60))).join(', ')}`;
          leaks.push(line);
          if (shown.length) contentLeaks.push(line);
        }
      }
    }
  });

  test('the audit produced personal data to look for, and its batch and call workflows were found', () => {
    assert.ok(personal.length >= 3, `personal strings: ${JSON.stringify(personal)}`);
    const types = new Set(executions.map((e) => e.workflowType));
    assert.ok(executions.length >= 2, `executions: ${JSON.stringify(executions)}`);
    assert.ok(
      [...types].some((t) => /call/i.test(t)),
      `a call workflow among ${[...types].join(', ')}`,
    );
  });

  test('no event of any history holds a line of the transcript, the analysis or an answer', () => {
    assert.deepEqual(contentLeaks, [], `call contents in Temporal:\n${contentLeaks.join('\n')}`);
  });

  // A FINDING, not a passing test: the file name (which carries the customer's number) is in admitCalls'
  // result, and in every call workflow's memo (audioName) and search attribute (CofiAudioName), where an
  // erasure cannot reach it. Marked todo so that it is printed on every run without failing the suite while
  // the workflows are changed (workflows/batchRun.ts, activities/batch.ts); remove the todo when it passes.
  test('no event of any history holds the file name', {
    todo: 'issue 16 finding: the audio name is in admitCalls results, call memos and CofiAudioName',
  }, () => {
    assert.deepEqual(leaks, [], `personal data in Temporal:\n${leaks.join('\n')}`);
  });
});
