// Request logs: one JSON line per request, with the batch, call or task the path names, at a level that
// says whether it was refused or failed.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Hono } from 'hono';
import { requestId } from 'hono/request-id';
import { ApiError, errorResponse } from '../../api/errors.js';
import { requestLog, workOfPath } from '../../api/requestLog.js';
import { createLogger, workLogger } from '../../core/logger.js';

function capture() {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({ LOG_LEVEL: 'info' }, 'api', {
    write: (line: string) => lines.push(JSON.parse(line)),
  });
  return { lines, logger };
}

describe('request log', () => {
  test('ids in paths', () => {
    assert.deepEqual(workOfPath('/batches/42/events'), { batchId: 42 });
    assert.deepEqual(workOfPath('/ui/f/batches/42/summary'), { batchId: 42 });
    assert.deepEqual(workOfPath('/calls/7/audio'), { callId: 7 });
    assert.deepEqual(workOfPath('/audit/status/audit-42'), { taskId: 'audit-42', batchId: 42 });
    assert.deepEqual(workOfPath('/reaudit/reaudit-9/cancel'), { taskId: 'reaudit-9', batchId: 9 });
    assert.deepEqual(workOfPath('/health'), {});
  });

  test('one JSON line per request with status, duration, request id and work ids', async () => {
    const { lines, logger } = capture();
    const app = new Hono();
    app.use(requestId());
    app.use(requestLog(logger));
    app.get('/batches/:id', (c) => c.json({ ok: true }));
    app.get('/calls/:id', () => {
      throw new ApiError('not_found', 'no call');
    });
    app.get('/boom', () => {
      throw new Error('kaput');
    });
    app.onError((err, c) => errorResponse(c, err));
    await app.request('/batches/42');
    await app.request('/calls/7');
    // errorResponse reports an unexpected error on the console; keep the test output clean.
    const original = console.error;
    console.error = () => {};
    try {
      await app.request('/boom');
    } finally {
      console.error = original;
    }
    assert.equal(lines.length, 3);
    const [ok, refused, failed] = lines;
    assert.equal(ok?.level, 'info');
    assert.equal(ok?.service, 'api');
    assert.equal(ok?.batch_id, 42);
    assert.equal(ok?.status, 200);
    assert.equal(typeof ok?.ms, 'number');
    assert.match(String(ok?.req_id), /^[0-9a-f-]{36}$/);
    assert.equal(refused?.level, 'warn');
    assert.equal(refused?.call_id, 7);
    assert.equal(refused?.status, 404);
    assert.equal(failed?.level, 'error');
    assert.match(JSON.stringify(failed?.err), /kaput/);
  });

  test('work loggers carry batch, call, stage and workflow id; credentials are redacted', () => {
    const { lines, logger } = capture();
    workLogger(logger, { batchId: 3, callId: 9, stage: 'stt', workflowId: 'cofi/batch-3/call-9' }).info(
      { apiKey: 'secret', request: { authorization: 'Bearer x' } },
      'stage done',
    );
    assert.deepEqual(
      [lines[0]?.batch_id, lines[0]?.call_id, lines[0]?.stage, lines[0]?.workflow_id],
      [3, 9, 'stt', 'cofi/batch-3/call-9'],
    );
    assert.equal(lines[0]?.apiKey, '[redacted]');
    assert.equal((lines[0]?.request as Record<string, unknown> | undefined)?.authorization, '[redacted]');
  });
});
