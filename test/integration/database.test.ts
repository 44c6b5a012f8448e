// The pool's sessions run in UTC, as every timestamp cofi writes does: a server in another zone must not
// shift the rows the database dates itself (DEFAULT CURRENT_TIMESTAMP) or the seed's CURDATE() queries.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Database, openDatabase } from '../../drizzle/client.js';

let database: Database;
before(() => {
  const url = process.env.COFI_TEST_DATABASE_URL;
  if (!url) throw new Error('COFI_TEST_DATABASE_URL is not set');
  database = openDatabase(url, { connectionLimit: 3 });
});
after(async () => {
  await database?.close();
});

test('every pooled connection runs in UTC, whatever the server zone', async () => {
  // Several connections at once, so more than the first one is checked.
  const zones = await Promise.all(
    Array.from({ length: 3 }, async () => {
      const conn = await database.pool.getConnection();
      try {
        const [rows] = await conn.query('SELECT @@session.time_zone AS zone, SLEEP(0.05) AS s');
        return (rows as { zone: string }[])[0]!.zone;
      } finally {
        conn.release();
      }
    }),
  );
  assert.deepEqual(zones, ['+00:00', '+00:00', '+00:00']);
});

test("the database's own now and today agree with the process clock in UTC", async () => {
  const before = Date.now();
  const [rows] = await database.pool.query('SELECT NOW(3) AS now, CURDATE() AS today');
  const row = (rows as { now: Date; today: string | Date }[])[0]!;
  // mysql2 reads DATETIME as UTC ('Z'): equal to the process clock within the round trip.
  assert.ok(Math.abs(row.now.getTime() - before) < 5000, `NOW() ${row.now.toISOString()}`);
  const today = typeof row.today === 'string' ? row.today : row.today.toISOString().slice(0, 10);
  assert.equal(today, new Date(row.now).toISOString().slice(0, 10));
});
