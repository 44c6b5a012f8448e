// The API process: Hono on API_HOST:API_PORT (5064), with its database and Temporal client.
import { hostname } from 'node:os';
import { probeAudio } from '../core/audio/probe.js';
import { createAudioStore } from '../core/audioStore.js';
import { configOrExit } from '../core/env.js';
import { createLogger } from '../core/logger.js';
import { openDatabase } from '../drizzle/client.js';
import { connectClient } from '../worker/temporal.js';
import { createApp } from './app.js';
import { accessMode } from './auth.js';
import { startServer } from './server.js';

const config = configOrExit();
const logger = createLogger(config, 'api');
const access = accessMode(config);
if (access.mode === 'refuse') {
  logger.fatal({ api_host: config.API_HOST }, access.reason);
  console.error(`[cofi] refusing to start: ${access.reason}`);
  process.exit(2);
}
if (access.mode === 'open') {
  const bar = '!'.repeat(Math.min(100, access.warning.length));
  console.warn(`\n${bar}\n[cofi] WARNING: ${access.warning}\n${bar}\n`);
  logger.warn({ api_host: config.API_HOST }, access.warning);
} else {
  logger.info(
    { keys: access.keys.length, roles: [...new Set(access.keys.map((k) => k.role))] },
    'API keys required',
  );
}
// Migrations are the worker's job (and ops/start.sh runs them first).
const database = openDatabase(config.DATABASE_URL);
const temporal = await connectClient(config);
// Uploads are staged under this API's name: what a crashed predecessor left half-written goes before any new one.
const audio = createAudioStore(config.AUDIO_DIR, { owner: `${hostname()}-${config.API_PORT}` });
const swept = await audio.sweepStaging();
if (swept > 0)
  logger.warn({ swept }, `removed ${swept} half-written upload(s) left by an API that stopped mid-upload`);
const app = createApp({
  database,
  temporal,
  config,
  audio,
  probeAudio,
  logger,
});
const server = await startServer(app, { hostname: config.API_HOST, port: config.API_PORT });
logger.info(
  { address: config.API_HOST, port: server.port },
  `API on http://${config.API_HOST}:${server.port}`,
);
const shutdown = () => {
  server.close();
  void database.close();
  void temporal.connection.close();
};
process.once('SIGINT', shutdown);
process.once('SIGTERM', shutdown);
