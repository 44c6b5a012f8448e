// `npx tsx test/support/resetTemporal.ts`: terminates the workflows an earlier test run left running in the
// test namespace (a test file whose stack stopped while its batch still ran). With no worker they would stay
// Running for good, and a dev server that keeps more and more of them gets slower run after run.
import { loadConfig } from '../../core/config.js';
import { connectClient } from '../../worker/temporal.js';
import { testEnv } from './stack.js';

const config = loadConfig(testEnv());
const client = await connectClient(config);
let terminated = 0;
try {
  const running = client.workflow.list({ query: `ExecutionStatus = 'Running'` });
  for await (const run of running) {
    await client.workflow
      .getHandle(run.workflowId, run.runId)
      .terminate('left running by an earlier test run')
      .then(() => terminated++)
      .catch(() => undefined); // closed in the meantime
  }
} catch (err) {
  // A server without the test namespace yet has nothing to clean.
  if (!String(err).includes('not found')) throw err;
} finally {
  await client.connection.close();
}
if (terminated)
  console.log(`[cofi] terminated ${terminated} workflow(s) left running in ${config.TEMPORAL_NAMESPACE}`);
