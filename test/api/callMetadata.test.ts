// Call metadata at upload: the `metadata` form field's fields are stored on each call and shown by
// GET /calls/{id}, a batch's call list and the dashboard's call page; bad metadata is a 422 naming the file and
// the field, and leaves no batch, no call and no file behind.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { count, eq } from 'drizzle-orm';
import { batchStatus, call } from '../../drizzle/schema/index.js';
import { makeWav } from '../support/audio.js';
import { serveApp } from '../support/browser.js';
import { filesUnder } from '../support/hostile.js';
import { auditForm, getJson, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({ simulator: { timeScale: 0 } });
});
after(async () => {
  await stack?.stop();
});

async function counts() {
  const [b] = await stack.db.select({ n: count() }).from(batchStatus);
  const [c] = await stack.db.select({ n: count() }).from(call);
  return { batches: b!.n, calls: c!.n, files: (await filesUnder(stack.audio.root)).length };
}

const wav = (name: string, seed = 1) => ({ name, bytes: makeWav(1, seed) });
const twoFiles = () => [wav('one.wav', 1), wav('two.wav', 2)];
const withMetadata = (metadata: unknown) =>
  auditForm(twoFiles(), {
    process_id: '1',
    metadata: typeof metadata === 'string' ? metadata : JSON.stringify(metadata),
  });
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('call metadata at upload', () => {
  test('stored on each call, shown by GET /calls/{id}, the batch call list and the call page', async () => {
    const res = await uploadAudit(
      stack.app,
      withMetadata({
        'one.wav': {
          agent_id: '  a-17 ',
          team: 'North – Zürich',
          customer_reference: 'C-991/2026',
          call_started_at: '2026-11-30T10:12:00+01:00',
          direction: 'Inbound',
        },
        'two.wav': { team: 'south', agent_id: null },
      }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const batchId = Number(res.body.batch_id);
    const rows = await stack.db.select().from(call).where(eq(call.batchId, batchId)).orderBy(call.id);
    const one = rows.find((r) => r.audioName === 'one.wav')!;
    const two = rows.find((r) => r.audioName === 'two.wav')!;
    assert.equal(one.agentId, 'a-17', 'trimmed');
    assert.equal(one.team, 'North – Zürich');
    assert.equal(one.customerReference, 'C-991/2026');
    assert.equal(one.callStartedAt?.toISOString(), '2026-11-30T09:12:00.000Z', 'kept as the instant, in UTC');
    assert.equal(one.direction, 'inbound');
    assert.deepEqual(
      [two.agentId, two.team, two.customerReference, two.callStartedAt, two.direction],
      [null, 'south', null, null, null],
    );
    await waitForBatch(stack.app, String(res.body.task_id));

    const detail = await getJson(stack.app, `/calls/${one.id}`);
    assert.equal(detail.status, 200, JSON.stringify(detail.body));
    const shown = (detail.body as { call: Record<string, unknown> }).call;
    assert.deepEqual(
      {
        agent_id: shown.agent_id,
        team: shown.team,
        customer_reference: shown.customer_reference,
        call_started_at: shown.call_started_at,
        direction: shown.direction,
      },
      {
        agent_id: 'a-17',
        team: 'North – Zürich',
        customer_reference: 'C-991/2026',
        call_started_at: '2026-11-30T09:12:00.000Z',
        direction: 'inbound',
      },
    );
    const list = await getJson(stack.app, `/batches/${batchId}/calls`);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    const listed = (list.body as { calls: Record<string, unknown>[] }).calls;
    assert.deepEqual(
      listed.map((c) => [c.audio_name, c.agent_id, c.team, c.direction]),
      [
        ['one.wav', 'a-17', 'North – Zürich', 'inbound'],
        ['two.wav', null, 'south', null],
      ],
    );

    const page = await stack.app.request(`/ui/f/calls/${one.id}/player`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /data-metadata="agent_id">a-17</);
    assert.match(html, /data-metadata="customer_reference">C-991\/2026</);
    assert.match(html, /data-metadata="direction">inbound</);
    const plain = await (await stack.app.request(`/ui/f/calls/${two.id}/player`)).text();
    assert.match(plain, /data-metadata="team">south</);
    assert.doesNotMatch(plain, /data-metadata="agent_id"/, 'a field not given is not shown');
    const table = await (await stack.app.request(`/ui/f/batches/${batchId}/calls`)).text();
    assert.match(table, /one\.wav<\/a><\/td>\s*<td data-agent>a-17<\/td>/, 'the batch page names the agent');
  });

  const bad: [string, unknown, RegExp][] = [
    ['not JSON', '{"one.wav": {', /form field metadata: is not valid JSON/],
    ['not an object', ['one.wav'], /form field metadata: must be a JSON object from file name/],
    [
      'a file not uploaded',
      { 'three.wav': { agent_id: 'a' } },
      /"three\.wav", which is not one of the uploaded/,
    ],
    ['fields not an object', { 'one.wav': 'a-17' }, /file "one\.wav": must be a JSON object/],
    [
      'an unknown field',
      { 'one.wav': { agent: 'a-17' } },
      /file "one\.wav", field agent: is not a metadata field/,
    ],
    [
      'an empty agent_id',
      { 'two.wav': { agent_id: '   ' } },
      /file "two\.wav", field agent_id: must not be empty/,
    ],
    ['a numeric agent_id', { 'one.wav': { agent_id: 17 } }, /field agent_id: must be a string, got a number/],
    [
      'a team over 64 characters',
      { 'one.wav': { team: 't'.repeat(65) } },
      /file "one\.wav", field team: must be at most 64 characters, got 65/,
    ],
    [
      'a customer_reference over 128 characters',
      { 'two.wav': { customer_reference: 'c'.repeat(129) } },
      /file "two\.wav", field customer_reference: must be at most 128 characters/,
    ],
    [
      'a control character in agent_id',
      { 'one.wav': { agent_id: 'a\u0007b' } },
      /file "one\.wav", field agent_id: must be printable text/,
    ],
    [
      'a call start without a time zone',
      { 'one.wav': { call_started_at: '2026-11-30T09:12:00' } },
      /file "one\.wav", field call_started_at: must be an ISO 8601 date and time with a time zone/,
    ],
    [
      'a call start on a day that does not exist',
      { 'one.wav': { call_started_at: '2026-02-30T09:12:00Z' } },
      /field call_started_at: is not a real date and time/,
    ],
    [
      'a call start two days ahead',
      { 'one.wav': { call_started_at: inDays(2) } },
      /field call_started_at: is more than a day in the future/,
    ],
    [
      'an unknown direction',
      { 'one.wav': { direction: 'sideways' } },
      /file "one\.wav", field direction: must be one of inbound, outbound/,
    ],
  ];
  for (const [what, metadata, detail] of bad) {
    test(`${what}: 422 saying what is wrong, nothing stored`, async () => {
      const before = await counts();
      const res = await uploadAudit(stack.app, withMetadata(metadata));
      assert.equal(res.status, 422, JSON.stringify(res.body));
      assert.match(String(res.body.detail), detail);
      assert.deepEqual(await counts(), before, 'no batch, no call rows, no staged or stored file');
    });
  }

  test('metadata given twice: 400, nothing stored', async () => {
    const before = await counts();
    const res = await uploadAudit(
      stack.app,
      auditForm(twoFiles(), { process_id: '1', metadata: ['{}', '{"one.wav": {"team": "a"}}'] }),
    );
    assert.equal(res.status, 400, JSON.stringify(res.body));
    assert.match(String(res.body.detail), /field "metadata" was given more than once/);
    assert.deepEqual(await counts(), before);
  });

  test('a call start a few hours ahead (another clock) is accepted', async () => {
    const res = await uploadAudit(
      stack.app,
      auditForm([wav('ahead.wav', 5)], {
        process_id: '1',
        metadata: JSON.stringify({ 'ahead.wav': { call_started_at: inDays(0.5), direction: 'outbound' } }),
      }),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const [row] = await stack.db
      .select()
      .from(call)
      .where(eq(call.batchId, Number(res.body.batch_id)));
    assert.equal(row!.direction, 'outbound');
    assert.ok(row!.callStartedAt && row!.callStartedAt.getTime() > Date.now());
    await waitForBatch(stack.app, String(res.body.task_id));
  });
});

describe('cofi audit with call metadata', () => {
  test('--sidecars reads <recording>.json, --metadata a file from name to fields; a bad one is exit 3', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'cofi-cli-meta-'));
    const served = await serveApp(stack.app);
    const run = promisify(execFile);
    const cofi = async (args: string[]) => {
      try {
        const { stdout, stderr } = await run(
          process.execPath,
          ['--import', 'tsx', 'cli/cofi.ts', '--url', served.url, ...args],
          { env: { ...process.env, COFI_API_KEY: '' }, timeout: 180_000 },
        );
        return { code: 0, stdout, stderr };
      } catch (err) {
        const e = err as { code?: number; stdout?: string; stderr?: string };
        return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
      }
    };
    try {
      const at = (name: string) => path.join(dir, name);
      await writeFile(at('cli-side.wav'), makeWav(1, 31));
      await writeFile(at('cli-side.wav.json'), JSON.stringify({ agent_id: 'a-31', direction: 'outbound' }));
      await writeFile(at('cli-listed.wav'), makeWav(1, 32));
      await writeFile(at('meta.json'), JSON.stringify({ 'cli-listed.wav': { team: 'west' } }));
      const args = ['audit', at('cli-side.wav'), at('cli-listed.wav'), '--process', '1', '--json'];
      const ok = await cofi([...args, '--sidecars', '--metadata', at('meta.json'), '--no-wait']);
      assert.equal(ok.code, 0, ok.stderr);
      const batchId = Number((JSON.parse(ok.stdout) as { batch_id: number }).batch_id);
      const rows = await stack.db.select().from(call).where(eq(call.batchId, batchId));
      assert.deepEqual(rows.map((r) => [r.audioName, r.agentId, r.team, r.direction]).sort(), [
        ['cli-listed.wav', null, 'west', null],
        ['cli-side.wav', 'a-31', null, 'outbound'],
      ]);
      await waitForBatch(stack.app, `audit-${batchId}`);

      await writeFile(at('meta.json'), JSON.stringify({ 'cli-listed.wav': { team: 'w'.repeat(65) } }));
      const before = await counts();
      const bad = await cofi([...args, '--metadata', at('meta.json'), '--no-wait']);
      assert.equal(bad.code, 3, bad.stderr);
      assert.match(bad.stderr, /file "cli-listed\.wav", field team: must be at most 64 characters/);
      assert.deepEqual(await counts(), before);
    } finally {
      await served.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
