// drizzle-kit settings: `npm run db:generate` writes a new migration from the schema.
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'mysql',
  schema: './drizzle/schema/index.ts',
  out: './drizzle/migrations',
});
