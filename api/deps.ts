// What the API is given: the database, a Temporal client, the config, the audio store and (optionally) a logger.
import type { Client } from '@temporalio/client';
import type { probeAudio } from '../core/audio/probe.js';
import type { AudioStore } from '../core/audioStore.js';
import type { Config } from '../core/config.js';
import type { Logger } from '../core/logger.js';
import type { Database } from '../drizzle/client.js';

export type ApiDeps = {
  database: Database;
  temporal: Client;
  config: Config;
  audio: AudioStore;
  probeAudio: typeof probeAudio;
  /** Request log; without one (tests) requests are not logged. */
  logger?: Logger;
};
