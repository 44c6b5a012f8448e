// Temporal Web UI links lead to the workflows they name: the batch's run, a failure's call workflow, a call's
// workflows. Each list link's visibility query is run against the real Temporal server, and the batch link's run
// is the one Temporal has for the batch.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { answer } from '../../api/client.js';
import { temporalLinks } from '../../api/temporalLinks.js';
import { workflowIds } from '../../workflows/definitions.js';
import { makeWav } from '../support/audio.js';
import { api, auditForm, uploadAudit, waitForBatch } from '../support/http.js';
import { type Stack, startStack } from '../support/stack.js';

let stack: Stack;
before(async () => {
  stack = await startStack({
    nodes: [{ id: 'node-a', capacity: 2, lidPath: '/detect-language' }],
    simulator: {
      timeScale: 0.02,
      failures: { clientErrorPattern: 'broken-stt', endpoints: ['transcriptions'] },
    },
  });
});
after(async () => {
  await stack?.stop();
});

/** The workflow ids Temporal lists for the visibility query in a Web UI list link. */
async function listed(url: string): Promise<string[]> {
  const query = new URL(url).searchParams.get('query');
  assert.ok(query, `a list link carries a query: ${url}`);
  // Visibility is eventually consistent: a workflow that just closed may take a moment to be listed.
  for (let tries = 0; ; tries++) {
    const ids: string[] = [];
    for await (const w of stack.client.workflow.list({ query })) ids.push(w.workflowId);
    if (ids.length || tries === 40) return ids.sort();
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('Temporal Web UI links', () => {
  test('the links of an ended batch, its failure and its call name workflows Temporal has', async () => {
    const res = await uploadAudit(
      stack.app,
      auditForm([
        { name: 'links-ok.wav', bytes: makeWav(3, 71) },
        { name: 'links-broken-stt.wav', bytes: makeWav(3, 72) },
      ]),
    );
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { final } = await waitForBatch(stack.app, res.body.task_id);
    assert.equal(final.status, 'CompletedWithErrors', JSON.stringify(final));
    const client = api(stack.app);
    const id = String(final.batch_id);
    const prefix = stack.config.COFI_TASK_QUEUE;
    const ui = `${stack.config.TEMPORAL_UI_URL}/namespaces/${stack.config.TEMPORAL_NAMESPACE}/workflows`;

    // The batch: an ended upload is pinned to its own run (every upload shares the workflow id).
    const batch = await answer(client.batches[':id'].$get({ param: { id } }));
    const described = await stack.client.workflow.getHandle(batch.workflow_id).describe();
    assert.equal(
      batch.temporal_url,
      `${ui}/${encodeURIComponent(batch.workflow_id)}/${described.raw.workflowExecutionInfo?.firstRunId}`,
    );
    const calls = await answer(client.batches[':id'].calls.$get({ param: { id }, query: {} }));
    const callWorkflows = calls.calls.map((c) => workflowIds.call(prefix, final.batch_id, c.call_id)).sort();
    assert.deepEqual(
      (await listed(batch.temporal_workflows_url)).filter((w) => w !== batch.workflow_id),
      callWorkflows,
    );

    // The failure: the workflow of the call that failed, in this batch.
    const failures = await answer(client.batches[':id'].failures.$get({ param: { id }, query: {} }));
    const failure = failures.failures.find((f) => f.audio_name === 'links-broken-stt.wav');
    assert.ok(failure?.call_id && failure.temporal_url, JSON.stringify(failures));
    assert.deepEqual(await listed(failure.temporal_url), [
      workflowIds.call(prefix, final.batch_id, failure.call_id),
    ]);

    // The call: every workflow that ran it (here its upload's).
    const detail = await answer(client.calls[':id'].$get({ param: { id: String(failure.call_id) } }));
    assert.deepEqual(await listed(detail.temporal_url), [
      workflowIds.call(prefix, final.batch_id, failure.call_id),
    ]);
  });

  test('a batch still running, or of a kind with a workflow of its own, links its newest run', () => {
    const links = temporalLinks({
      TEMPORAL_UI_URL: 'http://ui:8233/',
      TEMPORAL_NAMESPACE: 'cofi',
      COFI_TASK_QUEUE: 'q',
    });
    const base = 'http://ui:8233/namespaces/cofi/workflows';
    const audit = { workflowId: 'q/audit-upload', runId: 'r1', kind: 'audit' as const };
    assert.equal(links.batch({ ...audit, status: 'InProgress' }), `${base}/q%2Faudit-upload`);
    assert.equal(links.batch({ ...audit, status: 'Completed' }), `${base}/q%2Faudit-upload/r1`);
    const day = {
      workflowId: 'q/daily-2026-01-02',
      runId: 'r1',
      kind: 'daily' as const,
      status: 'Completed',
    };
    assert.equal(links.batch({ ...day, status: 'Completed' as const }), `${base}/q%2Fdaily-2026-01-02`);
    assert.equal(
      links.call(7),
      `${base}?query=${encodeURIComponent('WorkflowId STARTS_WITH "q/" AND CofiCallId = 7')}`,
    );
  });
});
