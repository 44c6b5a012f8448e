// Loads the reference data (processes and questionnaires, category mappings, languages) idempotently.
import { readFileSync } from 'node:fs';
import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from './client.js';
import {
  auditQuestion,
  category,
  categoryMapping,
  language,
  process,
  questionnaireVersion,
} from './schema/index.js';
import type { AnswerType } from './schema/reference.js';

export type ProcessSeed = {
  id: number;
  name: string;
  description: string;
  questions: {
    /** Kept as the row's id only when no row has it (a fresh database: the seed's ids); see loadReferenceData. */
    id: number;
    code: string;
    text: string;
    answerType: AnswerType;
    weight: number;
    guidance: string;
    critical?: boolean;
  }[];
};
type CategorySeed = { id: number; code: string; name: string; children?: CategorySeed[] };
type MappingSeed = { id: number; name: string; description: string; categories: CategorySeed[] };
type LanguageSeed = { code: string; name: string; enabled: boolean };

const read = <T>(file: string): T =>
  JSON.parse(readFileSync(new URL(`./reference/${file}`, import.meta.url), 'utf8')) as T;

export type ReferenceData = ReturnType<typeof referenceData>;

export function referenceData() {
  return {
    processes: read<ProcessSeed[]>('processes.json'),
    mappings: read<MappingSeed[]>('categoryMappings.json'),
    languages: read<LanguageSeed[]>('languages.json'),
  };
}

/** Who published the questionnaire versions the loader writes. */
export const REFERENCE_DATA_PUBLISHER = 'reference-data';

/**
 * Upserts by primary key, so a second load changes nothing and an edited file updates the rows; except the
 * questionnaires: the file gives a process its version 1 when it has none, and never changes a version that
 * exists (published versions are immutable; new ones are published through the API). Version 1's questions are
 * found by (processId, versionId) and written only when it has none. auditQuestion is numbered by the table, which
 * the questionnaire publish API fills too: the file's question ids are kept only when none of them is taken (a
 * fresh database, where the seed's process 1 keeps its documented ids 101-109); a process added to the file later
 * whose ids published questions took gets ids from the table instead of failing startup with a duplicate key.
 */
export async function loadReferenceData(db: Db, data: ReferenceData = referenceData()): Promise<void> {
  await db.transaction(async (tx) => {
    for (const p of data.processes) {
      await tx
        .insert(process)
        .values({ id: p.id, name: p.name, description: p.description })
        .onDuplicateKeyUpdate({ set: { name: p.name, description: p.description } });
      if (p.questions.length === 0) continue;
      // Two loaders at once (API and worker starting): the second waits on the unique key, then its locking
      // read sees the first one's questions and writes none.
      await tx
        .insert(questionnaireVersion)
        .values({
          processId: p.id,
          version: 1,
          publishedAt: new Date(),
          publishedBy: REFERENCE_DATA_PUBLISHER,
          note: 'from the reference data',
        })
        .onDuplicateKeyUpdate({ set: { processId: sql`processId` } });
      const [v1] = await tx
        .select({ id: questionnaireVersion.id })
        .from(questionnaireVersion)
        .where(and(eq(questionnaireVersion.processId, p.id), eq(questionnaireVersion.version, 1)))
        .for('update');
      if (!v1) throw new Error(`process ${p.id}: questionnaire version 1 was not written`);
      const [has] = await tx
        .select({ id: auditQuestion.id })
        .from(auditQuestion)
        // By the unique key's prefix (processId, versionId): the lock covers this version's rows, not the table.
        .where(and(eq(auditQuestion.processId, p.id), eq(auditQuestion.versionId, v1.id)))
        .limit(1)
        .for('update');
      if (has) continue;
      const taken = await tx
        .select({ id: auditQuestion.id })
        .from(auditQuestion)
        .where(
          inArray(
            auditQuestion.id,
            p.questions.map((q) => q.id),
          ),
        )
        .limit(1)
        .for('update');
      const keepIds = taken.length === 0;
      await tx.insert(auditQuestion).values(
        p.questions.map(({ id, ...q }, position) => ({
          ...q,
          ...(keepIds && { id }),
          critical: q.critical ?? false,
          processId: p.id,
          versionId: v1.id,
          position: position + 1,
        })),
      );
    }
    for (const m of data.mappings) {
      await tx
        .insert(categoryMapping)
        .values({ id: m.id, name: m.name, description: m.description })
        .onDuplicateKeyUpdate({ set: { name: m.name, description: m.description } });
      const rows = m.categories.flatMap((top) => [
        { id: top.id, categoryMappingId: m.id, parentId: null, code: top.code, name: top.name },
        ...(top.children ?? []).map((c) => ({
          id: c.id,
          categoryMappingId: m.id,
          parentId: top.id,
          code: c.code,
          name: c.name,
        })),
      ]);
      for (const row of rows) await tx.insert(category).values(row).onDuplicateKeyUpdate({ set: row });
    }
    for (const l of data.languages) {
      await tx
        .insert(language)
        .values(l)
        .onDuplicateKeyUpdate({ set: { name: l.name, enabled: sql`values(enabled)` } });
    }
  });
}
