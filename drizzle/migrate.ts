// Brings a database to the current schema (committed drizzle-kit migrations) plus reference data.
import { fileURLToPath } from 'node:url';
import { migrate } from 'drizzle-orm/mysql2/migrator';
import { type Database, ensureDatabase, openDatabase } from './client.js';
import { loadReferenceData } from './referenceData.js';

export const MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

export async function prepareDatabase(url: string): Promise<Database> {
  await ensureDatabase(url);
  const database = openDatabase(url);
  await migrate(database.db, { migrationsFolder: MIGRATIONS_FOLDER });
  await loadReferenceData(database.db);
  return database;
}
