CREATE INDEX `call_created` ON `call` (`createdAt`);--> statement-breakpoint
CREATE INDEX `call_started` ON `call` (`callStartedAt`);--> statement-breakpoint
CREATE INDEX `call_score` ON `call` (`auditScore`);--> statement-breakpoint
CREATE INDEX `call_team` ON `call` (`team`,`createdAt`);--> statement-breakpoint
CREATE INDEX `call_status_created` ON `call` (`status`,`createdAt`);