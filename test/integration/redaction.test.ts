// The redact stage on real Temporal and MariaDB: a call that reads out a card number (cut across two
// segments), an e-mail address and a phone number. The LLMs get placeholders, the database keeps no value,
// the stored recording is silent where the values were spoken; a policy may keep the original or redact
// nothing; a reaudit can re-run redaction; an LLM stage refuses a transcript redaction has not been through.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { ApplicationFailure } from '@temporalio/common';
import { eq } from 'drizzle-orm';
import type { ActivityDeps } from '../../activities/deps.js';
import { createLlmActivities } from '../../activities/llm.js';
import { createRedactActivities } from '../../activities/redact.js';
import { MASK_PAD_SEC } from '../../core/audio/mask.js';
import type { RedactionPolicy } from '../../core/redaction/index.js';
import {
  analysis,
  auditAnswer,
  batchExecutionLog,
  batchStatus,
  call,
  fileDistribution,
  processingLogs,
  processPolicy,
  resultVersion,
  stageOutcome,
  transcript,
} from '../../drizzle/schema/index.js';
import { PII_VALUES } from '../../simulator/content.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { recordHistory } from '../support/histories.js';
import { auditForm, getJson, postReaudit, uploadAudit, waitForBatch } from '../support/http.js';
import { nameTag } from '../support/names.js';
import { type Stack, startStack } from '../support/stack.js';

const run = promisify(execFile);
const PROCESS = 1;

let stack: Stack;
before(async () => {
  // French is transcribed (LID and STT accept it) but has no redaction rules.
  stack = await startStack({
    simulator: { timeScale: 0.02, recordPrompts: true },
    env: { LANGUAGES: 'en,hi,es,fr' },
  });
});
after(async () => {
  await stack?.db.delete(processPolicy).where(eq(processPolicy.processId, PROCESS));
  await stack?.stop();
});

/** Process 1's policy for the next upload (the stage reads it when it runs); null: the defaults. */
async function setPolicy(redaction: Partial<RedactionPolicy> | null) {
  await stack.db.delete(processPolicy).where(eq(processPolicy.processId, PROCESS));
  if (redaction)
    await stack.db.insert(processPolicy).values({ processId: PROCESS, redaction: redaction as never });
}

/** The values as the simulated caller speaks them, and as digits: none may reach an LLM or the database. */
const SPOKEN = [
  'four five three two zero one five one',
  'one two eight three zero three six six',
  PII_VALUES.card,
  PII_VALUES.email,
  'oh seven seven zero zero nine zero zero one two three',
  PII_VALUES.phone.en,
];

/** Uploads one 17 s recording whose simulated transcript is the PII call; returns its call row. */
async function auditPiiCall(name = `pii-${nameTag()}.wav`, expect = 'Completed') {
  const res = await uploadAudit(stack.app, auditForm([{ name, bytes: makeWav(17, 3) }]));
  assert.equal(res.status, 200, JSON.stringify(res.body));
  const { final } = await waitForBatch(stack.app, String(res.body.task_id));
  assert.equal(final.status, expect, JSON.stringify(final));
  const [row] = await stack.db
    .select()
    .from(call)
    .where(eq(call.batchId, Number(res.body.batch_id)));
  return { name, row: row!, batchId: Number(res.body.batch_id), taskId: String(res.body.task_id) };
}

/** Mean volume (dB) of `seconds` of a stored recording from `from`, decoded by ffmpeg. */
async function meanVolume(storedPath: string, from: number, seconds: number): Promise<number> {
  const { stderr } = await run('ffmpeg', [
    '-hide_banner',
    '-nostdin',
    '-ss',
    String(from),
    '-t',
    String(seconds),
    '-i',
    stack.audio.resolve(storedPath),
    '-af',
    'volumedetect',
    '-f',
    'null',
    '-',
  ]);
  const m = /mean_volume: (-?[\d.]+|-inf) dB/.exec(stderr);
  assert.ok(m, stderr);
  return m[1] === '-inf' ? -Infinity : Number(m[1]);
}

