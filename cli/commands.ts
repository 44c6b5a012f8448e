// What each CLI command does against the API: upload or reaudit and follow the batch to its end, cancel,
// status, list batches. Each returns the process exit code.
import { openAsBlob } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { type ApiClient, ApiFailure, answer, fileParts } from '../api/client.js';
import type { BatchDetail, CallSummary } from '../api/schemas.js';
import type { BatchKind, BatchStatus, ReauditStage } from '../core/stages.js';
import { createProgressView, headline, stageLines } from './progress.js';
import { renderTable } from './table.js';

type Out = { write(text: string): unknown };
export type CommandOptions = { json: boolean; tty: boolean; interval: number; wait: boolean; out: Out };

export const EXIT = { ok: 0, callsFailed: 1, usage: 2, api: 3 } as const;
const TERMINAL = ['Completed', 'CompletedWithErrors', 'Failed', 'Cancelled'];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const print = (o: CommandOptions, value: unknown) => o.out.write(`${JSON.stringify(value, null, 2)}\n`);

/** Files are read from disk as the request is sent (Blob from fs.openAsBlob), never held in memory. */
async function recordings(files: string[]): Promise<File[]> {
  const parts: File[] = [];
  for (const file of files) {
    const info = await stat(file).catch(() => null);
    if (!info?.isFile()) throw new ApiFailure(0, `not a file: ${file}`);
    parts.push(new File([await openAsBlob(file)], path.basename(file)));
  }
  return parts;
}

/**
 * The upload's `metadata` field: the JSON object of `--metadata <file>` (file name to fields), with, when
 * `sidecars`, each recording's `<recording>.json` next to it (as the daily batch reads them). The API checks it.
 */
async function uploadMetadata(files: string[], file?: string, sidecars = false): Promise<string | undefined> {
  const readJson = async (at: string) => {
    const text = await readFile(at, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' && at !== file) return undefined;
      throw new ApiFailure(0, `cannot read ${at}: ${err.message}`);
    });
    if (text === undefined) return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch (err) {
      throw new ApiFailure(0, `${at} is not valid JSON: ${(err as Error).message}`);
    }
  };
  const all: Record<string, unknown> = {};
  if (file !== undefined) {
    const given = await readJson(file);
    if (given === null || typeof given !== 'object' || Array.isArray(given))
      throw new ApiFailure(0, `${file} must hold a JSON object from file name to that file's metadata`);
    Object.assign(all, given);
  }
  if (sidecars)
    for (const recording of files) {
      const fields = await readJson(`${recording}.json`);
      if (fields !== undefined) all[path.basename(recording)] = fields;
    }
  return file !== undefined || Object.keys(all).length ? JSON.stringify(all) : undefined;
}

export async function audit(
  client: ApiClient,
  o: CommandOptions,
  files: string[],
  fields: {
    process: string;
    categoryMapping?: string;
    stages?: string;
    metadata?: string;
    sidecars?: boolean;
  },
): Promise<number> {
  const metadata = await uploadMetadata(files, fields.metadata, fields.sidecars);
  const form = {
    files: fileParts(await recordings(files)),
    process_id: fields.process,
    ...(fields.categoryMapping === undefined ? {} : { category_mapping_id: fields.categoryMapping }),
    ...(fields.stages === undefined ? {} : { stages: fields.stages }),
    ...(metadata === undefined ? {} : { metadata }),
  };
  const queued = await answer(client.audit.upload.$post({ form }));
  if (!o.json)
    o.out.write(`queued ${queued.task_id} (batch ${queued.batch_id}) with ${queued.files} file(s)\n`);
  return o.wait ? follow(client, o, queued.batch_id) : done(o, queued);
}

/** Which calls a reaudit re-runs: by audio name, by call id, or every call of a batch. */
export type ReauditTarget = { names: string[] } | { callIds: string } | { batch: string };

