CREATE TABLE `batchExecutionLog` (
	`id` int AUTO_INCREMENT NOT NULL,
	`batchId` int NOT NULL,
	`stage` varchar(32) NOT NULL,
	`eventType` varchar(32) NOT NULL,
	`status` varchar(24) NOT NULL,
	`message` text,
	`metadata` json,
	`callId` int,
	`totalFiles` int,
	`successfulFiles` int,
	`failedFiles` int,
	`eventKey` varchar(191) NOT NULL,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `batchExecutionLog_id` PRIMARY KEY(`id`),
	CONSTRAINT `batchExecutionLog_eventKey` UNIQUE(`eventKey`)
);
--> statement-breakpoint
CREATE TABLE `batchStatus` (
	`id` int AUTO_INCREMENT NOT NULL,
	`batchDate` date NOT NULL,
	`kind` varchar(16) NOT NULL,
	`status` varchar(24) NOT NULL DEFAULT 'Pending',
	`taskId` varchar(128) NOT NULL,
	`workflowId` varchar(255) NOT NULL,
	`runId` varchar(64),
	`processId` int,
	`categoryMappingId` int,
	`stages` json NOT NULL,
	`source` varchar(1024),
	`totalFiles` int NOT NULL DEFAULT 0,
	`completedFiles` int NOT NULL DEFAULT 0,
	`failedFiles` int NOT NULL DEFAULT 0,
	`dbInsertionStatus` varchar(24) NOT NULL DEFAULT 'Pending',
	`denoiseStatus` varchar(24) NOT NULL DEFAULT 'Pending',
	`ivrStatus` varchar(24) NOT NULL DEFAULT 'Pending',
	`lidStatus` varchar(24) NOT NULL DEFAULT 'Pending',
	`sttStatus` varchar(24) NOT NULL DEFAULT 'Pending',
	`llm1Status` varchar(24) NOT NULL DEFAULT 'Pending',
	`llm2Status` varchar(24) NOT NULL DEFAULT 'Pending',
	`details` json,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`startedAt` datetime(3),
	`completedAt` datetime(3),
	CONSTRAINT `batchStatus_id` PRIMARY KEY(`id`),
	CONSTRAINT `batchStatus_taskId` UNIQUE(`taskId`)
);
--> statement-breakpoint
CREATE TABLE `processing_logs` (
	`id` int AUTO_INCREMENT NOT NULL,
	`call_id` varchar(64) NOT NULL,
	`audio_name` varchar(255),
	`batch_id` varchar(64) NOT NULL,
	`stage_name` varchar(32) NOT NULL,
	`status` varchar(16) NOT NULL,
	`error_type` varchar(64),
	`error_message` text,
	`request_url` varchar(2048),
	`input_payload` text,
	`attempts` int,
	`created_at` datetime(3) NOT NULL,
	CONSTRAINT `processing_logs_id` PRIMARY KEY(`id`),
	CONSTRAINT `processing_logs_batch_call_stage` UNIQUE(`batch_id`,`call_id`,`stage_name`)
);
--> statement-breakpoint
CREATE TABLE `call` (
	`id` int AUTO_INCREMENT NOT NULL,
	`batchId` int NOT NULL,
	`audioName` varchar(255) NOT NULL,
	`storedPath` varchar(1024) NOT NULL,
	`processId` int NOT NULL,
	`categoryMappingId` int,
	`status` varchar(24) NOT NULL DEFAULT 'Queued',
	`stage` varchar(16),
	`lang` varchar(16),
	`audioDuration` double,
	`audioFormat` varchar(32),
	`audioBytes` bigint,
	`gpuNode` varchar(64),
	`failedStage` varchar(16),
	`errorMessage` text,
	`auditScore` double,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `call_id` PRIMARY KEY(`id`),
	CONSTRAINT `call_batch_audio` UNIQUE(`batchId`,`audioName`)
);
--> statement-breakpoint
CREATE TABLE `callLock` (
	`callId` int NOT NULL,
	`batchId` int NOT NULL,
	`lockedAt` datetime(3) NOT NULL,
	CONSTRAINT `callLock_callId` PRIMARY KEY(`callId`)
);
--> statement-breakpoint
CREATE TABLE `fileDistribution` (
	`id` int AUTO_INCREMENT NOT NULL,
	`batchId` int NOT NULL,
	`callId` int NOT NULL,
	`file` varchar(255) NOT NULL,
	`gpuNode` varchar(64) NOT NULL,
	`gpuUrl` varchar(512) NOT NULL,
	`denoiseDone` boolean NOT NULL DEFAULT false,
	`ivrDone` boolean NOT NULL DEFAULT false,
	`lidDone` boolean NOT NULL DEFAULT false,
	`sttDone` boolean NOT NULL DEFAULT false,
	`llm1Done` boolean NOT NULL DEFAULT false,
	`llm2Done` boolean NOT NULL DEFAULT false,
	`failedStage` varchar(16),
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	`updatedAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `fileDistribution_id` PRIMARY KEY(`id`),
	CONSTRAINT `fileDistribution_call` UNIQUE(`callId`)
);
--> statement-breakpoint
CREATE TABLE `reauditCall` (
	`batchId` int NOT NULL,
	`callId` int NOT NULL,
	`originalBatchId` int NOT NULL,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `reauditCall_batchId_callId_pk` PRIMARY KEY(`batchId`,`callId`)
);
--> statement-breakpoint
CREATE TABLE `auditQuestion` (
	`id` int NOT NULL,
	`processId` int NOT NULL,
	`position` smallint NOT NULL,
	`code` varchar(64) NOT NULL,
	`text` text NOT NULL,
	`answerType` varchar(16) NOT NULL,
	`weight` double NOT NULL,
	`guidance` text,
	CONSTRAINT `auditQuestion_id` PRIMARY KEY(`id`),
	CONSTRAINT `auditQuestion_process_code` UNIQUE(`processId`,`code`)
);
--> statement-breakpoint
CREATE TABLE `category` (
	`id` int NOT NULL,
	`categoryMappingId` int NOT NULL,
	`parentId` int,
	`code` varchar(64) NOT NULL,
	`name` varchar(128) NOT NULL,
	CONSTRAINT `category_id` PRIMARY KEY(`id`),
	CONSTRAINT `category_mapping_code` UNIQUE(`categoryMappingId`,`code`)
);
--> statement-breakpoint
CREATE TABLE `categoryMapping` (
	`id` int NOT NULL,
	`name` varchar(128) NOT NULL,
	`description` text,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `categoryMapping_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `language` (
	`code` varchar(8) NOT NULL,
	`name` varchar(64) NOT NULL,
	`enabled` boolean NOT NULL DEFAULT true,
	CONSTRAINT `language_code` PRIMARY KEY(`code`)
);
--> statement-breakpoint
CREATE TABLE `process` (
	`id` int NOT NULL,
	`name` varchar(128) NOT NULL,
	`description` text,
	`active` boolean NOT NULL DEFAULT true,
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `process_id` PRIMARY KEY(`id`)
);
--> statement-breakpoint
CREATE TABLE `analysis` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`summary` text NOT NULL,
	`category` varchar(128),
	`subCategory` varchar(128),
	`sentiment` varchar(16),
	`keyFacts` json,
	`model` varchar(128),
	`promptVersion` varchar(32),
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `analysis_id` PRIMARY KEY(`id`),
	CONSTRAINT `analysis_call` UNIQUE(`callId`)
);
--> statement-breakpoint
CREATE TABLE `auditAnswer` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`questionId` int NOT NULL,
	`answer` varchar(16) NOT NULL,
	`evidence` text,
	`score` double NOT NULL,
	`maxScore` double NOT NULL,
	`model` varchar(128),
	`promptVersion` varchar(32),
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `auditAnswer_id` PRIMARY KEY(`id`),
	CONSTRAINT `auditAnswer_call_question` UNIQUE(`callId`,`questionId`)
);
--> statement-breakpoint
CREATE TABLE `lidResult` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`lang` varchar(16) NOT NULL,
	`confidence` double,
	`detectedRaw` varchar(64),
	`supported` boolean NOT NULL,
	`source` varchar(32) NOT NULL,
	`gpuNode` varchar(64),
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `lidResult_id` PRIMARY KEY(`id`),
	CONSTRAINT `lidResult_call` UNIQUE(`callId`)
);
--> statement-breakpoint
CREATE TABLE `transcript` (
	`id` int AUTO_INCREMENT NOT NULL,
	`callId` int NOT NULL,
	`lang` varchar(16),
	`text` mediumtext NOT NULL,
	`segments` json NOT NULL,
	`duration` double,
	`model` varchar(128),
	`gpuNode` varchar(64),
	`createdAt` datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
	CONSTRAINT `transcript_id` PRIMARY KEY(`id`),
	CONSTRAINT `transcript_call` UNIQUE(`callId`)
);
--> statement-breakpoint
CREATE INDEX `batchExecutionLog_batch` ON `batchExecutionLog` (`batchId`,`id`);--> statement-breakpoint
CREATE INDEX `batchStatus_date` ON `batchStatus` (`batchDate`);--> statement-breakpoint
CREATE INDEX `batchStatus_kind` ON `batchStatus` (`kind`,`id`);--> statement-breakpoint
CREATE INDEX `processing_logs_status` ON `processing_logs` (`batch_id`,`status`);--> statement-breakpoint
CREATE INDEX `call_audioName` ON `call` (`audioName`);--> statement-breakpoint
CREATE INDEX `call_status` ON `call` (`batchId`,`status`);--> statement-breakpoint
CREATE INDEX `fileDistribution_batch` ON `fileDistribution` (`batchId`);--> statement-breakpoint
CREATE INDEX `reauditCall_call` ON `reauditCall` (`callId`);