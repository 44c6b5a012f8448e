// What activities are given: the database, a Temporal client, the parsed config, the audio store and the
// inference clients.
import type { Client } from '@temporalio/client';
import type { probeAudio } from '../core/audio/probe.js';
import type { AudioStore } from '../core/audioStore.js';
import type { Config } from '../core/config.js';
import type { analyseCall } from '../core/inference/analysis.js';
import type { identifyLanguage } from '../core/inference/lid.js';
import type { answerQuestionnaire } from '../core/inference/questionnaire.js';
import type { transcribe } from '../core/inference/stt.js';
import type { Telemetry } from '../core/instrument.js';
import type { Db } from '../drizzle/client.js';

/** The outside world the stages talk to; tests may hand in other implementations of the same protocol. */
export type Inference = {
  identifyLanguage: typeof identifyLanguage;
  transcribe: typeof transcribe;
  analyseCall: typeof analyseCall;
  answerQuestionnaire: typeof answerQuestionnaire;
  probeAudio: typeof probeAudio;
};

export type ActivityDeps = {
  db: Db;
  /** Bookkeeping asks Temporal about call workflows that went quiet, and waits for a day started elsewhere. */
  temporal: Client;
  config: Config;
  audio: AudioStore;
  inference: Inference;
  /** Logs and metrics of stage attempts (worker/main.ts); absent in tests that do not look at them. */
  telemetry?: Telemetry;
};
