// `npx tsx test/support/resetDatabase.ts`: drops the test database so a test run starts from nothing.
import mysql from 'mysql2/promise';
import { databaseName } from '../../drizzle/client.js';

const url = process.env.COFI_TEST_DATABASE_URL;
if (!url) throw new Error('COFI_TEST_DATABASE_URL is not set');
const name = databaseName(url);
if (!name.endsWith('_test')) throw new Error(`refusing to drop "${name}": test databases end in _test`);
const server = new URL(url);
server.pathname = '/';
const conn = await mysql.createConnection(server.toString());
await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
await conn.end();
