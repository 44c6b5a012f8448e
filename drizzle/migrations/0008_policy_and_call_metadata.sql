CREATE TABLE `processPolicy` (
	`processId` int NOT NULL,
	`redaction` json,
	`recordingDays` int,
	`transcriptDays` int,
	`analysisDays` int,
	`answerDays` int,
	`updatedBy` varchar(64),
	`updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `processPolicy_processId` PRIMARY KEY(`processId`)
);
--> statement-breakpoint
ALTER TABLE `call` ADD `agentId` varchar(64);--> statement-breakpoint
ALTER TABLE `call` ADD `team` varchar(64);--> statement-breakpoint
ALTER TABLE `call` ADD `customerReference` varchar(128);--> statement-breakpoint
ALTER TABLE `call` ADD `callStartedAt` datetime(3);--> statement-breakpoint
ALTER TABLE `call` ADD `direction` varchar(8);--> statement-breakpoint
CREATE INDEX `call_customerReference` ON `call` (`customerReference`);--> statement-breakpoint
CREATE INDEX `call_agent` ON `call` (`agentId`);