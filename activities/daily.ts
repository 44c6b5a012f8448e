// Daily batch intake: the day's recordings from DAILY_DIR/<date>/ become calls of that day's batch, and the
// day's workflow takes the batch over (a new attempt when the day runs again: what was done stays done).
import { constants } from 'node:fs';
import { copyFile, link, mkdir, open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { and, count, eq, inArray, isNotNull, notExists, sql } from 'drizzle-orm';
import { AUDIO_FORMATS, type AudioInfo } from '../core/audio/probe.js';
import {
  type CallMetadata,
  CallMetadataError,
  metadataColumns,
  parseCallMetadata,
} from '../core/callMetadata.js';
import { stageFailure } from '../core/errors.js';
import { orderStages, type Stage } from '../core/stages.js';
import { batchStatus, call, callLock, stageOutcome } from '../drizzle/schema/index.js';
import { erasedAmong } from '../lifecycle/erasure.js';
import { eventKey, logEvent } from '../lifecycle/events.js';
import { recordOutcomes, reopenLedger } from '../lifecycle/ledger.js';
import type { ActivityDeps } from './deps.js';
import type { IngestDayInput, OpenedBatch } from './types.js';

/** How many ignored entries the ingestion event names (the count is always whole). */
const IGNORED_EXAMPLES = 20;

const EXTENSIONS = new Set([...AUDIO_FORMATS, 'oga', 'mp4', 'aac'].map((f) => `.${f}`));

export type Listing = { recordings: string[]; ignored: { path: string; reason: string }[] };

/**
 * The recordings under `dir`, and what was left out and why. Symbolic links are not followed (a link could
 * lead outside DAILY_DIR, or loop); they are reported instead, as are files without an audio extension.
 */
export async function listRecordings(dir: string): Promise<Listing> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true }).catch(
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return [];
      throw err;
    },
  );
  const listing: Listing = { recordings: [], ignored: [] };
  const sidecars: string[] = [];
  for (const e of entries) {
    if (e.isDirectory()) continue;
    const full = path.join(e.parentPath, e.name);
    const audio = EXTENSIONS.has(path.extname(e.name).toLowerCase());
    if (e.isFile() && audio) listing.recordings.push(full);
    // A recording's metadata sidecar is read with it (a sidecar without its recording is reported below).
    else if (e.isFile() && isSidecar(e.name)) sidecars.push(full);
    else
      listing.ignored.push({
        path: full,
        reason: e.isSymbolicLink()
          ? 'symbolic link (not followed)'
          : e.isFile()
            ? 'not an audio file name'
            : 'not a regular file',
      });
  }
  const recordings = new Set(listing.recordings);
  for (const s of sidecars)
    if (!recordings.has(s.slice(0, -SIDECAR.length)))
      listing.ignored.push({ path: s, reason: 'metadata sidecar without its recording' });
  listing.recordings.sort();
  listing.ignored.sort((a, b) => a.path.localeCompare(b.path));
  return listing;
}

/** A recording's metadata sidecar: its full file name plus `.json` (`call-1.wav.json` for `call-1.wav`). */
const SIDECAR = '.json';
/** The most a sidecar may hold: a few fields, so anything larger is not one. */
const SIDECAR_MAX_BYTES = 16 * 1024;
const isSidecar = (name: string) =>
  name.toLowerCase().endsWith(SIDECAR) &&
  EXTENSIONS.has(path.extname(name.slice(0, -SIDECAR.length)).toLowerCase());

/**
 * The metadata of a recording from its sidecar: nothing when there is none, or why it was refused (the
 * recording is ingested without metadata then, and the reason logged).
 */
