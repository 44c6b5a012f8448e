// What an erasure leaves behind on purpose: a fingerprint of each erased daily recording, so the day's intake
// does not ingest the same recording again from DAILY_DIR (cofi does not delete a client's source files).
import type { InferSelectModel } from 'drizzle-orm';
import { bigint, char, index, int, mysqlTable, uniqueIndex } from 'drizzle-orm/mysql-core';
import { createdAt } from './columns.js';

/**
 * One row per erased recording: the sha256 of its bytes (not of its path: a path holds the customer's number
 * or name and a hash of it could be reversed by hashing candidate names) and its size, which lets the intake
 * hash only the new files of an erased size. No call id: the fingerprint says nothing about which call it was.
 */
export const erasedSource = mysqlTable(
  'erasedSource',
  {
    id: int('id').autoincrement().primaryKey(),
    sha256: char('sha256', { length: 64 }).notNull(),
    bytes: bigint('bytes', { mode: 'number' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('erasedSource_sha256').on(t.sha256), index('erasedSource_bytes').on(t.bytes)],
);
export type ErasedSourceRow = InferSelectModel<typeof erasedSource>;
