// Column shapes shared by the tables: millisecond timestamps and the seed's 0/1 stage flags.
import { sql } from 'drizzle-orm';
import { boolean, datetime } from 'drizzle-orm/mysql-core';

export const createdAt = () =>
  datetime('createdAt', { mode: 'date', fsp: 3 }).notNull().default(sql`CURRENT_TIMESTAMP(3)`);

export const updatedAt = () =>
  datetime('updatedAt', { mode: 'date', fsp: 3 })
    .notNull()
    .default(sql`CURRENT_TIMESTAMP(3)`)
    .$onUpdate(() => new Date());

/** A `fileDistribution.<stage>Done` flag: tinyint(1), 0 or 1, as the seed's SQL reads it. */
export const doneFlag = (name: string) => boolean(name).notNull().default(false);
