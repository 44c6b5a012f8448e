// One JSON log line per request, with the batch, call or task it concerns when the path names one.
import type { MiddlewareHandler } from 'hono';
import { type Logger, type WorkContext, workLogger } from '../core/logger.js';

/** Ids a path carries (`/batches/42/...`, `/calls/7`, `/audit/status/audit-42`, `/reaudit/reaudit-9/cancel`). */
export function workOfPath(path: string): WorkContext {
  const batch = /^\/(?:ui\/(?:f\/)?)?batches\/(\d{1,10})(?:\/|$)/.exec(path);
  if (batch) return { batchId: Number(batch[1]) };
  const callMatch = /^\/(?:ui\/(?:f\/)?)?calls\/(\d{1,10})(?:\/|$)/.exec(path);
  if (callMatch) return { callId: Number(callMatch[1]) };
  const task =
    /^\/(?:audit\/status|reaudit\/status|reaudit)\/((?:audit|reaudit|daily)-(\d{1,10}))(?:\/|$)/.exec(path);
  if (task) return { taskId: task[1], batchId: Number(task[2]) };
  return {};
}

export function requestLog(logger: Logger): MiddlewareHandler {
  return async (c, next) => {
    const started = performance.now();
    // Hono's compose turns a thrown error into the error handler's answer before it gets here.
    await next();
    const status = c.res.status;
    const line = {
      req_id: c.get('requestId' as never) as string | undefined,
      method: c.req.method,
      path: c.req.path,
      status,
      ms: Math.round((performance.now() - started) * 10) / 10,
    };
    const log = workLogger(logger, workOfPath(c.req.path));
    if (status >= 500) log.error({ ...line, err: c.error }, 'request failed');
    else if (status >= 400) log.warn(line, 'request refused');
    else log.info(line, 'request');
  };
}
