// Reference data for the upload form: business processes (with questionnaire size) and category mappings.
import { and, asc, count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../drizzle/client.js';
import {
  auditQuestion,
  category,
  categoryMapping,
  process,
  questionnaireVersion,
} from '../../drizzle/schema/index.js';

export async function listProcesses(db: Db) {
  const rows = await db
    .select({
      id: process.id,
      name: process.name,
      description: process.description,
      active: process.active,
      question_count: count(auditQuestion.id),
    })
    .from(process)
    // The current (highest) version's questions only: earlier versions keep theirs for past answers.
    .leftJoin(
      auditQuestion,
      and(
        eq(auditQuestion.processId, process.id),
        eq(
          auditQuestion.versionId,
          sql`(select max(v.id) from ${questionnaireVersion} v where v.processId = ${process.id})`,
        ),
      ),
    )
    .groupBy(process.id, process.name, process.description, process.active)
    .orderBy(asc(process.id));
  return rows.map((r) => ({ ...r, active: Boolean(r.active), question_count: Number(r.question_count) }));
}

export async function listCategoryMappings(db: Db) {
  const rows = await db
    .select({
      id: categoryMapping.id,
      name: categoryMapping.name,
      description: categoryMapping.description,
      category_count: count(category.id),
    })
    .from(categoryMapping)
    .leftJoin(category, eq(category.categoryMappingId, categoryMapping.id))
    .groupBy(categoryMapping.id, categoryMapping.name, categoryMapping.description)
    .orderBy(asc(categoryMapping.id));
  return rows.map((r) => ({ ...r, category_count: Number(r.category_count) }));
}
