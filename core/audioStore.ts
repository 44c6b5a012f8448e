// The audio store: a folder with a staging area for uploads and one folder per batch.
// Stored names are derived by cofi (batch, position, format); a client's file name is never a path.
import { randomUUID } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';

export type AudioStore = ReturnType<typeof createAudioStore>;

/** A staging folder no upload can still be writing: uploads that stall are cut long before (UPLOAD_*). */
export const STALE_STAGING_MS = 24 * 3600_000;

/**
 * `owner` names the process that stages uploads here (the API: its host and port), so that one restarted
 * after a crash can remove what its predecessor left half-written without touching another API's uploads.
 */
export function createAudioStore(root: string, { owner = 'local' }: { owner?: string } = {}) {
  const base = path.resolve(root);
  const tag = `${owner.replace(/[^A-Za-z0-9.-]+/g, '_')}--`;
  const inside = (relative: string) => {
    const full = path.resolve(base, relative);
    if (!full.startsWith(base + path.sep)) throw new Error(`path escapes the audio store: ${relative}`);
    return full;
  };
  return {
    root: base,
    /** Absolute path of a stored file from its relative `storedPath`. */
    resolve: inside,
    /** A fresh, empty staging folder for one upload. */
    async createStaging(): Promise<{ id: string; dir: string }> {
      const id = randomUUID();
      const dir = inside(path.join('staging', `${tag}${id}`));
      await mkdir(dir, { recursive: true });
      return { id, dir };
    },
    /** Relative path of the n-th file of a batch. */
    batchFile(batchId: number, position: number, format: string): string {
      return path.join(`batch-${batchId}`, `${String(position).padStart(5, '0')}.${format}`);
    },
    /** Moves a staging folder to become the batch's folder (one rename: all or nothing). */
    async commitStaging(stagingDir: string, batchId: number): Promise<void> {
      await rename(stagingDir, inside(`batch-${batchId}`));
    },
    async removeBatch(batchId: number): Promise<void> {
      await rm(inside(`batch-${batchId}`), { recursive: true, force: true });
    },
    /**
     * Removes the staging folders a crashed process left: this owner's (call it before taking uploads: none
     * of them is in progress) and anyone's older than `staleMs`. Returns how many went.
     */
    async sweepStaging(staleMs = STALE_STAGING_MS, now = Date.now()): Promise<number> {
      const staging = inside('staging');
      const entries = await readdir(staging).catch(() => [] as string[]);
      let removed = 0;
      for (const name of entries) {
        const dir = path.join(staging, name);
        const info = await stat(dir).catch(() => null);
        if (!info) continue;
        if (name.startsWith(tag) || now - info.mtimeMs > staleMs) {
          await rm(dir, { recursive: true, force: true });
          removed++;
        }
      }
      return removed;
    },
    /**
     * Removes every file of one call: its stored recording and the copies derived from it (`00001.wav`,
     * `00001.denoise.wav`, `00001.ivr.wav` share the stem). Idempotent: a second call finds nothing and
     * returns 0, so an erasure cut short after its database commit is completed by the next attempt.
     */
    async removeCallFiles(storedPath: string): Promise<string[]> {
      const full = inside(storedPath);
      const dir = path.dirname(full);
      const stem = path.basename(full).split('.')[0];
      if (!stem) return [];
      const entries = await readdir(dir).catch(() => [] as string[]);
      const removed: string[] = [];
      for (const name of entries) {
        if (name.split('.')[0] !== stem) continue;
        await rm(path.join(dir, name), { force: true });
        removed.push(path.relative(base, path.join(dir, name)));
      }
      return removed;
    },
    async remove(dir: string): Promise<void> {
      if (!path.resolve(dir).startsWith(base + path.sep)) throw new Error(`not in the audio store: ${dir}`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
