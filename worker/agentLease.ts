// The node agent's lease on its node's queue (table nodeAgent). Times are the database's clock, so hosts
// with skewed clocks still agree on when a lease lapsed.

import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { eq, sql } from 'drizzle-orm';
import type { Db } from '../drizzle/client.js';
import { nodeAgent } from '../drizzle/schema/index.js';

export type LeaseKey = { queue: string; kind: 'gpu' | 'llm'; nodeId: string };
export type LeaseState = { held: boolean; holder: string; expiresAt: Date };

/** Holders made by this process and not yet retired: the ones that are alive although they share our pid. */
const ours = new Set<string>();

/** Who holds a lease: host, process and a random part (one process may hold, release and hold again). */
export function newHolder(): string {
  const holder = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;
  ours.add(holder);
  return holder;
}

/** A holder of this process that will hold nothing again (its agent stopped). */
export function retireHolder(holder: string): void {
  ours.delete(holder);
}

/**
 * A holder on this host whose process has ended (killed, crashed): its lease can go at once instead of
 * after it lapses. Our own pid with a holder this process did not make (or retired) counts as ended: a
 * restarted container may get the pid its predecessor had.
 */
export function holderIsGone(holder: string): boolean {
  const [host, pidText] = holder.split('/');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0) return false;
  if (pid === process.pid) return !ours.has(holder);
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Takes or renews the lease: it is ours when nobody holds it, when we hold it, or when its holder let it
 * lapse (or ended on this host). Returns who holds it afterwards.
 */
export async function acquireLease(
  db: Db,
  key: LeaseKey,
  holder: string,
  ttlMs: number,
): Promise<LeaseState> {
  const takeOver = async (condition: ReturnType<typeof sql>) =>
    db.execute(sql`
      UPDATE ${nodeAgent}
      SET ${nodeAgent.acquiredAt} = IF(${nodeAgent.holder} = ${holder}, ${nodeAgent.acquiredAt}, NOW(3)),
          ${nodeAgent.holder} = ${holder},
          ${nodeAgent.renewedAt} = NOW(3),
          ${nodeAgent.expiresAt} = NOW(3) + INTERVAL ${ttlMs * 1000} MICROSECOND
      WHERE ${nodeAgent.queue} = ${key.queue} AND (${condition})`);
  await takeOver(sql`${nodeAgent.holder} = ${holder} OR ${nodeAgent.expiresAt} < NOW(3)`);
  await db.execute(sql`
    INSERT IGNORE INTO ${nodeAgent} (queue, kind, nodeId, holder, acquiredAt, renewedAt, expiresAt)
    VALUES (${key.queue}, ${key.kind}, ${key.nodeId}, ${holder}, NOW(3), NOW(3),
            NOW(3) + INTERVAL ${ttlMs * 1000} MICROSECOND)`);
  let row = await current(db, key.queue);
  if (row && row.holder !== holder && holderIsGone(row.holder)) {
    await takeOver(sql`${nodeAgent.holder} = ${row.holder}`);
    row = await current(db, key.queue);
  }
  if (!row) return { held: false, holder: '', expiresAt: new Date(0) };
  return { held: row.holder === holder, holder: row.holder, expiresAt: row.expiresAt };
}

async function current(db: Db, queue: string) {
  const [row] = await db.select().from(nodeAgent).where(eq(nodeAgent.queue, queue));
  return row;
}

/** Gives the lease up (a graceful stop): the next agent need not wait for it to lapse. */
export async function releaseLease(db: Db, key: LeaseKey, holder: string): Promise<void> {
  await db.execute(
    sql`DELETE FROM ${nodeAgent} WHERE ${nodeAgent.queue} = ${key.queue} AND ${nodeAgent.holder} = ${holder}`,
  );
}
