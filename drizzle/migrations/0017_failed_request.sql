CREATE TABLE `failedRequest` (
	`batchId` int NOT NULL,
	`callId` int NOT NULL,
	`stage` varchar(16) NOT NULL,
	`message` text NOT NULL,
	`context` json NOT NULL,
	`attempt` int NOT NULL,
	`failedAt` datetime(3) NOT NULL,
	CONSTRAINT `failedRequest_batchId_callId_stage_pk` PRIMARY KEY(`batchId`,`callId`,`stage`)
);
