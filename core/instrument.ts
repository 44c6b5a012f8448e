// One stage attempt, observed: a log line with its ids when it ends and the pipeline metrics (duration,
// in flight per node, failures by error class). For activities; knows nothing of Temporal itself.
import { failureContext, safeMessage } from './errors.js';
import { type Logger, type WorkContext, workLogger } from './logger.js';
import type { PipelineMetrics } from './metrics.js';

export type Telemetry = { logger?: Logger; metrics?: PipelineMetrics };
export type StageAttempt = WorkContext & { stage: string; node: string; attempt?: number };

/** The class of a failure: an ApplicationFailure's `type` (core/errors FAILURE_TYPES), else the error's name. */
export function errorClass(err: unknown): string {
  const e = err as { type?: unknown; name?: unknown } | null;
  if (e && typeof e.type === 'string' && e.type) return e.type;
  if (e && typeof e.name === 'string' && e.name) return e.name;
  return 'unknown';
}

export async function instrumentStage<T>(
  telemetry: Telemetry,
  attempt: StageAttempt,
  run: () => Promise<T>,
): Promise<T> {
  const end = telemetry.metrics?.startStage({ stage: attempt.stage, node: attempt.node });
  const log = telemetry.logger ? workLogger(telemetry.logger, attempt) : undefined;
  const started = performance.now();
  const fields = () => ({
    node: attempt.node,
    attempt: attempt.attempt,
    ms: Math.round(performance.now() - started),
  });
  try {
    const result = await run();
    end?.({ ok: true });
    log?.info(fields(), 'stage attempt done');
    return result;
  } catch (err) {
    const errorType = errorClass(err);
    end?.({ ok: false, errorType });
    // Not the error itself: its details carry the request (a transcript, a file name) and the server's answer.
    const message = safeMessage(
      attempt.stage,
      errorType,
      (err as Error)?.message ?? String(err),
      failureContext(err),
    );
    log?.warn({ ...fields(), error_type: errorType, error: message }, 'stage attempt failed');
    throw err;
  }
}
