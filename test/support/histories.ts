// Records workflow histories as replay fixtures (run with COFI_RECORD_HISTORIES=1 npm test).
import { writeFile } from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import { historyToJSON } from '@temporalio/common/lib/proto-utils.js';

export const HISTORIES_DIR = new URL('../fixtures/histories/', import.meta.url);

export async function recordHistory(client: Client, workflowId: string, name: string): Promise<void> {
  if (!process.env.COFI_RECORD_HISTORIES) return;
  const history = await client.workflow.getHandle(workflowId).fetchHistory();
  await writeFile(new URL(`${name}.json`, HISTORIES_DIR), historyToJSON(history));
}
