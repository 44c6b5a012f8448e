CREATE TABLE `nodeAgent` (
	`queue` varchar(200) NOT NULL,
	`kind` varchar(8) NOT NULL,
	`nodeId` varchar(100) NOT NULL,
	`holder` varchar(200) NOT NULL,
	`acquiredAt` datetime(3) NOT NULL,
	`renewedAt` datetime(3) NOT NULL,
	`expiresAt` datetime(3) NOT NULL,
	CONSTRAINT `nodeAgent_queue` PRIMARY KEY(`queue`)
);
