// An API killed mid-upload leaves a half-written staging folder; the next API of the same name removes it at
// start, and anyone's folder once it is older than any upload can last, but never another API's live one.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { createAudioStore, STALE_STAGING_MS } from '../../core/audioStore.js';

let root: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), 'cofi-staging-'));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test("a restarted API removes its predecessor's half-written uploads, not another API's, and old ones of anybody", async () => {
  const killed = createAudioStore(root, { owner: 'api-host-5064' });
  const other = createAudioStore(root, { owner: 'api-other-5064' });
  const half = await killed.createStaging();
  await writeFile(path.join(half.dir, '00001.mp3'), 'half a file');
  const live = await other.createStaging();
  const abandoned = await other.createStaging();
  const twoDaysAgo = new Date(Date.now() - 2 * 24 * 3600_000);
  await utimes(abandoned.dir, twoDaysAgo, twoDaysAgo);

  const restarted = createAudioStore(root, { owner: 'api-host-5064' });
  assert.equal(await restarted.sweepStaging(), 2);
  assert.equal(existsSync(half.dir), false, "the killed API's upload is gone");
  assert.equal(
    existsSync(abandoned.dir),
    false,
    `a folder older than ${STALE_STAGING_MS / 3600_000} h is gone`,
  );
  assert.equal(existsSync(live.dir), true, "another API's upload in progress stays");
  assert.deepEqual(await readdir(path.join(root, 'staging')), [path.basename(live.dir)]);
  assert.equal(await restarted.sweepStaging(), 0, 'nothing left to remove');
});

test('a store that never staged anything sweeps nothing and creates nothing', async () => {
  const empty = await mkdtemp(path.join(tmpdir(), 'cofi-staging-empty-'));
  try {
    assert.equal(await createAudioStore(empty).sweepStaging(), 0);
    assert.deepEqual(await readdir(empty), []);
  } finally {
    await rm(empty, { recursive: true, force: true });
  }
});
