CREATE TABLE `reviewVerdict` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`processId` int NOT NULL,
	`questionId` int NOT NULL,
	`code` varchar(64) NOT NULL,
	`aiAnswer` varchar(16) NOT NULL,
	`answer` varchar(16) NOT NULL,
	`kind` varchar(8) NOT NULL,
	`keyName` varchar(64) NOT NULL,
	`at` datetime(3) NOT NULL,
	CONSTRAINT `reviewVerdict_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `reviewVerdict_call` ON `reviewVerdict` (`callId`,`code`,`id`);--> statement-breakpoint
CREATE INDEX `reviewVerdict_process_at` ON `reviewVerdict` (`processId`,`at`);