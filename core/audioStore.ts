// The audio store: a folder with a staging area for uploads and one folder per batch.
// Stored names are derived by cofi (batch, position, format); a client's file name is never a path.
import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';

export type AudioStore = ReturnType<typeof createAudioStore>;

export function createAudioStore(root: string) {
  const base = path.resolve(root);
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
      const dir = inside(path.join('staging', id));
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
    async remove(dir: string): Promise<void> {
      if (!path.resolve(dir).startsWith(base + path.sep)) throw new Error(`not in the audio store: ${dir}`);
      await rm(dir, { recursive: true, force: true });
    },
  };
}
