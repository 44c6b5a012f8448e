// The one vocabulary of pipeline stages, and the stage registry: one entry per stage that drives DB flags and
// status columns, events, the ledger, task queues and timeouts, reaudit's cleanup and the API's enums.

export const STAGES = ['distribute', 'denoise', 'ivr', 'lid', 'stt', 'redact', 'llm1', 'llm2'] as const;
export type Stage = (typeof STAGES)[number];

export const BATCH_KINDS = ['audit', 'reaudit', 'daily'] as const;
export type BatchKind = (typeof BATCH_KINDS)[number];

/** Tables that hold a stage's output, deleted by a reaudit that re-runs the stage. */
export const RESULT_TABLES = ['lidResult', 'transcript', 'analysis', 'auditAnswer'] as const;
export type ResultTable = (typeof RESULT_TABLES)[number];

/** Who runs a stage: the batch itself when it admits a page of calls, or an activity on a task-queue kind. */
export const STAGE_RUNNERS = ['batch', 'audio', 'gpu', 'llm'] as const;
export type StageRunner = (typeof STAGE_RUNNERS)[number];

/** The activity that runs a stage on its queue (the batch's own stage has none). */
export type StageActivity = 'runAudioStage' | 'runLid' | 'runStt' | 'runRedact' | 'runLlm1' | 'runLlm2';

export type StageSpec = {
  /** `fileDistribution` column that says a call finished the stage (distribution is the row itself). */
  readonly flag:
    | 'denoiseDone'
    | 'ivrDone'
    | 'lidDone'
    | 'sttDone'
    | 'redactDone'
    | 'llm1Done'
    | 'llm2Done'
    | null;
  /** `batchStatus` column with the stage's status across the batch (seed names). */
  readonly statusColumn:
    | 'dbInsertionStatus'
    | 'denoiseStatus'
    | 'ivrStatus'
    | 'lidStatus'
    | 'sttStatus'
    | 'redactStatus'
    | 'llm1Status'
    | 'llm2Status';
  /** The stage's name in `batchExecutionLog.stage` and `processing_logs.stage_name`. */
  readonly event: string;
  /** Tables its output lives in. */
  readonly results: readonly ResultTable[];
  readonly runner: StageRunner;
  readonly activity: StageActivity | null;
  /** Longest single attempt; the heartbeat notices a dead worker long before it. */
  readonly startToClose: string;
  readonly heartbeat: string | null;
  /** Stages that must have run before it (in this batch or earlier): it cannot work without their output. */
  readonly needs: readonly Stage[];
  /** Stages whose output it uses when present: re-running one of those re-runs this one too. */
  readonly reads: readonly Stage[];
  /** Batch kinds that may run the stage. */
  readonly kinds: readonly BatchKind[];
};

