// `tsx drizzle/cli.ts`: create the database if needed, apply migrations and load reference data.
import { configOrExit } from '../core/env.js';
import { prepareDatabase } from './migrate.js';

const config = configOrExit();
const database = await prepareDatabase(config.DATABASE_URL);
await database.close();
console.log(`[cofi] database ready: ${new URL(config.DATABASE_URL).pathname.slice(1)}`);
