// The reference loader on the real MariaDB: auditQuestion is numbered by the table (the questionnaire publish API
// fills it too), so a process added to drizzle/reference/processes.json later, whose question ids published
// questions took, loads with ids from the table instead of failing startup with a duplicate key; loading again
// writes nothing; the seed's process 1 keeps the file's ids (101-109), which tests and the seed's data use.
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { asc, eq } from 'drizzle-orm';
import type { Database } from '../../drizzle/client.js';
import { prepareDatabase } from '../../drizzle/migrate.js';
import { loadReferenceData, type ProcessSeed, referenceData } from '../../drizzle/referenceData.js';
import { auditQuestion, process as processTable, questionnaireVersion } from '../../drizzle/schema/index.js';

let database: Database;
/** A process id no other test uses (process ids are given, not numbered). */
const processId = 900_000 + randomInt(99_999);

const later: ProcessSeed = {
  id: processId,
  name: `Added later ${processId}`,
  description: 'a process added to the file after questionnaires were published',
  questions: [
    // Ids 101 and 102 are process 1's version 1 questions already.
    {
      id: 101,
      code: 'hello',
      text: 'Did the agent say hello?',
      answerType: 'yes_no',
      weight: 2,
      guidance: 'g',
    },
    {
      id: 102,
      code: 'bye',
      text: 'Did the agent say goodbye?',
      answerType: 'yes_no_na',
      weight: 3,
      guidance: 'g',
      critical: true,
    },
  ],
};
const data = { processes: [later], mappings: [], languages: [] };

const questionsOf = (id: number) =>
  database.db
    .select({
      id: auditQuestion.id,
      code: auditQuestion.code,
      position: auditQuestion.position,
      critical: auditQuestion.critical,
      versionId: auditQuestion.versionId,
    })
    .from(auditQuestion)
    .where(eq(auditQuestion.processId, id))
    .orderBy(asc(auditQuestion.position));

before(async () => {
  const url = process.env.COFI_TEST_DATABASE_URL;
  if (!url) throw new Error('COFI_TEST_DATABASE_URL is needed: run with `npm test`');
  database = await prepareDatabase(url);
});
after(async () => {
  await database.db.delete(auditQuestion).where(eq(auditQuestion.processId, processId));
  await database.db.delete(questionnaireVersion).where(eq(questionnaireVersion.processId, processId));
  await database.db.delete(processTable).where(eq(processTable.id, processId));
  await database?.close();
});

describe('loadReferenceData', () => {
  test("the seed's process 1 keeps the file's question ids", async () => {
    const file = referenceData().processes.find((p) => p.id === 1)!;
    const [v1] = await database.db
      .select({ id: questionnaireVersion.id })
      .from(questionnaireVersion)
      .where(eq(questionnaireVersion.processId, 1))
      .orderBy(asc(questionnaireVersion.version))
      .limit(1);
    const stored = (await questionsOf(1)).filter((q) => q.versionId === v1?.id);
    assert.deepEqual(
      stored.map((q) => [q.id, q.code]),
      file.questions.map((q) => [q.id, q.code]),
    );
  });

  test('a process added later whose question ids are taken loads, numbered by the table', async () => {
    const before = await questionsOf(1);
    await loadReferenceData(database.db, data);
    const loaded = await questionsOf(processId);
    assert.deepEqual(
      loaded.map((q) => [q.code, q.position, q.critical]),
      [
        ['hello', 1, false],
        ['bye', 2, true],
      ],
    );
    for (const q of loaded) assert.ok(![101, 102].includes(q.id), `question ${q.code} took id ${q.id}`);
    const [v1] = await database.db
      .select()
      .from(questionnaireVersion)
      .where(eq(questionnaireVersion.processId, processId));
    assert.equal(v1?.version, 1);
    assert.ok(loaded.every((q) => q.versionId === v1?.id));
    assert.deepEqual(await questionsOf(1), before, "process 1's questions are untouched");
  });

  test('loading again writes nothing', async () => {
    const first = await questionsOf(processId);
    await loadReferenceData(database.db, data);
    assert.deepEqual(await questionsOf(processId), first);
    const versions = await database.db
      .select()
      .from(questionnaireVersion)
      .where(eq(questionnaireVersion.processId, processId));
    assert.equal(versions.length, 1);
  });
});