export async function reaudit(
  client: ApiClient,
  o: CommandOptions,
  target: ReauditTarget,
  stages: string,
): Promise<number> {
  const which =
    'names' in target
      ? { audio_names: target.names }
      : 'callIds' in target
        ? {
            call_ids: target.callIds
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean)
              // Checked by the API (a 422 names what is not an id).
              .map(Number),
          }
        : { batch_id: await batchIdOf(client, target.batch) };
  const queued = await answer(
    client.reaudit.$post({
      json: {
        ...which,
        stages: stages
          .split(',')
          .map((s) => s.trim())
          // Checked by the API (a 422 names a stage it does not know).
          .filter(Boolean) as ReauditStage[],
      },
    }),
  );
  if (!o.json) {
    o.out.write(
      `queued ${queued.task_id} (batch ${queued.batch_id}): ${queued.calls} call(s), stages ${queued.stages.join(', ')}\n`,
    );
    if (queued.not_found.length) o.out.write(`not found: ${queued.not_found.join(', ')}\n`);
  }
  return o.wait ? follow(client, o, queued.batch_id) : done(o, queued);
}

/** Re-runs the calls of a batch whose latest run failed, each from the stage it failed at; follows each reaudit. */
export async function retryFailed(client: ApiClient, o: CommandOptions, task: string): Promise<number> {
  const id = String(await batchIdOf(client, task));
  const queued = await answer(client.batches[':id']['retry-failed'].$post({ param: { id } }));
  if (!o.json) {
    o.out.write(`retrying ${queued.failed} failed call(s) of ${queued.task_id}:\n`);
    for (const r of queued.retries)
      o.out.write(
        `  queued ${r.task_id} (batch ${r.batch_id}): ${r.calls} call(s), stages ${r.stages.join(', ')}\n`,
      );
  }
  if (!o.wait) return done(o, queued);
  let worst: number = EXIT.ok;
  for (const r of queued.retries) worst = Math.max(worst, await follow(client, o, r.batch_id));
  return worst;
}

function done(o: CommandOptions, queued: unknown): number {
  if (o.json) print(o, queued);
  return EXIT.ok;
}

/** Polls the batch until it ends (drawing progress), then shows its calls; non-zero when any failed. */
async function follow(client: ApiClient, o: CommandOptions, batchId: number): Promise<number> {
  const view = o.json ? null : createProgressView(o.out, o.tty);
  let batch: BatchDetail;
  for (;;) {
    batch = await answer(client.batches[':id'].$get({ param: { id: String(batchId) } }));
    view?.update(batch);
    if (TERMINAL.includes(batch.status)) break;
    await sleep(o.interval);
  }
  const calls = await allCalls(client, batchId);
  const failed = calls.filter((c) => c.status !== 'Completed');
  if (o.json) {
    const {
      task_id,
      batch_id,
      status,
      completed,
      total_files,
      progress,
      temporal_url,
      temporal_workflows_url,
    } = batch;
    print(o, {
      task_id,
      batch_id,
      status,
      completed,
      failed: failed.length,
      total_files,
      progress,
      temporal_url,
      temporal_workflows_url,
      calls,
    });
  } else {
    o.out.write(
      `\n${callTable(calls)}\n\n${batch.task_id} ${batch.status}: ${calls.length - failed.length} completed, ${failed.length} not completed\n${temporalLines(batch).join('\n')}\n`,
    );
  }
  return batch.status === 'Completed' && failed.length === 0 ? EXIT.ok : EXIT.callsFailed;
}

async function allCalls(client: ApiClient, batchId: number): Promise<CallSummary[]> {
  const calls: CallSummary[] = [];
  let after: number | null = 0;
  while (after !== null) {
    const query: { limit: string; after?: string } = {
      limit: '5000',
      ...(after ? { after: String(after) } : {}),
    };
    const page: { calls: CallSummary[]; next_after: number | null } = await answer(
      client.batches[':id'].calls.$get({ param: { id: String(batchId) }, query }),
    );
    calls.push(...page.calls);
    after = page.next_after;
  }
  return calls;
}

