// Issue 16: what cofi hands Temporal is ids, stage names, node ids and counts, never personal data. A real audit
// and a reaudit of it run through the stack (simulated GPU nodes and LLM); then every event of every workflow
// history of this run (the batches' and each call's, every run of each) is walked: inputs, results, memos,
// search attributes, signals, markers, failures; its payloads decoded, and no string in it may hold the
// recording's file name, a line of its transcript, its analysis or an answer's evidence. Temporal keeps
// histories (and search attributes, and memos) for the namespace's retention, out of reach of an erasure.
//
// One call fails (the simulator answers 400 to its file name's transcription, at LID): a failed stage's request
// (its description names the file) and the server's answer (which may quote it) stay in the database
// (activities/failedRequest.ts) and reach the failure log from there; Temporal gets the failure's type, retry
// decision and a message without contents. Both halves are checked: nothing in Temporal's failures, and the
// failure log still shows the request that failed.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, inArray } from 'drizzle-orm';
import {
  analysis,
  auditAnswer,
  call,
  failedRequest,
  processingLogs,
  transcript,
} from '../../drizzle/schema/index.js';
import { SEARCH_ATTRIBUTES, workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { auditForm, postReaudit, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

/** File names as contact centres write them: the customer's number and name. */
const NAME = 'Jane Doe +44 7700 900123 2026-11-30.wav';
/** The simulator fails this one's transcription with a 400 (clientErrorPattern). */
const BROKEN = 'broken-stt John Roe +44 7700 900456.wav';

let stack: Stack;
before(async () => {
  stack = await startStack({
    simulator: { failures: { clientErrorPattern: 'broken-stt', endpoints: ['transcriptions'] } },
  });
});
after(async () => {
  await stack?.stop();
});

type Found = { workflowId: string; runId: string; workflowType: string };

/**
 * Every execution (each run) whose id is under this stack's prefix or that carries one of the batches' ids,
 * and the current run of each id in `known` (visibility lists are eventually consistent; a describe is not).
 */
async function executionsOf(batchIds: number[], known: string[]): Promise<Found[]> {
  const prefix = stack.config.COFI_TASK_QUEUE;
  const seen = new Map<string, Found>();
  for (const workflowId of known) {
    const d = await stack.client.workflow.getHandle(workflowId).describe();
    seen.set(`${workflowId}/${d.runId}`, { workflowId, runId: d.runId, workflowType: d.type });
  }
  const queries = [`WorkflowId STARTS_WITH "${prefix}/"`, ...batchIds.map((id) => `CofiBatchId = ${id}`)];
  for (const query of queries) {
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

/** Where a failed stage's description travels: a failure (and its details), and recordCallFailure's input. */
const onFailurePath = (field: string, activity: string | undefined) =>
  /failure/i.test(field) || activity === 'recordCallFailure';

describe('Temporal payloads of an audit and a reaudit carry no personal data', () => {
  const batchIds: number[] = [];
  let personal: string[] = [];
  let executions: Found[] = [];
  let fields = 0;
  /** Where each piece of personal data was found: workflow type, event type, activity or field. */
  const leaks: string[] = [];
  /** The same, on a failed stage's path (a failure, its details, recordCallFailure's input). */
  const failureLeaks: string[] = [];
  const names = [NAME, BROKEN].flatMap((n) => [n, n.replace(/\.wav$/, '')]);

  before(async () => {
    const res = await uploadAudit(
      stack.app,
      auditForm([
        { name: NAME, bytes: makeWav(6, 1) },
        { name: BROKEN, bytes: makeWav(4, 2) },
      ]),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    batchIds.push(Number(res.body.batch_id));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'CompletedWithErrors', JSON.stringify(final));
    await recordHistory(
      stack.client,
      workflowIds.auditUpload(stack.config.COFI_TASK_QUEUE),
      'auditUploadV2.ids-only',
    );
    const again = await postReaudit(stack.app, { audio_names: [NAME], stages: ['stt', 'llm2'] });
    assert.equal(again.status, 200, JSON.stringify(again.body));
    batchIds.push(Number(again.body.batch_id));
    const reaudited = await waitForBatch(stack.app, String(again.body.task_id));
    assert.equal(reaudited.final.status, 'Completed', JSON.stringify(reaudited.final));
    await recordHistory(
      stack.client,
      workflowIds.reaudit(stack.config.COFI_TASK_QUEUE, batchIds[1]!),
      'reauditV2.ids-only',
    );

    const calls = await stack.db.select().from(call).where(eq(call.batchId, batchIds[0]!));
    assert.equal(calls.length, 2);
    const ids = calls.map((c) => c.id);
    const ts = await stack.db.select().from(transcript).where(inArray(transcript.callId, ids));
    const as = await stack.db.select().from(analysis).where(inArray(analysis.callId, ids));
    const answers = await stack.db.select().from(auditAnswer).where(inArray(auditAnswer.callId, ids));
    // Long enough not to match a stage name or a number by chance.
    const long = (s: string | null | undefined) => (s && s.trim().length >= 12 ? [s.trim()] : []);
    personal = [
      ...names,
      ...ts.flatMap((t) => (t.segments ?? []).flatMap((s) => long(s.text))),
      ...as.flatMap((a) => [...long(a.summary), ...(a.keyFacts ?? []).flatMap(long)]),
      ...answers.flatMap((x) => long(x.evidence)),
    ];
    const prefix = stack.config.COFI_TASK_QUEUE;
    executions = await executionsOf(batchIds, [
      workflowIds.auditUpload(prefix),
      workflowIds.reaudit(prefix, batchIds[1]!),
      ...ids.map((id) => workflowIds.call(prefix, batchIds[0]!, id)),
      workflowIds.call(prefix, batchIds[1]!, calls.find((c) => c.audioName === NAME)!.id),
    ]);
    for (const e of executions) {
      // A closed workflow's history is complete; the call workflows closed before their batch ended.
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
          event.activityTaskCompletedEventAttributes ??
          event.activityTaskFailedEventAttributes ??
          event.activityTaskStartedEventAttributes ??
          null;
        const activity =
          scheduled?.activityType?.name ??
          (completed ? activities.get(String(completed.scheduledEventId)) : undefined);
        for (const [field, text] of stringsOf(event)) {
          fields++;
          const found = personal.filter((x) => text.includes(x));
          if (found.length === 0) continue;
          // The name alone when only the name is there (it is also a prefix of itself without `.wav`).
          const shown = found.filter((x) => !names.includes(x.replace(/\.wav$/, '')) && !names.includes(x));
          const what = shown.length ? shown : found.filter((x) => x.endsWith('.wav')).slice(0, 1);
          const line = `${e.workflowType} (${e.workflowId}) event ${event.eventId}${activity ? ` (activity ${activity})` : ''} ${field}: ${(what.length ? what : found).map((x) => JSON.stringify(x.slice(0, 60))).join(', ')}`;
          (onFailurePath(field, activity) ? failureLeaks : leaks).push(line);
        }
      }
    }
  });

  test('the runs produced personal data to look for, and their batch and call workflows were found', () => {
    assert.ok(personal.length >= 5, `personal strings: ${JSON.stringify(personal)}`);
    const types = new Set(executions.map((e) => e.workflowType));
    for (const t of ['auditUploadV2', 'reauditV2', 'callPipelineV2'])
      assert.ok(types.has(t), `a ${t} execution among ${[...types].join(', ')}`);
    // The audit's two calls and the reaudit's one.
    assert.ok(executions.filter((e) => e.workflowType === 'callPipelineV2').length >= 3);
    assert.ok(fields > 100, `${fields} strings walked`);
  });

  test('no event of any history holds a file name or a line of the transcript, analysis or answers', () => {
    assert.deepEqual(leaks, [], `personal data in Temporal:\n${leaks.join('\n')}`);
  });

  test("call workflows are found by the call's id, and carry no memo and no CofiAudioName", async () => {
    const [c] = await stack.db
      .select()
      .from(call)
      .where(and(eq(call.batchId, batchIds[0]!), eq(call.audioName, NAME)));
    const prefix = stack.config.COFI_TASK_QUEUE;
    // The Web UI's link (api/temporalLinks.ts) lists by CofiCallId; visibility catches up within seconds.
    const query = `WorkflowId STARTS_WITH "${prefix}/" AND CofiCallId = ${c!.id}`;
    let listed: string[] = [];
    for (let i = 0; i < 120 && listed.length < 2; i++) {
      if (i) await new Promise((r) => setTimeout(r, 500));
      listed = [];
      for await (const w of stack.client.workflow.list({ query })) listed.push(w.workflowId);
    }
    const expected = [
      workflowIds.call(prefix, batchIds[0]!, c!.id),
      workflowIds.call(prefix, batchIds[1]!, c!.id),
    ];
    assert.deepEqual(listed.sort(), expected.sort(), 'the audit and the reaudit ran it');
    for (const id of expected) {
      const d = await stack.client.workflow.getHandle(id).describe();
      assert.deepEqual(d.memo ?? {}, {});
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.callId), c!.id);
      assert.equal(d.typedSearchAttributes.get(SEARCH_ATTRIBUTES.audioName), undefined);
    }
  });

  test('no failure in any history holds the file name or call contents', () => {
    assert.deepEqual(failureLeaks, [], `personal data in Temporal failures:\n${failureLeaks.join('\n')}`);
  });

  test('the failure log still shows the request that failed and the server answer, and nothing waits', async () => {
    const [log] = await stack.db
      .select()
      .from(processingLogs)
      .where(and(eq(processingLogs.batchId, String(batchIds[0]!)), eq(processingLogs.status, 'failed')));
    assert.ok(log, 'the broken call has its failure row');
    assert.match(log.errorMessage ?? '', /answered 400: /, 'the message quotes the server, as before');
    assert.ok(log.inputPayload?.includes(BROKEN), `the request names the file: ${log.inputPayload}`);
    const waiting = await stack.db
      .select()
      .from(failedRequest)
      .where(inArray(failedRequest.batchId, batchIds));
    assert.deepEqual(waiting, [], 'a recorded failure takes its kept request with it');
  });
});
