// The one vocabulary of pipeline stages: drives DB flags, events, progress, task queues and the API.

export const STAGES = ['distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2'] as const;
export type Stage = (typeof STAGES)[number];

/** Stages that run inference on a GPU node (the node the call was distributed to). */
export const GPU_STAGES = ['lid', 'stt'] as const satisfies readonly Stage[];
/** Stages that call an LLM endpoint. */
export const LLM_STAGES = ['llm1', 'llm2'] as const satisfies readonly Stage[];
/** Stages that change the audio before inference (daily batch only, optional). */
export const AUDIO_STAGES = ['denoise', 'ivr'] as const satisfies readonly Stage[];

/** What an audit upload runs when the request names no stages. */
export const AUDIT_STAGES = ['distribute', 'lid', 'stt', 'llm1', 'llm2'] as const satisfies readonly Stage[];
/** What a reaudit may re-run. */
export const REAUDIT_STAGES = ['lid', 'stt', 'llm1', 'llm2'] as const satisfies readonly Stage[];
export type ReauditStage = (typeof REAUDIT_STAGES)[number];

/**
 * The event-log name of a stage. The predecessor logged distribution as `file_distribution`;
 * its dashboards and SQL group by that name, so it is kept.
 */
export function eventStageName(stage: Stage): string {
  return stage === 'distribute' ? 'file_distribution' : stage;
}

/** The `fileDistribution` column that says a call finished a stage (distribution is the row itself). */
export const DONE_FLAG = {
  distribute: null,
  denoise: 'denoiseDone',
  ivr: 'ivrDone',
  lid: 'lidDone',
  stt: 'sttDone',
  llm1: 'llm1Done',
  llm2: 'llm2Done',
} as const satisfies Record<Stage, string | null>;

/** The `batchStatus` column that holds a stage's status. */
export const BATCH_STATUS_COLUMN = {
  distribute: 'dbInsertionStatus',
  denoise: 'denoiseStatus',
  ivr: 'ivrStatus',
  lid: 'lidStatus',
  stt: 'sttStatus',
  llm1: 'llm1Status',
  llm2: 'llm2Status',
} as const satisfies Record<Stage, string>;

/** Stages in pipeline order, keeping only those in `selected`. */
export function orderStages<S extends Stage>(selected: Iterable<S>): S[] {
  const wanted = new Set<Stage>(selected);
  return STAGES.filter((s) => wanted.has(s)) as S[];
}

/** Stages downstream of `stage` (whose results are computed from its output). */
export function downstreamOf(stage: Stage): Stage[] {
  return STAGES.slice(STAGES.indexOf(stage) + 1);
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

// Statuses ----------------------------------------------------------------------------------------

export const BATCH_KINDS = ['audit', 'reaudit', 'daily'] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

export const BATCH_STATUSES = [
  'Pending',
  'InProgress',
  'Completed',
  'CompletedWithErrors',
  'Failed',
  'Cancelled',
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];
const TERMINAL_BATCH_STATUSES: ReadonlySet<string> = new Set<BatchStatus>([
  'Completed',
  'CompletedWithErrors',
  'Failed',
  'Cancelled',
]);
/** A batch in one of these statuses has ended: its counts are final and it holds no call. */
export function isTerminal(status: string): boolean {
  return TERMINAL_BATCH_STATUSES.has(status);
}

/** Status of one stage across a batch (the seed's `lidStatus`, `sttStatus`, ... columns). */
export const STAGE_STATUSES = [
  'Pending',
  'InProgress',
  'Complete',
  'CompleteWithErrors',
  'Skipped',
  /** Some of its calls were stopped by a cancel (the others finished, failed or were skipped). */
  'Cancelled',
] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const CALL_STATUSES = ['Queued', 'InProgress', 'Completed', 'Failed', 'Pending', 'Cancelled'] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
