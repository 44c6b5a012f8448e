// The activity hook: a stage attempt is logged with its ids and counted, failures by error class.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { Registry } from 'prom-client';
import { errorClass, instrumentStage } from '../../core/instrument.js';
import { createLogger } from '../../core/logger.js';
import { createPipelineMetrics } from '../../core/metrics.js';

describe('instrumentStage', () => {
  test('logs and measures a successful and a failed attempt', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = createLogger({ LOG_LEVEL: 'info' }, 'worker', {
      write: (l: string) => lines.push(JSON.parse(l)),
    });
    const metrics = createPipelineMetrics(new Registry());
    const attempt = {
      batchId: 4,
      callId: 11,
      stage: 'stt',
      node: 'gpu-1',
      workflowId: 'cofi/batch-4/call-11',
      attempt: 2,
    };
    assert.equal(await instrumentStage({ logger, metrics }, attempt, async () => 'ok'), 'ok');
    const failure = ApplicationFailure.create({
      type: 'server_error',
      message: 'http://gpu-1/v1/audio/transcriptions answered 503: {"error":"no room for jane-doe.wav"}',
      details: [
        {
          inputPayload: { file: 'jane-doe.wav' },
          publicMessage: 'http://gpu-1/v1/audio/transcriptions answered 503',
        },
      ],
    });
    await assert.rejects(
      instrumentStage({ logger, metrics }, attempt, async () => {
        throw failure;
      }),
      (err) => err === failure,
    );
    assert.deepEqual(
      lines.map((l) => [
        l.level,
        l.batch_id,
        l.call_id,
        l.stage,
        l.workflow_id,
        l.node,
        l.attempt,
        l.error_type,
      ]),
      [
        ['info', 4, 11, 'stt', 'cofi/batch-4/call-11', 'gpu-1', 2, undefined],
        ['warn', 4, 11, 'stt', 'cofi/batch-4/call-11', 'gpu-1', 2, 'server_error'],
      ],
    );
    // The log line names the failure without the request or the server's answer (they quote the file).
    assert.equal(lines[1]!.error, 'http://gpu-1/v1/audio/transcriptions answered 503');
    assert.doesNotMatch(JSON.stringify(lines), /jane-doe/);
    const text = await metrics.registry.metrics();
    assert.match(text, /cofi_stage_attempt_failures_total\{stage="stt",error_type="server_error"\} 1/);
    assert.match(text, /cofi_stage_duration_seconds_count\{stage="stt",node="gpu-1",outcome="ok"\} 1/);
    assert.match(text, /cofi_calls_in_flight\{node="gpu-1",stage="stt"\} 0/);
  });

  test('works without a logger or metrics (tests, tools)', async () => {
    assert.equal(await instrumentStage({}, { stage: 'lid', node: 'n' }, async () => 3), 3);
  });

  test('error class: the failure type, else the error name', () => {
    assert.equal(errorClass(ApplicationFailure.create({ type: 'timeout', message: 'x' })), 'timeout');
    assert.equal(errorClass(new TypeError('x')), 'TypeError');
    assert.equal(errorClass('text'), 'unknown');
  });
});
