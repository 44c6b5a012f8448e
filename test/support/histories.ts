// Records workflow histories as replay fixtures (run with COFI_RECORD_HISTORIES=1 npm test), in the JSON
// the Temporal CLI writes (`temporal workflow show --output json`), which the replayer reads.
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';

export const HISTORIES_DIR = new URL('../fixtures/histories/', import.meta.url);

export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (!process.env.COFI_RECORD_HISTORIES) return;
  // The history is complete once the workflow has closed.
  await client.workflow
    .getHandle(workflowId)
    .result()
    .catch(() => undefined);
  const cli = execFileSync('bash', [fileURLToPath(new URL('../../ops/temporal.sh', import.meta.url)), 'path'])
    .toString()
    .trim();
  const json = execFileSync(cli, [
    'workflow',
    'show',
    '--workflow-id',
    workflowId,
    '--namespace',
    client.options.namespace,
    '--address',
    process.env.COFI_TEST_TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
    '--output',
    'json',
  ]);
  await writeFile(new URL(`${name}.json`, HISTORIES_DIR), json);
}
