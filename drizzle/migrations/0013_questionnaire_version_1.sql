-- Questions from before versions (versionId 0) become each process's version 1; calls already scored were
-- scored with it. Nothing to do on a new database: the reference data loader writes version 1 itself.
INSERT INTO `questionnaireVersion` (`processId`, `version`, `publishedAt`, `publishedBy`, `note`)
SELECT DISTINCT `processId`, 1, NOW(3), 'migration', 'the questions from before questionnaire versions'
FROM `auditQuestion` WHERE `versionId` = 0;
--> statement-breakpoint
UPDATE `auditQuestion` q JOIN `questionnaireVersion` v ON v.`processId` = q.`processId` AND v.`version` = 1
SET q.`versionId` = v.`id` WHERE q.`versionId` = 0;
--> statement-breakpoint
UPDATE `call` c JOIN `questionnaireVersion` v ON v.`processId` = c.`processId` AND v.`version` = 1
SET c.`questionnaireVersionId` = v.`id`, c.`criticalFailure` = false
WHERE c.`auditScore` IS NOT NULL AND c.`questionnaireVersionId` IS NULL;
