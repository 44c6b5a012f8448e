// The API app on the real MariaDB and Temporal, without workers or GPU nodes: for tests of the read
// endpoints, auth and the OpenAPI document, whose data the tests insert themselves (test/support/seed.ts).
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../api/app.js';
import type { ApiDeps } from '../../api/deps.js';
import { createAudioStore } from '../../core/audioStore.js';
import { loadConfig } from '../../core/config.js';
import { prepareDatabase } from '../../drizzle/migrate.js';
import { connectClient } from '../../worker/temporal.js';

/** Same databases as stack.ts, without importing it (it loads the simulator and the inference clients). */
function testEnv(): Record<string, string> {
  const db = process.env.COFI_TEST_DATABASE_URL;
  const temporal = process.env.COFI_TEST_TEMPORAL_ADDRESS;
  if (!db || !temporal)
    throw new Error(
      'API tests need COFI_TEST_DATABASE_URL and COFI_TEST_TEMPORAL_ADDRESS: run them with `npm test`',
    );
  return { DATABASE_URL: db, TEMPORAL_ADDRESS: temporal, TEMPORAL_NAMESPACE: 'cofi-test' };
}

/** These tests upload nothing: a probe that is called is a bug in the test. */
const noProbe = async (): Promise<never> => {
  throw new Error('probeAudio is not available in read-only API tests');
};

export type ApiApp = Awaited<ReturnType<typeof openApiApp>>;

export async function openApiApp(env: Record<string, string> = {}) {
  const audioDir = await mkdtemp(path.join(tmpdir(), 'cofi-api-audio-'));
  const config = loadConfig({
    ...testEnv(),
    COFI_TASK_QUEUE: `test-${randomUUID().slice(0, 8)}`,
    AUDIO_DIR: audioDir,
    ...env,
  });
  const database = await prepareDatabase(config.DATABASE_URL);
  const temporal = await connectClient(config);
  const audio = createAudioStore(audioDir);
  const deps: ApiDeps = { database, temporal, config, audio, probeAudio: noProbe };
  return {
    app: createApp(deps),
    deps,
    config,
    database,
    db: database.db,
    audio,
    async stop() {
      await temporal.connection.close();
      await database.close();
      await rm(audioDir, { recursive: true, force: true });
    },
  };
}
