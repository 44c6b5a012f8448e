CREATE TABLE `answerOverride` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`questionId` int NOT NULL,
	`kind` varchar(8) NOT NULL,
	`aiAnswer` varchar(16) NOT NULL,
	`answerBefore` varchar(16) NOT NULL,
	`answerAfter` varchar(16) NOT NULL,
	`scoreBefore` double,
	`scoreAfter` double,
	`reason` text NOT NULL,
	`keyName` varchar(64) NOT NULL,
	`role` varchar(16) NOT NULL,
	`at` datetime(3) NOT NULL,
	CONSTRAINT `answerOverride_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `answerReview` (
	`callId` int NOT NULL,
	`questionId` int NOT NULL,
	`answer` varchar(16) NOT NULL,
	`aiAnswer` varchar(16) NOT NULL,
	`aiChanged` boolean NOT NULL DEFAULT false,
	`newAiAnswer` varchar(16),
	`aiChangedBatchId` int,
	`aiChangedAt` datetime(3),
	`updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `answerReview_callId_questionId_pk` PRIMARY KEY(`callId`,`questionId`)
);
--> statement-breakpoint
CREATE TABLE `callReview` (
	`callId` int NOT NULL,
	`reviewedBy` varchar(64) NOT NULL,
	`reviewedAt` datetime(3) NOT NULL,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `callReview_callId` PRIMARY KEY(`callId`)
);
--> statement-breakpoint
CREATE TABLE `resultVersion` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`version` int NOT NULL,
	`batchId` int NOT NULL,
	`reason` varchar(255) NOT NULL,
	`stages` json NOT NULL,
	`models` json NOT NULL,
	`promptVersions` json NOT NULL,
	`questionnaireVersion` int,
	`auditScore` double,
	`snapshot` json NOT NULL,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `resultVersion_id` PRIMARY KEY(`id`),
	CONSTRAINT `resultVersion_call_version` UNIQUE(`callId`,`version`),
	CONSTRAINT `resultVersion_call_batch` UNIQUE(`callId`,`batchId`)
);
--> statement-breakpoint
CREATE INDEX `answerOverride_call` ON `answerOverride` (`callId`,`id`);--> statement-breakpoint
CREATE INDEX `answerOverride_question` ON `answerOverride` (`questionId`);--> statement-breakpoint
CREATE INDEX `answerReview_changed` ON `answerReview` (`aiChanged`);--> statement-breakpoint
CREATE INDEX `callReview_at` ON `callReview` (`reviewedAt`);