export const STAGE_REGISTRY = {
  distribute: {
    flag: null,
    statusColumn: 'dbInsertionStatus',
    // The predecessor logged distribution as `file_distribution`; its dashboards and SQL group by that name.
    event: 'file_distribution',
    results: [],
    runner: 'batch',
    activity: null,
    startToClose: '2 minutes',
    heartbeat: null,
    needs: [],
    reads: [],
    kinds: ['audit', 'daily'],
  },
  denoise: {
    flag: 'denoiseDone',
    statusColumn: 'denoiseStatus',
    event: 'denoise',
    results: [],
    runner: 'audio',
    activity: 'runAudioStage',
    startToClose: '15 minutes',
    heartbeat: '30 seconds',
    needs: ['distribute'],
    reads: [],
    kinds: ['daily'],
  },
  ivr: {
    flag: 'ivrDone',
    statusColumn: 'ivrStatus',
    event: 'ivr',
    results: [],
    runner: 'audio',
    activity: 'runAudioStage',
    startToClose: '15 minutes',
    heartbeat: '30 seconds',
    needs: ['distribute'],
    reads: ['denoise'],
    kinds: ['daily'],
  },
  lid: {
    flag: 'lidDone',
    statusColumn: 'lidStatus',
    event: 'lid',
    results: ['lidResult'],
    runner: 'gpu',
    activity: 'runLid',
    startToClose: '3 minutes',
    heartbeat: '30 seconds',
    needs: ['distribute'],
    reads: ['denoise', 'ivr'],
    kinds: ['audit', 'daily', 'reaudit'],
  },
  stt: {
    flag: 'sttDone',
    statusColumn: 'sttStatus',
    event: 'stt',
    results: ['transcript'],
    runner: 'gpu',
    activity: 'runStt',
    // STT of a long call takes minutes.
    startToClose: '30 minutes',
    heartbeat: '30 seconds',
    needs: ['distribute'],
    reads: ['denoise', 'ivr', 'lid'],
    kinds: ['audit', 'daily', 'reaudit'],
  },
  /**
   * Personal data in the transcript replaced with typed placeholders, and the stored recording silenced or
   * beeped over it, per the process's policy: the LLMs only ever read its output. On the audio queue (ffmpeg).
   */
  redact: {
    flag: 'redactDone',
    statusColumn: 'redactStatus',
    event: 'redact',
    // It rewrites the transcript in place: a reaudit of redact must not delete what it reads.
    results: [],
    runner: 'audio',
    activity: 'runRedact',
    startToClose: '15 minutes',
    heartbeat: '30 seconds',
    needs: ['stt'],
    reads: [],
    kinds: ['audit', 'daily', 'reaudit'],
  },
  llm1: {
    flag: 'llm1Done',
    statusColumn: 'llm1Status',
    event: 'llm1',
    results: ['analysis'],
    runner: 'llm',
    activity: 'runLlm1',
    startToClose: '10 minutes',
    heartbeat: '30 seconds',
    needs: ['redact'],
    reads: [],
    kinds: ['audit', 'daily', 'reaudit'],
  },
  llm2: {
    flag: 'llm2Done',
    statusColumn: 'llm2Status',
    event: 'llm2',
    results: ['auditAnswer'],
    runner: 'llm',
    activity: 'runLlm2',
    startToClose: '10 minutes',
    heartbeat: '30 seconds',
    needs: ['redact'],
    reads: ['llm1'],
    kinds: ['audit', 'daily', 'reaudit'],
  },
} as const satisfies Record<Stage, StageSpec>;

export function stageSpec(stage: Stage): StageSpec {
  return STAGE_REGISTRY[stage];
}

const stagesOf = <K extends BatchKind>(kind: K) =>
  STAGES.filter((s) => (STAGE_REGISTRY[s].kinds as readonly BatchKind[]).includes(kind));

/** Stages that run inference on a GPU node (the node the call was distributed to). */
export const GPU_STAGES = ['lid', 'stt'] as const satisfies readonly Stage[];
/** Stages that call an LLM endpoint. */
export const LLM_STAGES = ['llm1', 'llm2'] as const satisfies readonly Stage[];
/** Stages on the audio queue (ffmpeg): the daily batch's optional clean-up, and redaction. */
export const AUDIO_STAGES = ['denoise', 'ivr', 'redact'] as const satisfies readonly Stage[];

/** What an audit upload runs when the request names no stages. */
export const AUDIT_STAGES = [
  'distribute',
  'lid',
  'stt',
  'redact',
  'llm1',
  'llm2',
] as const satisfies readonly Stage[];
/** What a reaudit may re-run. */
export const REAUDIT_STAGES = ['lid', 'stt', 'redact', 'llm1', 'llm2'] as const satisfies readonly Stage[];
export type ReauditStage = (typeof REAUDIT_STAGES)[number];

/** The registry and the named lists agree (checked once at load, so a drift fails every test). */
for (const [name, list, derived] of [
  ['GPU_STAGES', GPU_STAGES, STAGES.filter((s) => STAGE_REGISTRY[s].runner === 'gpu')],
  ['LLM_STAGES', LLM_STAGES, STAGES.filter((s) => STAGE_REGISTRY[s].runner === 'llm')],
  ['AUDIO_STAGES', AUDIO_STAGES, STAGES.filter((s) => STAGE_REGISTRY[s].runner === 'audio')],
  ['AUDIT_STAGES', AUDIT_STAGES, stagesOf('audit')],
  ['REAUDIT_STAGES', REAUDIT_STAGES, stagesOf('reaudit')],
] as const) {
  if (list.join() !== derived.join()) throw new Error(`${name} disagrees with the stage registry`);
}

