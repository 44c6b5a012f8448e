// Daily batch intake of the first batch shape (workflows/v1/dailyBatch.ts), kept for days started before the
// batch ledger: the day's recordings from DAILY_DIR/<date>/ become calls of that day's batch.
import { copyFile, link, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { and, count, eq, inArray, isNotNull } from 'drizzle-orm';
import type { Stage } from '../../core/stages.js';
import { batchStatus, call } from '../../drizzle/schema/index.js';
import { logEvent } from '../../lifecycle/events.js';
import { listRecordings } from '../daily.js';
import type { ActivityDeps } from '../deps.js';

export type IngestInput = {
  batchDate: string;
  folder?: string;
  stages: Stage[];
  workflowId: string;
  /** The workflow run that ingests: one ingestion event per run (absent in older runs). */
  runId?: string;
};
export type IngestOutput = {
  batchId: number;
  added: number;
  /** Recordings already in a batch (an earlier run of the day, or another day's folder). */
  skipped: number;
  /** Entries that are not recordings cofi reads: other file names, symbolic links, special files. */
  ignored: number;
  total: number;
};

/** How many ignored entries the ingestion event names (the count is always whole). */
const IGNORED_EXAMPLES = 20;

export function createV1DailyActivities({
  db,
  config,
  audio,
}: Pick<ActivityDeps, 'db' | 'config' | 'audio'>) {
  const root = path.resolve(config.DAILY_DIR);
  return {
    /**
     * Idempotent: the day's batch row is found by its task id, and a file is added only when no call has
     * its `sourcePath` yet, so a re-run (or a resumed day) adds only new recordings.
     */
    async ingestDaily({ batchDate, folder, stages, workflowId, runId }: IngestInput): Promise<IngestOutput> {
      const dir = path.resolve(root, folder ?? batchDate);
      if (dir !== root && !dir.startsWith(root + path.sep))
        throw new Error(`folder escapes DAILY_DIR: ${folder}`);
      const taskId = `daily-${batchDate}`;
      let [batch] = await db.select().from(batchStatus).where(eq(batchStatus.taskId, taskId));
      if (!batch) {
        await db
          .insert(batchStatus)
          .values({
            batchDate,
            kind: 'daily',
            taskId,
            workflowId,
            processId: config.DAILY_PROCESS_ID,
            categoryMappingId: config.DAILY_CATEGORY_MAPPING_ID,
            stages,
            source: path.relative(root, dir) || '.',
          })
          .onDuplicateKeyUpdate({ set: { taskId } });
        [batch] = await db.select().from(batchStatus).where(eq(batchStatus.taskId, taskId));
      }
      const batchId = batch!.id;
      await db
        .update(batchStatus)
        .set({ workflowId, stages, status: 'InProgress' })
        .where(eq(batchStatus.id, batchId));

      const { recordings: files, ignored } = await listRecordings(dir);
      const sources = files.map((f) => path.relative(root, f));
      const known = new Set<string>();
      for (let i = 0; i < sources.length; i += 500) {
        const chunk = sources.slice(i, i + 500);
        const rows = await db
          .select({ sourcePath: call.sourcePath })
          .from(call)
          .where(and(isNotNull(call.sourcePath), inArray(call.sourcePath, chunk)));
        for (const r of rows) if (r.sourcePath) known.add(r.sourcePath);
      }
      const [existing] = await db.select({ n: count() }).from(call).where(eq(call.batchId, batchId));
      let position = existing?.n ?? 0;
      let added = 0;
      await mkdir(audio.resolve(`batch-${batchId}`), { recursive: true });
      for (const [i, file] of files.entries()) {
        const source = sources[i]!;
        if (known.has(source)) continue;
        position++;
        const ext = path.extname(file).slice(1).toLowerCase();
        const storedPath = audio.batchFile(batchId, position, ext);
        // A hard link costs no space; across file systems it falls back to a copy.
        await link(file, audio.resolve(storedPath)).catch(() => copyFile(file, audio.resolve(storedPath)));
        await db
          .insert(call)
          .values({
            batchId,
            audioName: path.relative(dir, file).slice(0, 255),
            storedPath,
            sourcePath: source,
            processId: config.DAILY_PROCESS_ID,
            categoryMappingId: config.DAILY_CATEGORY_MAPPING_ID,
          })
          .onDuplicateKeyUpdate({ set: { sourcePath: source } });
        added++;
      }
      const [total] = await db.select({ n: count() }).from(call).where(eq(call.batchId, batchId));
      await db
        .update(batchStatus)
        .set({ totalFiles: total?.n ?? 0 })
        .where(eq(batchStatus.id, batchId));
      const skipped = files.length - added;
      const shown = path.relative(root, dir) || '.';
      await logEvent(db, {
        batchId,
        stage: 'ingest',
        eventType: 'batch_ingested',
        status: 'Complete',
        message:
          `${added} new recording(s) from ${shown}/, ${skipped} already in a batch` +
          (ignored.length ? `, ${ignored.length} other file(s) ignored` : ''),
        totalFiles: total?.n ?? 0,
        metadata: {
          folder: shown,
          added,
          skipped,
          ignored: ignored.length,
          ignoredExamples: ignored.slice(0, IGNORED_EXAMPLES).map((i) => ({
            path: path.relative(root, i.path),
            reason: i.reason,
          })),
        },
        // A retried activity logs once; a later run of the same day logs its own ingestion.
        eventKey: `${batchId}:ingest:batch_ingested:${runId ?? workflowId}`.slice(0, 191),
      });
      return { batchId, added, skipped, ignored: ignored.length, total: total?.n ?? 0 };
    },
  };
}
