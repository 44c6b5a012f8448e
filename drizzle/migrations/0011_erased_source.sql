CREATE TABLE `erasedSource` (
	`id` int AUTO_INCREMENT NOT NULL,
	`sha256` char(64) NOT NULL,
	`bytes` bigint NOT NULL,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `erasedSource_id` PRIMARY KEY(`id`),
	CONSTRAINT `erasedSource_sha256` UNIQUE(`sha256`)
);
--> statement-breakpoint
CREATE INDEX `erasedSource_bytes` ON `erasedSource` (`bytes`);