ALTER TABLE `call` ADD `erasedAt` datetime(3);--> statement-breakpoint
ALTER TABLE `call` ADD `erasedBy` varchar(64);