/** The version a reaudit kept of a call's results before replacing them. */
async function versionKept(callId: number, batchId: number) {
  const rows = await stack.db.select().from(resultVersion).where(eq(resultVersion.callId, callId));
  const kept = rows.find((r) => r.batchId === batchId);
  assert.ok(kept, `a version of call ${callId} for reaudit ${batchId}`);
  return kept.snapshot;
}

/** Everything the database holds about a call that could carry text, as one string. */
async function everythingAbout(callId: number, batchId: number): Promise<string> {
  const rows = await Promise.all([
    stack.db.select().from(transcript).where(eq(transcript.callId, callId)),
    stack.db.select().from(analysis).where(eq(analysis.callId, callId)),
    stack.db.select().from(auditAnswer).where(eq(auditAnswer.callId, callId)),
    stack.db
      .select()
      .from(processingLogs)
      .where(eq(processingLogs.callId, String(callId))),
    stack.db.select().from(batchExecutionLog).where(eq(batchExecutionLog.batchId, batchId)),
    stack.db.select().from(stageOutcome).where(eq(stageOutcome.callId, callId)),
    stack.db.select().from(call).where(eq(call.id, callId)),
  ]);
  return JSON.stringify(rows);
}

const promptsMentioning = (needle: string) =>
  stack.sim.prompts().filter((p) => p.messages.some((m) => m.content.includes(needle)));

