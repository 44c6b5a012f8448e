// Connections to Temporal from the config (local dev server, a cluster, or Temporal Cloud), and the
// one-time registration of cofi's search attributes.
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Config } from '../core/config.js';
import { SEARCH_ATTRIBUTES } from '../workflows/definitions.js';

type TemporalConfig = Pick<
  Config,
  'TEMPORAL_ADDRESS' | 'TEMPORAL_NAMESPACE' | 'TEMPORAL_API_KEY' | 'TEMPORAL_TLS'
>;

const connectOptions = (config: TemporalConfig) => ({
  address: config.TEMPORAL_ADDRESS,
  tls: config.TEMPORAL_TLS || Boolean(config.TEMPORAL_API_KEY),
  apiKey: config.TEMPORAL_API_KEY,
});

export async function connectClient(config: TemporalConfig): Promise<Client> {
  const connection = await Connection.connect({ ...connectOptions(config), connectTimeout: '5 seconds' });
  return new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });
}

export function connectWorker(config: TemporalConfig): Promise<NativeConnection> {
  return NativeConnection.connect(connectOptions(config));
}

// IndexedValueType enum numbers (temporal.api.enums.v1).
const INDEXED_VALUE_TYPE = { KEYWORD: 2, INT: 3 } as const;

/** Registers the search attributes the workflows set; a no-op when they exist. */
export async function ensureSearchAttributes(client: Client, namespace: string): Promise<void> {
  const existing = await client.connection.operatorService.listSearchAttributes({ namespace });
  const missing = Object.fromEntries(
    Object.values(SEARCH_ATTRIBUTES)
      .filter((key) => !(key.name in (existing.customAttributes ?? {})))
      .map((key) => [key.name, INDEXED_VALUE_TYPE[key.type as keyof typeof INDEXED_VALUE_TYPE]]),
  );
  if (Object.keys(missing).length === 0) return;
  try {
    await client.connection.operatorService.addSearchAttributes({ namespace, searchAttributes: missing });
  } catch (err) {
    // Another process registered them at the same time.
    if (!/already exists/i.test((err as Error).message)) throw err;
  }
  // New attributes reach the frontend's cache a few seconds later; a start before that is refused.
  for (let i = 0; i < 60; i++) {
    const { customAttributes } = await client.connection.operatorService.listSearchAttributes({ namespace });
    if (Object.keys(missing).every((name) => name in (customAttributes ?? {}))) {
      await new Promise((r) => setTimeout(r, 2000));
      return;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`search attributes ${Object.keys(missing).join(', ')} did not become available`);
}
