CREATE TABLE `stageOutcome` (
	`batchId` int NOT NULL,
	`callId` int NOT NULL,
	`stage` varchar(16) NOT NULL,
	`outcome` varchar(16) NOT NULL,
	`reason` varchar(512),
	`startedAt` datetime(3),
	`finishedAt` datetime(3) NOT NULL,
	CONSTRAINT `stageOutcome_batchId_callId_stage_pk` PRIMARY KEY(`batchId`,`callId`,`stage`)
);
--> statement-breakpoint
ALTER TABLE `batchStatus` ADD `attempt` int DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `stageOutcome_progress` ON `stageOutcome` (`batchId`,`stage`,`outcome`);--> statement-breakpoint
CREATE INDEX `stageOutcome_call` ON `stageOutcome` (`callId`);--> statement-breakpoint
CREATE INDEX `callLock_batch` ON `callLock` (`batchId`);
--> statement-breakpoint
-- Batches from before the ledger: their outcomes, read from the flags and call statuses they left (a reaudit's
-- from its calls as they are now). Written once, never again.
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'distribute', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'distribute' THEN 'failed'
      WHEN d.callId IS NOT NULL THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('distribute', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"distribute"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'denoise', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'denoise' THEN 'failed'
      WHEN d.`denoiseDone` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('denoise', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"denoise"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'ivr', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'ivr' THEN 'failed'
      WHEN d.`ivrDone` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('ivr', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"ivr"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'lid', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'lid' THEN 'failed'
      WHEN d.`lidDone` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('lid', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"lid"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'stt', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'stt' THEN 'failed'
      WHEN d.`sttDone` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('stt', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"stt"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'llm1', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'llm1' THEN 'failed'
      WHEN d.`llm1Done` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('llm1', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"llm1"')
) o WHERE o.outcome IS NOT NULL;
--> statement-breakpoint
INSERT IGNORE INTO `stageOutcome` (`batchId`, `callId`, `stage`, `outcome`, `reason`, `finishedAt`)
SELECT o.batchId, o.callId, 'llm2', o.outcome, 'recorded before the batch ledger', o.at FROM (
  SELECT m.batchId, c.id AS callId, c.updatedAt AS at,
    CASE
      WHEN c.status = 'Failed' AND c.failedStage = 'llm2' THEN 'failed'
      WHEN d.`llm2Done` = 1 THEN 'done'
      WHEN c.status = 'Failed' AND FIELD(c.failedStage, 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') BETWEEN 1 AND FIELD('llm2', 'distribute', 'denoise', 'ivr', 'lid', 'stt', 'llm1', 'llm2') - 1 THEN 'skipped'
      WHEN c.status = 'Cancelled' THEN 'cancelled'
    END AS outcome
  FROM (SELECT id AS callId, batchId FROM `call` UNION ALL SELECT callId, batchId FROM `reauditCall`) m
  JOIN `batchStatus` b ON b.id = m.batchId
  JOIN `call` c ON c.id = m.callId
  LEFT JOIN `fileDistribution` d ON d.callId = c.id
  WHERE JSON_CONTAINS(b.stages, '"llm2"')
) o WHERE o.outcome IS NOT NULL;
