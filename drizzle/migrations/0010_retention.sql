CREATE TABLE `retentionCount` (
	`runId` int NOT NULL,
	`processId` int NOT NULL,
	`kind` varchar(16) NOT NULL,
	`calls` int NOT NULL DEFAULT 0,
	`items` int NOT NULL DEFAULT 0,
	CONSTRAINT `retentionCount_runId_processId_kind_pk` PRIMARY KEY(`runId`,`processId`,`kind`)
);
--> statement-breakpoint
CREATE TABLE `retentionRun` (
	`id` int AUTO_INCREMENT NOT NULL,
	`workflowId` varchar(255) NOT NULL,
	`asOf` datetime(3) NOT NULL,
	`status` varchar(16) NOT NULL DEFAULT 'Running',
	`startedAt` datetime(3) NOT NULL,
	`finishedAt` datetime(3),
	`error` text,
	CONSTRAINT `retentionRun_id` PRIMARY KEY(`id`),
	CONSTRAINT `retentionRun_workflow` UNIQUE(`workflowId`)
);
--> statement-breakpoint
ALTER TABLE `call` ADD `recordingExpiredAt` datetime(3);--> statement-breakpoint
ALTER TABLE `call` ADD `transcriptExpiredAt` datetime(3);--> statement-breakpoint
ALTER TABLE `call` ADD `analysisExpiredAt` datetime(3);--> statement-breakpoint
ALTER TABLE `call` ADD `answerExpiredAt` datetime(3);--> statement-breakpoint
CREATE INDEX `retentionRun_started` ON `retentionRun` (`startedAt`);--> statement-breakpoint
CREATE INDEX `call_process_created` ON `call` (`processId`,`createdAt`);