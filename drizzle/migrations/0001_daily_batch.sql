ALTER TABLE `call` ADD `originalPath` varchar(1024);--> statement-breakpoint
ALTER TABLE `call` ADD `sourcePath` varchar(512);--> statement-breakpoint
ALTER TABLE `call` ADD `ivrOffset` double;--> statement-breakpoint
CREATE INDEX `call_sourcePath` ON `call` (`sourcePath`);