ALTER TABLE `batchStatus` ADD `redactStatus` varchar(24) DEFAULT 'Pending' NOT NULL;--> statement-breakpoint
ALTER TABLE `fileDistribution` ADD `redactDone` boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `transcript` ADD `redactedAt` datetime(3);--> statement-breakpoint
ALTER TABLE `transcript` ADD `redactedEntities` json;--> statement-breakpoint
ALTER TABLE `transcript` ADD `originalText` mediumtext;--> statement-breakpoint
ALTER TABLE `transcript` ADD `originalSegments` json;