/** The event-log name of a stage. */
export function eventStageName(stage: Stage): string {
  return STAGE_REGISTRY[stage].event;
}

/** The `fileDistribution` column that says a call finished a stage (distribution is the row itself). */
export const DONE_FLAG = Object.fromEntries(STAGES.map((s) => [s, STAGE_REGISTRY[s].flag])) as {
  [S in Stage]: (typeof STAGE_REGISTRY)[S]['flag'];
};

/** The `batchStatus` column that holds a stage's status. */
export const BATCH_STATUS_COLUMN = Object.fromEntries(
  STAGES.map((s) => [s, STAGE_REGISTRY[s].statusColumn]),
) as { [S in Stage]: (typeof STAGE_REGISTRY)[S]['statusColumn'] };

/** Stages in pipeline order, keeping only those in `selected`. */
export function orderStages<S extends Stage>(selected: Iterable<S>): S[] {
  const wanted = new Set<Stage>(selected);
  return STAGES.filter((s) => wanted.has(s)) as S[];
}

/** Stages downstream of `stage` in pipeline order (the legacy batch's notion: everything after it). */
export function downstreamOf(stage: Stage): Stage[] {
  return STAGES.slice(STAGES.indexOf(stage) + 1);
}

/** `stages` and every stage among `among` computed from their output, directly or not, in pipeline order. */
export function withDependents<S extends Stage>(stages: Iterable<S>, among: readonly S[]): S[] {
  const out = new Set<Stage>(stages);
  for (const s of STAGES) {
    const { needs, reads } = STAGE_REGISTRY[s] as StageSpec;
    if ([...needs, ...reads].some((n) => out.has(n))) out.add(s);
  }
  return among.filter((s) => out.has(s));
}

/** What a run of `stages` (in pipeline order) lacks: one line per stage whose needed stage does not run first. */
export function missingInputs(stages: readonly Stage[]): string[] {
  const have = new Set<Stage>();
  const problems: string[] = [];
  for (const s of orderStages(stages)) {
    const lacking = (STAGE_REGISTRY[s] as StageSpec).needs.filter((n) => !have.has(n));
    if (lacking.length) problems.push(`${s} needs ${lacking.join(' and ')}`);
    have.add(s);
  }
  return problems;
}

/** The stages `stages` need, directly or through one another, that are not among them, in pipeline order. */
export function lackingStages(stages: readonly Stage[]): Stage[] {
  const have = new Set<Stage>(stages);
  const lacking = new Set<Stage>();
  const visit = (stage: Stage) => {
    for (const n of (STAGE_REGISTRY[stage] as StageSpec).needs)
      if (!have.has(n) && !lacking.has(n)) {
        lacking.add(n);
        visit(n);
      }
  };
  for (const s of stages) visit(s);
  return orderStages(lacking);
}

export function isStage(value: string): value is Stage {
  return (STAGES as readonly string[]).includes(value);
}

// Statuses ----------------------------------------------------------------------------------------

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

/** `Erased`: the call's audio and results were removed (DELETE /calls/{id}); its row is a tombstone. */
export const CALL_STATUSES = [
  'Queued',
  'InProgress',
  'Completed',
  'Failed',
  'Pending',
  'Cancelled',
  'Erased',
] as const;
export type CallStatus = (typeof CALL_STATUSES)[number];

/** Call metadata: whether the customer called in or the agent called out. */
export const CALL_DIRECTIONS = ['inbound', 'outbound'] as const;
export type CallDirection = (typeof CALL_DIRECTIONS)[number];

/** Why a completed call has no analysis and no score (`call.skipReason`). */
export const SKIP_REASONS = ['no_speech'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];

/**
 * What became of one call at one stage of one batch: a row of the ledger. `no_speech`: the call's recording
 * holds no speech (STT heard none), so a stage that reads the transcript had nothing to do and did not run.
 */
export const STAGE_OUTCOMES = ['done', 'failed', 'skipped', 'cancelled', 'no_speech'] as const;
export type StageOutcome = (typeof STAGE_OUTCOMES)[number];

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
