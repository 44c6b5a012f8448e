// A real database blip for tests: a trigger that makes the next `times` matching UPDATEs of a table fail, as a
// dropped connection or a lock timeout would. Its counter lives in a MEMORY table, which a failed statement
// does not roll back, so each failure is counted exactly once.
import { randomUUID } from 'node:crypto';
import type { Pool, RowDataPacket } from 'mysql2/promise';

export type DbFault = {
  /** How many times it fired so far. */
  fired(): Promise<number>;
  remove(): Promise<void>;
};

/**
 * From now on, the next `times` UPDATEs of `table` for which `condition` (over OLD and NEW) holds fail with
 * SQLSTATE 45000.
 */
export async function failUpdates(
  pool: Pool,
  table: string,
  condition: string,
  times: number,
): Promise<DbFault> {
  const name = `fault_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  await pool.query(
    `CREATE TABLE ${name} (id INT PRIMARY KEY, remaining INT NOT NULL, fired INT NOT NULL) ENGINE=MEMORY`,
  );
  await pool.query(`INSERT INTO ${name} VALUES (1, ?, 0)`, [times]);
  await pool.query(`
    CREATE TRIGGER ${name} BEFORE UPDATE ON \`${table}\` FOR EACH ROW
    BEGIN
      IF (${condition}) AND (SELECT remaining FROM ${name} WHERE id = 1) > 0 THEN
        UPDATE ${name} SET remaining = remaining - 1, fired = fired + 1 WHERE id = 1;
        SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'injected database fault';
      END IF;
    END`);
  return {
    async fired() {
      const [rows] = await pool.query<RowDataPacket[]>(`SELECT fired FROM ${name} WHERE id = 1`);
      return Number(rows[0]?.fired ?? 0);
    },
    async remove() {
      await pool.query(`DROP TRIGGER IF EXISTS ${name}`);
      await pool.query(`DROP TABLE IF EXISTS ${name}`);
    },
  };
}