describe('redaction as a stage between STT and the LLMs', () => {
  test('the LLMs get placeholders, the database keeps no value, the recording is silent over them', async () => {
    await setPolicy(null);
    const { row, batchId, taskId } = await auditPiiCall();

    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(t?.redactedAt, 'the transcript is marked redacted');
    for (const p of ['[CARD]', '[EMAIL]', '[PHONE]']) assert.ok(t.text.includes(p), `${p} in ${t.text}`);
    assert.equal(t.originalText, null, 'the default policy keeps no original');
    assert.equal(t.originalSegments, null);

    // What the LLM endpoints received: the placeholders, never a value.
    const sent = promptsMentioning('[CARD]');
    assert.deepEqual(sent.map((p) => p.stage).sort(), ['llm1', 'llm2'], 'both LLM stages read the call');
    for (const p of sent)
      for (const value of SPOKEN)
        assert.ok(!JSON.stringify(p.messages).includes(value), `${p.stage} was sent ${value}`);
    for (const value of SPOKEN) assert.equal(promptsMentioning(value).length, 0, `an LLM saw ${value}`);

    // No value anywhere in the database rows of the call.
    const stored = await everythingAbout(row.id, batchId);
    for (const value of SPOKEN) assert.ok(!stored.includes(value), `the database holds ${value}`);

    // The entities: types, placeholders, segments, character and time spans; the card in two parts.
    const entities = t.redactedEntities ?? [];
    assert.deepEqual(
      entities.map((e) => e.type),
      ['card', 'email', 'phone'],
    );
    const card = entities[0]!;
    assert.equal(card.placeholder, '[CARD]');
    assert.deepEqual(
      card.parts.map((p) => p.segment),
      [1, 2],
      'cut across two segments',
    );
    for (const e of entities) {
      assert.ok(e.time && e.time.end > e.time.start, `${e.type} has a time span`);
      for (const p of e.parts) assert.ok(p.end > p.start, `${e.type} has a character span`);
      assert.deepEqual(Object.keys(e).sort(), ['parts', 'placeholder', 'time', 'type'], 'no value is kept');
    }

    // The stored recording is the redacted copy; the upload is gone; silence over the spans, tone elsewhere.
    assert.match(row.storedPath, /\.redact\.wav$/);
    assert.equal(row.originalPath, null);
    const dir = path.dirname(stack.audio.resolve(row.storedPath));
    const stem = path.basename(row.storedPath).split('.')[0]!;
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith(`${stem}.`)),
      [path.basename(row.storedPath)],
      'only the redacted recording is left',
    );
    for (const e of entities) {
      const volume = await meanVolume(row.storedPath, e.time!.start, e.time!.end - e.time!.start);
      assert.ok(volume < -80, `${e.type} ${JSON.stringify(e.time)} is silent: ${volume} dB`);
    }
    assert.ok((await meanVolume(row.storedPath, 0.2, 1)) > -40, 'the greeting is not silenced');
    assert.ok(
      (await meanVolume(row.storedPath, 15 + MASK_PAD_SEC + 0.2, 1)) > -40,
      'the goodbye is not silenced',
    );

    // The call page's JSON shows the redacted text and where the entities were.
    const detail = await getJson(stack.app, `/calls/${row.id}`);
    assert.equal(detail.status, 200);
    const shown = detail.body.transcript as { text: string; redaction?: { entities: { type: string }[] } };
    assert.ok(shown.text.includes('[CARD]'));
    for (const value of SPOKEN) assert.ok(!JSON.stringify(detail.body).includes(value), value);
    assert.deepEqual(
      shown.redaction?.entities.map((e) => e.type),
      ['card', 'email', 'phone'],
    );

    const page = await (await stack.app.request(`/ui/f/calls/${row.id}`)).text();
    assert.match(page, /data-redaction="3"/, 'the call page lists the three entities');
    assert.ok(page.includes('[CARD]'));
    for (const value of SPOKEN) assert.ok(!page.includes(value), `the call page shows ${value}`);

    // The stage is counted like the others.
    const status = await getJson(stack.app, `/audit/status/${taskId}`);
    assert.ok(JSON.stringify(status.body).includes('redact'), JSON.stringify(status.body));
    const [dist] = await stack.db.select().from(fileDistribution).where(eq(fileDistribution.callId, row.id));
    assert.equal(dist?.redactDone, true);

    // A crash after the commit and before the unredacted copies went: the retry, finding the stage done,
    // removes them and forgets the original's path.
    const leftover = `${stem}.wav`;
    await writeFile(path.join(dir, leftover), makeWav(1, 1));
    await writeFile(path.join(dir, `${stem}.ivr.wav`), makeWav(1, 2));
    const relative = path.join(path.dirname(row.storedPath), leftover);
    await stack.db.update(call).set({ originalPath: relative }).where(eq(call.id, row.id));
    const { runRedact } = createRedactActivities({ db: stack.db, audio: stack.audio });
    await runRedact({
      batchId,
      callId: row.id,
      route: { gpuNode: 'node-a', llmEndpoint: 'llm-a' },
      last: false,
    });
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.startsWith(`${stem}.`)),
      [path.basename(row.storedPath)],
      'the retry removed the unredacted copies',
    );
    const [retried] = await stack.db.select().from(call).where(eq(call.id, row.id));
    assert.equal(retried?.originalPath, null);
    assert.equal(retried?.storedPath, row.storedPath);

    // Histories with the redact stage, for the replay test.
    const prefix = stack.config.COFI_TASK_QUEUE;
    await recordHistory(stack.client, workflowIds.call(prefix, batchId, row.id), 'callPipelineV2.redact');
    await recordHistory(stack.client, workflowIds.auditUpload(prefix), 'auditUploadV2.redact');
  });

  test('keepOriginal keeps the unredacted transcript and recording beside the redacted ones', async () => {
    await setPolicy({ keepOriginal: true, audio: 'beep' });
    const { name, row } = await auditPiiCall();
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(t?.redactedAt);
    assert.ok(t.text.includes('[CARD]'));
    assert.ok(t.originalText?.includes(SPOKEN[0]!), 'the original text is kept');
    assert.ok(JSON.stringify(t.originalSegments).includes(PII_VALUES.email));
    assert.match(row.storedPath, /\.redact\.wav$/);
    assert.ok(row.originalPath, 'the original recording is named');
    assert.ok(await stat(stack.audio.resolve(row.originalPath)), 'and still there');
    const card = t.redactedEntities![0]!;
    const span = [card.time!.start, card.time!.end - card.time!.start] as const;
    assert.ok((await meanVolume(row.originalPath, ...span)) > -40, 'the original is not silenced');
    // Beeped: not silent, but not the recording's tone either (a 1 kHz tone over it).
    assert.ok((await meanVolume(row.storedPath, ...span)) > -40, 'the beep is audible');

    // A reaudit keeps the results it replaces as a version: the redacted transcript, never the original.
    const res = await postReaudit(stack.app, { audio_names: [name], stages: ['llm2'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const snapshot = await versionKept(row.id, Number(res.body.batch_id));
    assert.ok(String(snapshot.transcript?.text).includes('[CARD]'), 'the redacted text is kept');
    assert.ok(!('originalText' in snapshot.transcript!) && !('originalSegments' in snapshot.transcript!));
    for (const value of SPOKEN)
      assert.ok(!JSON.stringify(snapshot).includes(value), `the version holds ${value}`);
  });

  test('a Spanish call is redacted with the Spanish rules', async () => {
    await setPolicy(null);
    const { row } = await auditPiiCall(`pii-es-${nameTag()}.wav`);
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.equal(t?.lang, 'es');
    assert.deepEqual(
      t?.redactedEntities?.map((e) => e.type),
      ['card', 'email', 'phone'],
    );
    for (const value of ['cuatro cinco tres dos', PII_VALUES.email, 'seis uno dos'])
      assert.ok(!t?.text.includes(value), value);
  });

  test('a language redaction has no rules for fails the call at redact, and nothing reaches an LLM', async () => {
    await setPolicy(null);
    const name = `call-fr-${nameTag()}.wav`;
    const sentBefore = stack.sim.prompts().length;
    const res = await uploadAudit(stack.app, auditForm([{ name, bytes: makeWav(8, 5) }]));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Failed', JSON.stringify(final));
    const [row] = await stack.db
      .select()
      .from(call)
      .where(eq(call.batchId, Number(res.body.batch_id)));
    assert.equal(row?.lang, 'fr');
    assert.equal(row?.failedStage, 'redact');
    assert.match(String(row?.errorMessage), /no rules for language "fr".*not sent to the LLMs/);
    assert.equal(stack.sim.prompts().length, sentBefore, 'no LLM request');
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row!.id));
    assert.equal(t?.redactedAt, null);
    // What STT heard is not stored to be served: no text, the segments' times without theirs, no original.
    assert.equal(t?.text, '');
    assert.ok(t!.segments.length > 0, 'the segments stay');
    assert.ok(
      t!.segments.every((s) => s.text === '' && s.end >= s.start),
      JSON.stringify(t!.segments),
    );
    assert.equal(t?.originalText, null, 'the default policy keeps no original');
    const detail = await getJson(stack.app, `/calls/${row!.id}`);
    assert.equal((detail.body.transcript as { text: string }).text, '');
  });

  test("a language the process's policy does not name fails at redact; the original only as the policy keeps it", async () => {
    await setPolicy({ languages: ['en'], keepOriginal: true });
    const { row } = await auditPiiCall(`pii-es-${nameTag()}.wav`, 'Failed');
    assert.equal(row.lang, 'es');
    assert.equal(row.failedStage, 'redact');
    assert.match(String(row.errorMessage), /policy names the languages en, not "es"/);
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.equal(t?.redactedAt, null);
    assert.equal(t?.text, '', 'nothing unredacted is served');
    assert.ok(t!.segments.every((s) => s.text === ''));
    assert.ok(t?.originalText?.includes(PII_VALUES.email), 'the kept original, as the policy asks');
    const detail = await getJson(stack.app, `/calls/${row.id}`);
    assert.ok(!JSON.stringify(detail.body).includes(PII_VALUES.email), 'and not served');
  });

  test('a policy without entity types passes the transcript through (marked as redacted)', async () => {
    await setPolicy({ entities: [] });
    const { row } = await auditPiiCall();
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(t?.redactedAt, 'it went through the stage');
    assert.deepEqual(t.redactedEntities, []);
    assert.ok(t.text.includes(PII_VALUES.email), 'nothing was replaced');
    assert.ok(!row.storedPath.includes('.redact.'), 'the recording is untouched');
  });

  test('a reaudit of redact re-runs it and the LLMs; a retry does not redact placeholders again', async () => {
    await setPolicy(null);
    const first = await auditPiiCall();
    const [before] = await stack.db.select().from(transcript).where(eq(transcript.callId, first.row.id));
    const res = await postReaudit(stack.app, { audio_names: [first.name], stages: ['redact'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.stages, ['redact', 'llm1', 'llm2']);
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [after] = await stack.db.select().from(transcript).where(eq(transcript.callId, first.row.id));
    assert.equal(after?.text, before?.text, 'the redacted text is redacted once');
    assert.deepEqual(after?.redactedEntities, before?.redactedEntities, 'and its entities kept, not doubled');
    const [row] = await stack.db.select().from(call).where(eq(call.id, first.row.id));
    assert.equal(row?.storedPath, first.row.storedPath);
    assert.ok((await meanVolume(row!.storedPath, 0.2, 1)) > -40, 'masking again did not spread');
    const prefix = stack.config.COFI_TASK_QUEUE;
    await recordHistory(
      stack.client,
      workflowIds.reaudit(prefix, Number(res.body.batch_id)),
      'reauditV2.redact',
    );
  });

  test('a reaudit of redact after the policy starts masking audio masks what the first run found', async () => {
    await setPolicy({ audio: 'none' });
    const first = await auditPiiCall();
    assert.ok(!first.row.storedPath.includes('.redact.'), 'audio none: the recording is untouched');
    await setPolicy(null);
    const res = await postReaudit(stack.app, { audio_names: [first.name], stages: ['redact'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [row] = await stack.db.select().from(call).where(eq(call.id, first.row.id));
    assert.match(String(row?.storedPath), /\.redact\.wav$/, 'the stored recording is the masked copy now');
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, first.row.id));
    assert.deepEqual(
      t?.redactedEntities?.map((e) => e.type),
      ['card', 'email', 'phone'],
    );
    for (const e of t!.redactedEntities!) {
      const volume = await meanVolume(row!.storedPath, e.time!.start, e.time!.end - e.time!.start);
      assert.ok(volume < -80, `${e.type} ${JSON.stringify(e.time)} is silent: ${volume} dB`);
    }
    assert.ok((await meanVolume(row!.storedPath, 0.2, 1)) > -40, 'the greeting is not silenced');
  });

  test('redact on a call whose recording expired redacts the transcript and logs the audio it could not mask', async () => {
    await setPolicy({ audio: 'none' });
    const { name, row } = await auditPiiCall();
    // Retention expired the recording: its files are gone.
    await stack.audio.removeCallFiles(row.storedPath);
    await stack.db.update(call).set({ recordingExpiredAt: new Date() }).where(eq(call.id, row.id));
    await setPolicy(null);
    const res = await postReaudit(stack.app, { audio_names: [name], stages: ['redact'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [after] = await stack.db.select().from(call).where(eq(call.id, row.id));
    assert.equal(after?.storedPath, row.storedPath, 'no masked copy of a recording that is gone');
    const [t] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(t?.redactedAt && t.text.includes('[CARD]'), 'the transcript is redacted');
    const events = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(eq(batchExecutionLog.batchId, Number(res.body.batch_id)));
    const skipped = events.filter((e) => e.eventType === 'audio_not_masked');
    assert.equal(skipped.length, 1, JSON.stringify(events.map((e) => e.eventType)));
    assert.equal(skipped[0]?.stage, 'redact');
    assert.equal(skipped[0]?.callId, row.id);
    assert.match(String(skipped[0]?.message), /recording expired by retention.*3 span\(s\) not masked/);
  });

  test('a reaudit of an LLM stage on a transcript never redacted runs redact first, then the LLM', async () => {
    // A call transcribed before the redact stage existed (or by a batch that ran without it).
    await setPolicy(null);
    const { name, row } = await auditPiiCall();
    const [kept] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    await stack.db
      .update(transcript)
      .set({
        redactedAt: null,
        redactedEntities: null,
        text: `my card number is ${PII_VALUES.card}`,
        segments: [{ id: 0, start: 0, end: 4, text: `my card number is ${PII_VALUES.card}` }],
      })
      .where(eq(transcript.callId, row.id));
    // An answer of the unredacted transcript quoted the card number.
    await stack.db
      .update(auditAnswer)
      .set({ evidence: `the caller read out ${PII_VALUES.card}` })
      .where(eq(auditAnswer.callId, row.id));
    await stack.db
      .update(analysis)
      .set({ summary: `paid with card ${PII_VALUES.card}`, keyFacts: [`card ${PII_VALUES.card}`] })
      .where(eq(analysis.callId, row.id));
    const asked = promptsMentioning(PII_VALUES.card).length;
    const res = await postReaudit(stack.app, { audio_names: [name], stages: ['llm2'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [batch] = await stack.db
      .select()
      .from(batchStatus)
      .where(eq(batchStatus.id, Number(res.body.batch_id)));
    // llm1 reads the redacted transcript too: its analysis of the unredacted one is made again.
    assert.deepEqual(batch?.stages, ['redact', 'llm1', 'llm2']);
    assert.deepEqual((batch?.details as { redactFirst?: number[] } | undefined)?.redactFirst, [row.id]);
    const [after] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(after?.redactedAt, 'redacted now');
    assert.doesNotMatch(after!.text, new RegExp(PII_VALUES.card));
    assert.equal(promptsMentioning(PII_VALUES.card).length, asked, 'no LLM was sent the card number');
    // The version of the replaced results holds no text of the unredacted transcript, and evidence redacted.
    const snapshot = await versionKept(row.id, Number(res.body.batch_id));
    assert.equal(snapshot.transcript?.text, null);
    assert.equal(snapshot.transcript?.segments, null);
    assert.ok(snapshot.answers.length > 0);
    for (const a of snapshot.answers) assert.equal(a.evidence, 'the caller read out [CARD]');
    assert.equal(
      snapshot.analysis?.summary,
      'paid with card [CARD]',
      'the analysis of the unredacted text too',
    );
    assert.deepEqual(snapshot.analysis?.keyFacts, ['card [CARD]']);
    assert.ok(!JSON.stringify(snapshot).includes(PII_VALUES.card), 'the version holds the card number');
    await stack.db.update(transcript).set(kept!).where(eq(transcript.callId, row.id));
  });

  test('a reaudit of redact over a batch is the backfill of transcripts stored before the stage', async () => {
    await setPolicy(null);
    const { row, batchId } = await auditPiiCall();
    const [kept] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    const spoken = `my card number is ${PII_VALUES.card}`;
    await stack.db
      .update(transcript)
      .set({
        redactedAt: null,
        redactedEntities: null,
        text: spoken,
        segments: [{ id: 0, start: 0, end: 4, text: spoken }],
      })
      .where(eq(transcript.callId, row.id));
    const res = await postReaudit(stack.app, { batch_id: batchId, stages: ['redact'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body.stages, ['redact', 'llm1', 'llm2']);
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Completed', JSON.stringify(final));
    const [after] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.ok(after?.redactedAt);
    assert.equal(after?.text, 'my card number is [CARD]');
    await stack.db.update(transcript).set(kept!).where(eq(transcript.callId, row.id));
  });

  test('a re-run refused by a narrowed policy keeps the text an earlier run redacted', async () => {
    await setPolicy(null);
    const { name, row } = await auditPiiCall();
    const [before] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    await setPolicy({ languages: ['es'] });
    const res = await postReaudit(stack.app, { audio_names: [name], stages: ['redact'] });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, String(res.body.task_id));
    assert.equal(final.status, 'Failed', JSON.stringify(final));
    const [failed] = await stack.db.select().from(call).where(eq(call.id, row.id));
    assert.equal(failed?.failedStage, 'redact');
    const [after] = await stack.db.select().from(transcript).where(eq(transcript.callId, row.id));
    assert.equal(after?.text, before?.text, 'the redacted text stays');
    assert.ok(after?.text.includes('[CARD]'));
    await setPolicy(null);
  });

  test('an LLM stage itself refuses a transcript that has not been through redaction, naming why', async () => {
    await setPolicy(null);
    const { row } = await auditPiiCall();
    await stack.db.update(transcript).set({ redactedAt: null }).where(eq(transcript.callId, row.id));
    await stack.db
      .update(fileDistribution)
      .set({ llm1Done: false })
      .where(eq(fileDistribution.callId, row.id));
    const { runLlm1 } = createLlmActivities({
      db: stack.db,
      config: stack.config,
      inference: {},
    } as unknown as ActivityDeps);
    await assert.rejects(
      runLlm1({
        batchId: row.batchId,
        callId: row.id,
        route: { gpuNode: 'node-a', llmEndpoint: stack.config.fleet.llm[0]!.id },
        last: false,
      }),
      (err: ApplicationFailure) =>
        err.type === 'not_redacted' && err.nonRetryable && /has not been through redaction/.test(err.message),
    );
  });
});
