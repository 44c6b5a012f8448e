ALTER TABLE `call` ADD `skipReason` varchar(32);--> statement-breakpoint
ALTER TABLE `lidResult` ADD `speech` boolean DEFAULT true NOT NULL;