CREATE TABLE `accessLog` (
	`id` int AUTO_INCREMENT NOT NULL,
	`at` datetime(3) NOT NULL,
	`keyName` varchar(64),
	`role` varchar(16),
	`action` varchar(24) NOT NULL,
	`targetType` varchar(8) NOT NULL,
	`targetId` int,
	`batchId` int,
	`taskId` varchar(128),
	`method` varchar(8) NOT NULL,
	`path` varchar(512) NOT NULL,
	`status` smallint NOT NULL,
	`requestId` varchar(255),
	CONSTRAINT `accessLog_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE INDEX `accessLog_at` ON `accessLog` (`at`);--> statement-breakpoint
CREATE INDEX `accessLog_key` ON `accessLog` (`keyName`,`id`);--> statement-breakpoint
CREATE INDEX `accessLog_role` ON `accessLog` (`role`,`id`);--> statement-breakpoint
CREATE INDEX `accessLog_action` ON `accessLog` (`action`,`id`);--> statement-breakpoint
CREATE INDEX `accessLog_target` ON `accessLog` (`targetType`,`targetId`,`id`);--> statement-breakpoint
CREATE INDEX `accessLog_batch` ON `accessLog` (`batchId`,`id`);