// Node agents: the one worker process that polls a GPU node's (or LLM endpoint's) task queue. Temporal has no
// limit on how many processes poll one queue, and each poller takes up to the node's capacity in tasks, so two
// agents for one node would double its load: the agent holds this lease, and a second one waits as a standby.
import type { InferSelectModel } from 'drizzle-orm';
import { datetime, mysqlTable, varchar } from 'drizzle-orm/mysql-core';

export const nodeAgent = mysqlTable('nodeAgent', {
  /** The task queue the agent polls (deployment prefix and node id in one). */
  queue: varchar('queue', { length: 200 }).primaryKey(),
  kind: varchar('kind', { length: 8, enum: ['gpu', 'llm'] }).notNull(),
  nodeId: varchar('nodeId', { length: 100 }).notNull(),
  /** host/pid/random of the process that holds it. */
  holder: varchar('holder', { length: 200 }).notNull(),
  acquiredAt: datetime('acquiredAt', { mode: 'date', fsp: 3 }).notNull(),
  renewedAt: datetime('renewedAt', { mode: 'date', fsp: 3 }).notNull(),
  /** The database's clock; past it, another agent may take the queue. */
  expiresAt: datetime('expiresAt', { mode: 'date', fsp: 3 }).notNull(),
});

export type NodeAgentRow = InferSelectModel<typeof nodeAgent>;
