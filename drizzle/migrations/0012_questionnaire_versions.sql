CREATE TABLE `questionnaireVersion` (
	`id` int AUTO_INCREMENT NOT NULL,
	`processId` int NOT NULL,
	`version` int NOT NULL,
	`publishedAt` datetime(3) NOT NULL,
	`publishedBy` varchar(64),
	`note` text,
	CONSTRAINT `questionnaireVersion_id` PRIMARY KEY(`id`),
	CONSTRAINT `questionnaireVersion_process_version` UNIQUE(`processId`,`version`)
);
--> statement-breakpoint
ALTER TABLE `auditQuestion` DROP INDEX `auditQuestion_process_code`;--> statement-breakpoint
ALTER TABLE `auditQuestion` MODIFY COLUMN `id` int AUTO_INCREMENT NOT NULL;--> statement-breakpoint
ALTER TABLE `call` ADD `questionnaireVersionId` int;--> statement-breakpoint
ALTER TABLE `call` ADD `criticalFailure` boolean;--> statement-breakpoint
ALTER TABLE `auditQuestion` ADD `versionId` int NOT NULL;--> statement-breakpoint
ALTER TABLE `auditQuestion` ADD `critical` boolean DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `auditQuestion` ADD CONSTRAINT `auditQuestion_version_code` UNIQUE(`processId`,`versionId`,`code`);