/** Where an operator follows the batch in the Temporal Web UI: its current run, and all its workflows. */
function temporalLines(batch: BatchDetail): string[] {
  return [
    `  Temporal run:       ${batch.temporal_url}`,
    `  Temporal workflows: ${batch.temporal_workflows_url}`,
  ];
}

export function callTable(calls: CallSummary[]): string {
  return renderTable(calls, [
    { title: 'name', value: (c) => c.audio_name },
    { title: 'language', value: (c) => c.lang },
    { title: 'category', value: (c) => [c.category, c.sub_category].filter(Boolean).join(' / ') },
    { title: 'score', value: (c) => (c.score === null ? '' : c.score.toFixed(1)), right: true },
    { title: 'status', value: (c) => (c.failed_stage ? `${c.status} at ${c.failed_stage}` : c.status) },
  ]);
}

/** Stops a running batch of any kind (an upload, a day, a reaudit). */
export async function cancel(client: ApiClient, o: CommandOptions, task: string): Promise<number> {
  const id = String(await batchIdOf(client, task));
  const cancelling = await answer(client.batches[':id'].cancel.$post({ param: { id } }));
  if (o.json) print(o, cancelling);
  else o.out.write(`${cancelling.task_id}: ${cancelling.status}\n`);
  return EXIT.ok;
}

/** `audit-42`, `reaudit-43` or a bare id name a batch directly; other task ids (`daily-…`) are looked up. */
async function batchIdOf(client: ApiClient, task: string): Promise<number> {
  const direct = /^(?:(?:audit|reaudit)-)?(\d{1,10})$/.exec(task);
  if (direct) return Number(direct[1]);
  let before: string | undefined;
  for (let pages = 0; pages < 50; pages++) {
    const query = { limit: '200', ...(before ? { before } : {}) };
    const page = await answer(client.batches.$get({ query }));
    const hit = page.batches.find((b) => b.task_id === task);
    if (hit) return hit.batch_id;
    if (page.next_before === null) break;
    before = String(page.next_before);
  }
  throw new Error(`no batch with task id "${task}"`);
}

export async function status(client: ApiClient, o: CommandOptions, task: string): Promise<number> {
  const id = String(await batchIdOf(client, task));
  const batch = await answer(client.batches[':id'].$get({ param: { id } }));
  if (o.json) {
    print(o, batch);
    return EXIT.ok;
  }
  const from = Date.parse(batch.started_at ?? batch.created_at);
  const seconds = ((batch.completed_at ? Date.parse(batch.completed_at) : Date.now()) - from) / 1000;
  o.out.write(`${[headline(batch, seconds), ...stageLines(batch), ...temporalLines(batch)].join('\n')}\n`);
  return EXIT.ok;
}

export async function batches(
  client: ApiClient,
  o: CommandOptions,
  filter: { kind?: string; status?: string; limit?: string },
) {
  // The API checks kind and status (a 422 names a wrong one); the CLI passes them through as typed.
  const query = {
    ...(filter.kind ? { kind: filter.kind as BatchKind } : {}),
    ...(filter.status ? { status: filter.status as BatchStatus } : {}),
    ...(filter.limit ? { limit: filter.limit } : {}),
  };
  const page = await answer(client.batches.$get({ query }));
  if (o.json) {
    print(o, page);
    return EXIT.ok;
  }
  const table = renderTable(page.batches, [
    { title: 'task', value: (b) => b.task_id },
    { title: 'kind', value: (b) => b.kind },
    { title: 'status', value: (b) => b.status },
    { title: 'created', value: (b) => b.created_at.replace('T', ' ').slice(0, 19) },
    {
      title: 'files',
      value: (b) => `${b.completed}/${b.total_files}${b.failed ? ` (${b.failed} failed)` : ''}`,
      right: true,
    },
    {
      title: 'stages (done/total)',
      value: (b) =>
        b.stages.map((s) => `${s} ${b.progress[s]?.done ?? 0}/${b.progress[s]?.total ?? 0}`).join('  '),
    },
  ]);
  o.out.write(`${page.batches.length ? table : 'no batches'}\n`);
  return EXIT.ok;
}
