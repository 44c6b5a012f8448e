// Call metadata in the daily batch: a recording's sidecar (`<recording>.json`, e.g. `call.wav.json`) gives its
// agent, team, customer reference, call start and direction. A refused sidecar does not hold the recording
// back: it is ingested without metadata, and a warning event names the sidecar and the field.
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { and, eq } from 'drizzle-orm';
import { batchExecutionLog, call } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { getJson, postJson, statusOf, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
let dailyDir: string;
// A day of its own per run: the batch of a day is found by its date.
const date = `${2100 + Math.floor(Math.random() * 800)}-${String(1 + Math.floor(Math.random() * 12)).padStart(2, '0')}-${String(1 + Math.floor(Math.random() * 28)).padStart(2, '0')}`;

const sidecar = (value: unknown) => JSON.stringify(value);

before(async () => {
  dailyDir = await mkdtemp(path.join(tmpdir(), 'cofi-daily-meta-'));
  const day = path.join(dailyDir, date);
  await mkdir(path.join(day, 'north'), { recursive: true });
  const files: [string, Uint8Array | string][] = [
    ['north/given.wav', makeWav(2, 71)],
    [
      'north/given.wav.json',
      sidecar({
        agent_id: ' a-17 ',
        team: 'north',
        customer_reference: 'C-991',
        call_started_at: '2026-11-30T10:12:00+01:00',
        direction: 'outbound',
      }),
    ],
    ['bad-field.wav', makeWav(2, 72)],
    ['bad-field.wav.json', sidecar({ agent_id: 'a-18', direction: 'sideways' })],
    ['unknown-field.wav', makeWav(2, 73)],
    ['unknown-field.wav.json', sidecar({ agent: 'a-19' })],
    ['not-json.wav', makeWav(2, 74)],
    ['not-json.wav.json', '{"agent_id": '],
    ['none.wav', makeWav(2, 75)],
    ['orphan.wav.json', sidecar({ agent_id: 'a-20' })],
  ];
  for (const [name, bytes] of files) await writeFile(path.join(day, name), bytes);
  // A sidecar that is a link is not followed, as recordings are not.
  await writeFile(path.join(dailyDir, 'elsewhere.json'), sidecar({ agent_id: 'a-21' }));
  await writeFile(path.join(day, 'linked.wav'), makeWav(2, 76));
  await symlink(path.join(dailyDir, 'elsewhere.json'), path.join(day, 'linked.wav.json'));
  stack = await startStack({ simulator: { timeScale: 0 }, env: { DAILY_DIR: dailyDir, DAILY_CRON: '' } });
});
after(async () => {
  await stack?.stop();
  await rm(dailyDir, { recursive: true, force: true });
});

async function waitForDaily(taskId: string) {
  // The day's row exists once the workflow has ingested the folder: allow a slow machine two minutes.
  for (let i = 0; i < 1200; i++) {
    if ((await statusOf(stack.app, taskId)).status === 200) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return waitForBatch(stack.app, taskId);
}

describe('daily batch: metadata sidecars', () => {
  test('a sidecar is stored on its call; a refused one leaves the call without metadata and a warning', async () => {
    const res = await postJson(stack.app, '/batches', { date });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { final } = await waitForDaily(String(res.body.task_id));
    assert.equal(
      final.total_files,
      6,
      'every recording is ingested, a refused sidecar or not; no sidecar is one',
    );
    const batchId = Number(final.batch_id);
    const calls = await stack.db.select().from(call).where(eq(call.batchId, batchId));
    const byName = new Map(calls.map((c) => [c.audioName, c]));
    const given = byName.get(path.join('north', 'given.wav'))!;
    assert.deepEqual(
      [
        given.agentId,
        given.team,
        given.customerReference,
        given.callStartedAt?.toISOString(),
        given.direction,
      ],
      ['a-17', 'north', 'C-991', '2026-11-30T09:12:00.000Z', 'outbound'],
    );
    for (const name of ['bad-field.wav', 'unknown-field.wav', 'not-json.wav', 'none.wav', 'linked.wav']) {
      const c = byName.get(name);
      assert.ok(c, `${name} is ingested`);
      assert.deepEqual(
        [c.agentId, c.team, c.customerReference, c.callStartedAt, c.direction],
        [null, null, null, null, null],
        `${name} has no metadata (a refused sidecar is not applied in part)`,
      );
    }

    const detail = await getJson(stack.app, `/calls/${given.id}`);
    assert.equal(detail.status, 200);
    const shown = (detail.body as { call: Record<string, unknown> }).call;
    assert.equal(shown.agent_id, 'a-17');
    assert.equal(shown.call_started_at, '2026-11-30T09:12:00.000Z');

    const warnings = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(
        and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'metadata_refused')),
      );
    const warning = (name: string) => {
      const w = warnings.find((e) => e.callId === byName.get(name)?.id);
      assert.ok(w, `a warning for ${name}: ${JSON.stringify(warnings)}`);
      assert.equal(w.status, 'Warning');
      // The sidecar is named by its path under DAILY_DIR, as the operator finds it.
      const prefix = `${date}/`;
      assert.ok(String(w.message).startsWith(prefix), String(w.message));
      return { ...w, message: String(w.message).slice(prefix.length) };
    };
    assert.equal(warnings.length, 4, warnings.map((w) => w.message).join('\n'));
    assert.match(
      String(warning('bad-field.wav').message),
      /^bad-field\.wav\.json: field direction must be one of inbound, outbound; the recording is ingested without metadata$/,
    );
    assert.equal(warning('bad-field.wav').metadata?.field, 'direction');
    assert.match(
      String(warning('unknown-field.wav').message),
      /^unknown-field\.wav\.json: field agent is not a metadata field/,
    );
    assert.match(String(warning('not-json.wav').message), /^not-json\.wav\.json: is not valid JSON/);
    assert.match(
      String(warning('linked.wav').message),
      /^linked\.wav\.json: is a symbolic link \(not followed\)/,
    );

    const [ingested] = await stack.db
      .select()
      .from(batchExecutionLog)
      .where(and(eq(batchExecutionLog.batchId, batchId), eq(batchExecutionLog.eventType, 'batch_ingested')));
    assert.ok(ingested, 'the ingestion event');
    assert.match(String(ingested.message), /1 with metadata, 4 with a refused metadata sidecar/);
    assert.equal(ingested.metadata?.withMetadata, 1);
    assert.equal(ingested.metadata?.badSidecars, 4);
    const examples = (ingested.metadata as { ignoredExamples: { path: string; reason: string }[] })
      .ignoredExamples;
    assert.deepEqual(
      examples.map((e) => [path.basename(e.path), e.reason]),
      [
        ['linked.wav.json', 'symbolic link (not followed)'],
        ['orphan.wav.json', 'metadata sidecar without its recording'],
      ],
      'a sidecar with its recording is not reported as ignored; one without is',
    );
  });
});