export async function readSidecar(
  recording: string,
  now: Date = new Date(),
): Promise<{ metadata?: CallMetadata; problem?: { field: string | null; reason: string } }> {
  let text: string;
  try {
    // Not followed when a link, as recordings are not (it could lead outside DAILY_DIR).
    const handle = await open(recording + SIDECAR, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      const buffer = Buffer.alloc(SIDECAR_MAX_BYTES + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > SIDECAR_MAX_BYTES)
        return { problem: { field: null, reason: `is larger than ${SIDECAR_MAX_BYTES} bytes` } };
      text = new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return {};
    if (code === 'ELOOP') return { problem: { field: null, reason: 'is a symbolic link (not followed)' } };
    if (err instanceof TypeError) return { problem: { field: null, reason: 'is not valid UTF-8' } };
    return { problem: { field: null, reason: `could not be read: ${(err as Error).message}` } };
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return { problem: { field: null, reason: `is not valid JSON: ${(err as Error).message}` } };
  }
  try {
    return { metadata: parseCallMetadata(raw, now) };
  } catch (err) {
    if (!(err instanceof CallMetadataError)) throw err;
    return { problem: { field: err.field, reason: err.reason } };
  }
}

/** The stages of a day: distribution, the chosen audio clean-up, then inference. */
export function dailyStages(audioStages: readonly ('denoise' | 'ivr')[]): Stage[] {
  return orderStages<Stage>(['distribute', ...audioStages, 'lid', 'stt', 'redact', 'llm1', 'llm2']);
}

/** Links a recording into the audio store (a copy across file systems); never replaces a file that is there. */
async function store(source: string, target: string): Promise<void> {
  try {
    await link(source, target);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // Already there: an earlier attempt of this activity stored it under this call's own name.
    if (code === 'EEXIST') return;
    if (code !== 'EXDEV' && code !== 'EPERM') throw err;
    await copyFile(source, target, constants.COPYFILE_EXCL).catch((e: NodeJS.ErrnoException) => {
      if (e.code !== 'EEXIST') throw e;
    });
  }
}

export function createDailyActivities({ db, config, audio, inference }: ActivityDeps) {
  const root = path.resolve(config.DAILY_DIR);
  /**
   * A warning per refused sidecar, on its call, naming the file and the field. Written in the transaction that
   * inserts the calls: a retry of the ingestion does not read those recordings again, so it could not write
   * them later.
   */
  const logBadSidecars = async (
    q: Pick<typeof db, 'select' | 'insert'>,
    probed: { source: string; sidecar: Awaited<ReturnType<typeof readSidecar>> }[],
    batchId: number,
    ref: { batchId: number; attempt: number },
  ): Promise<void> => {
    const bad = probed.filter((f) => f.sidecar.problem);
    for (let i = 0; i < bad.length; i += 500) {
      const part = bad.slice(i, i + 500);
      const rows = await q
        .select({ id: call.id, sourcePath: call.sourcePath })
        .from(call)
        .where(
          and(
            eq(call.batchId, batchId),
            inArray(
              call.sourcePath,
              part.map((f) => f.source),
            ),
          ),
        );
      const ids = new Map(rows.map((r) => [r.sourcePath, r.id]));
      for (const f of part) {
        const { field, reason } = f.sidecar.problem!;
        const callId = ids.get(f.source) ?? null;
        await logEvent(q, {
          batchId,
          callId,
          stage: 'ingest',
          eventType: 'metadata_refused',
          status: 'Warning',
          message: `${f.source}${SIDECAR}: ${field ? `field ${field} ` : ''}${reason}; the recording is ingested without metadata`,
          metadata: { sidecar: f.source + SIDECAR, field, reason },
          eventKey: eventKey(ref, 'ingest', 'metadata_refused', callId ?? f.source),
        });
      }
    }
  };
  return {
    /**
     * Opens the day's batch for this workflow run and adds the recordings no batch has yet. Idempotent: the
     * day's row is found by its task id; the same run opens it once (a retry skips the opening); a file is added
     * only when no call has its `sourcePath`; stored names come from the call's position, taken under the day's
     * row lock, and a stored file is never replaced.
     */
    async ingestDay(input: IngestDayInput): Promise<OpenedBatch> {
      const { date, folder, workflowId, runId } = input;
      const dir = path.resolve(root, folder ?? date);
      if (dir !== root && !dir.startsWith(root + path.sep))
        throw stageFailure('missing_data', `folder escapes DAILY_DIR: ${folder}`);
      const stages = dailyStages(input.audioStages);
      const taskId = `daily-${date}`;
      const shown = path.relative(root, dir) || '.';
      await db
        .insert(batchStatus)
        .values({
          batchDate: date,
          kind: 'daily',
          taskId,
          workflowId,
          processId: config.DAILY_PROCESS_ID,
          categoryMappingId: config.DAILY_CATEGORY_MAPPING_ID,
          stages,
          source: shown,
        })
        .onDuplicateKeyUpdate({ set: { taskId: sql`taskId` } });

      // The opening: one transaction under the day's row lock.
      const opened = await db.transaction(async (tx) => {
        const [b] = await tx.select().from(batchStatus).where(eq(batchStatus.taskId, taskId)).for('update');
        if (!b) throw stageFailure('missing_data', `the batch of ${date} vanished`);
        if (b.runId === runId) return { batchId: b.id, attempt: b.attempt, again: true };
        const attempt = b.attempt + 1;
        // What was not done is undecided again; the stage view starts over for this attempt.
        await reopenLedger(tx, b.id);
        await tx
          .update(batchStatus)
          .set({
            workflowId,
            runId,
            attempt,
            stages,
            source: shown,
            status: 'InProgress',
            startedAt: sql`CURRENT_TIMESTAMP(3)`,
            completedAt: null,
            dbInsertionStatus: 'Pending',
            denoiseStatus: 'Pending',
            ivrStatus: 'Pending',
            lidStatus: 'Pending',
            sttStatus: 'Pending',
            llm1Status: 'Pending',
            llm2Status: 'Pending',
          })
          .where(eq(batchStatus.id, b.id));
        return { batchId: b.id, attempt, again: false };
      });
      const { batchId, attempt } = opened;
      const ref = { batchId, attempt };

      const { recordings: files, ignored } = await listRecordings(dir);
      const sources = files.map((f) => path.relative(root, f));
      const known = new Set<string>();
      for (let i = 0; i < sources.length; i += 500) {
        const rows = await db
          .select({ sourcePath: call.sourcePath })
          .from(call)
          .where(and(isNotNull(call.sourcePath), inArray(call.sourcePath, sources.slice(i, i + 500))));
        for (const r of rows) if (r.sourcePath) known.add(r.sourcePath);
      }
      // An erased call's recording stays in DAILY_DIR (the client's) and its call no longer names it: the
      // fingerprint its erasure kept says it is not to be ingested again.
      const erased = await erasedAmong(
        db,
        files.filter((_, i) => !known.has(sources[i]!)),
      );
      const fresh = files
        .map((file, i) => ({ file, source: sources[i]! }))
        .filter((f) => !known.has(f.source) && !erased.has(f.file));
      // Read each new file's header now: its duration orders the day (longest first) and a file that is not
      // audio fails at distribution with the reason.
      const ctx = Context.current();
      const probed: {
        file: string;
        source: string;
        info: AudioInfo | null;
        bytes: number;
        sidecar: Awaited<ReturnType<typeof readSidecar>>;
      }[] = [];
      for (const [i, f] of fresh.entries()) {
        if (i % 200 === 0) ctx.heartbeat();
        const info = await inference.probeAudio(f.file).catch(() => null);
        const sidecar = await readSidecar(f.file);
        probed.push({ ...f, info, bytes: info?.bytes ?? (await stat(f.file)).size, sidecar });
      }
      await mkdir(audio.resolve(`batch-${batchId}`), { recursive: true });
      for (let i = 0; i < probed.length; i += 500) {
        const chunk = probed.slice(i, i + 500);
        await db.transaction(async (tx) => {
          // Positions under the day's row lock: two ingests of one day can never take the same one.
          await tx
            .select({ id: batchStatus.id })
            .from(batchStatus)
            .where(eq(batchStatus.id, batchId))
            .for('update');
          const [{ n: existing } = { n: 0 }] = await tx
            .select({ n: count() })
            .from(call)
            .where(eq(call.batchId, batchId));
          const values = chunk.map((f, j) => {
            const ext = path.extname(f.file).slice(1).toLowerCase();
            return {
              batchId,
              audioName: path.relative(dir, f.file).slice(0, 255),
              storedPath: audio.batchFile(batchId, existing + j + 1, ext),
              sourcePath: f.source,
              processId: config.DAILY_PROCESS_ID,
              categoryMappingId: config.DAILY_CATEGORY_MAPPING_ID,
              audioFormat: f.info?.format ?? null,
              audioDuration: f.info?.duration ?? null,
              audioBytes: f.bytes,
              ...metadataColumns(f.sidecar.metadata),
            };
          });
          await tx
            .insert(call)
            .values(values)
            .onDuplicateKeyUpdate({ set: { sourcePath: sql`sourcePath` } });
          await logBadSidecars(tx, chunk, batchId, ref);
        });
      }

      // Every call of the day still to decide is held by this day; one held by another running batch (a
      // reaudit) stays with it and is skipped here, with the reason.
      const undecided = await db
        .select({
          id: call.id,
          sourcePath: call.sourcePath,
          storedPath: call.storedPath,
          originalPath: call.originalPath,
        })
        .from(call)
        .where(
          and(
            eq(call.batchId, batchId),
            notExists(
              db
                .select({ one: sql`1` })
                .from(stageOutcome)
                .where(
                  and(
                    eq(stageOutcome.batchId, batchId),
                    eq(stageOutcome.callId, call.id),
                    eq(stageOutcome.stage, stages.at(-1)!),
                  ),
                ),
            ),
          ),
        );
      const ids = undecided.map((r) => r.id);
      // Each call's recording in the audio store (the rows come first: an attempt cut short between the two is
      // completed here by the next one).
      for (const c of undecided) {
        if (!c.sourcePath) continue;
        const target = audio.resolve(c.originalPath ?? c.storedPath);
        if (await stat(target).catch(() => null)) continue;
        // A recording removed from DAILY_DIR before it was stored: its call fails at distribution, with why.
        await store(path.join(root, c.sourcePath), target).catch((err: NodeJS.ErrnoException) => {
          if (err.code !== 'ENOENT') throw err;
        });
      }
      for (let i = 0; i < ids.length; i += 500) {
        const part = ids.slice(i, i + 500);
        await db
          .insert(callLock)
          .values(part.map((callId) => ({ callId, batchId })))
          .onDuplicateKeyUpdate({ set: { callId: sql`callId` } });
      }
      const held = ids.length
        ? await db
            .select({ callId: callLock.callId, holder: batchStatus.taskId })
            .from(callLock)
            .innerJoin(batchStatus, eq(batchStatus.id, callLock.batchId))
            .where(and(inArray(callLock.callId, ids), sql`${callLock.batchId} <> ${batchId}`))
        : [];
      if (held.length) {
        await db.transaction(async (tx) => {
          const rows = held.flatMap((h) =>
            stages.map((stage) => ({
              batchId,
              callId: h.callId,
              stage,
              outcome: 'skipped' as const,
              reason: `held by ${h.holder}, which is running`,
            })),
          );
          for (let i = 0; i < rows.length; i += 500) await recordOutcomes(tx, rows.slice(i, i + 500));
        });
      }

      const [total] = await db.select({ n: count() }).from(call).where(eq(call.batchId, batchId));
      await db
        .update(batchStatus)
        .set({ totalFiles: total?.n ?? 0 })
        .where(eq(batchStatus.id, batchId));
      const added = fresh.length;
      const skipped = files.length - added - erased.size;
      const withMetadata = probed.filter((f) => f.sidecar.metadata).length;
      const badSidecars = probed.filter((f) => f.sidecar.problem).length;
      await logEvent(db, {
        batchId,
        stage: 'ingest',
        eventType: 'batch_ingested',
        status: 'Complete',
        message:
          `${added} new recording(s) from ${shown}/, ${skipped} already in a batch` +
          (withMetadata ? `, ${withMetadata} with metadata` : '') +
          (badSidecars
            ? `, ${badSidecars} with a refused metadata sidecar (ingested without metadata)`
            : '') +
          (ignored.length ? `, ${ignored.length} other file(s) ignored` : '') +
          (erased.size ? `, ${erased.size} erased earlier (not ingested again)` : '') +
          (held.length ? `, ${held.length} held by a running reaudit` : ''),
        totalFiles: total?.n ?? 0,
        metadata: {
          folder: shown,
          added,
          skipped,
          ...(withMetadata ? { withMetadata } : {}),
          ...(badSidecars ? { badSidecars } : {}),
          ignored: ignored.length,
          ignoredExamples: ignored.slice(0, IGNORED_EXAMPLES).map((i) => ({
            path: path.relative(root, i.path),
            reason: i.reason,
          })),
          ...(held.length ? { held: held.length } : {}),
          ...(erased.size ? { erased: erased.size } : {}),
        },
        eventKey: eventKey(ref, 'ingest', 'batch_ingested'),
      });
      await logEvent(db, {
        batchId,
        stage: 'batch',
        eventType: 'batch_start',
        status: 'InProgress',
        message: `batch started with ${total?.n ?? 0} calls${attempt > 1 ? ` (run ${attempt} of this day)` : ''}`,
        totalFiles: total?.n ?? 0,
        eventKey: eventKey(ref, 'batch', 'batch_start'),
      });
      return { batchId, attempt, stages, total: total?.n ?? 0 };
    },
  };
}
