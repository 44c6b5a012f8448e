// GET /processes and GET /category-mappings: the reference data an upload names.
import { createRoute } from '@hono/zod-openapi';
import type { ApiDeps } from '../deps.js';
import { createRouter, errorResponses, json } from '../openapi.js';
import { listCategoryMappings, listProcesses } from '../queries/reference.js';
import { categoryMappingsSchema, processesSchema } from '../schemas.js';

const tags = ['reference data'];

const processes = createRoute({
  method: 'get',
  path: '/processes',
  tags,
  summary: 'Business processes (each has an audit questionnaire); `process_id` of an upload',
  responses: { 200: json(processesSchema, 'processes'), ...errorResponses() },
});

const mappings = createRoute({
  method: 'get',
  path: '/category-mappings',
  tags,
  summary: 'Category mappings (category trees for LLM1); `category_mapping_id` of an upload',
  responses: { 200: json(categoryMappingsSchema, 'category mappings'), ...errorResponses() },
});

export function referenceRoutes(deps: ApiDeps) {
  const db = deps.database.db;
  return createRouter()
    .openapi(processes, async (c) => c.json({ processes: await listProcesses(db) }, 200))
    .openapi(mappings, async (c) => c.json({ category_mappings: await listCategoryMappings(db) }, 200));
}
