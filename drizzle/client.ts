// Opens the MySQL pool and the drizzle handle every other part receives as a dependency.
import { drizzle, type MySql2Database } from 'drizzle-orm/mysql2';
import mysql from 'mysql2/promise';
import * as schema from './schema/index.js';

export type Db = MySql2Database<typeof schema>;
/** The callback connection the pool's 'connection' event hands over. */
type CoreConnection = { query(sql: string, done: (err: Error | null) => void): void };
export type Database = { db: Db; pool: mysql.Pool; close(): Promise<void> };

export function openDatabase(url: string, options: { connectionLimit?: number } = {}): Database {
  const pool = mysql.createPool({
    uri: url,
    connectionLimit: options.connectionLimit ?? 10,
    // Timestamps are stored and read as UTC whatever the server's zone.
    timezone: 'Z',
    dateStrings: ['DATE'],
    connectTimeout: 5000,
    enableKeepAlive: true,
  });
  // The session's zone too: DEFAULT CURRENT_TIMESTAMP columns and CURDATE() would otherwise follow the
  // server's zone while every timestamp cofi writes is UTC. Queued before the connection's first query.
  pool.on('connection', (conn) => {
    (conn as unknown as CoreConnection).query("SET time_zone = '+00:00'", (err) => {
      if (err) conn.destroy();
    });
  });
  const db = drizzle(pool, { schema, mode: 'default' });
  return { db, pool, close: () => pool.end() };
}

/** The database name in a mysql:// URL. */
export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!/^[A-Za-z0-9_]+$/.test(name))
    throw new Error(`DATABASE_URL: database name "${name}" must be [A-Za-z0-9_]+`);
  return name;
}

/** Creates the database named in the URL when it does not exist (the server must accept the user). */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseName(url);
  const server = new URL(url);
  server.pathname = '/';
  const conn = await mysql.createConnection({ uri: server.toString(), connectTimeout: 5000 });
  try {
    await conn.query(
      `CREATE DATABASE IF NOT EXISTS \`${name}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`,
    );
  } finally {
    await conn.end();
  }
}
