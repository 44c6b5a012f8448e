// The workflows the worker registers (this file is the bundle's entry point). The first shapes (v1/) stay
// registered so that batches started before the batch ledger finish on the code that started them.
export { auditUploadV2 } from './auditUpload.js';
export { callPipelineV2 } from './callPipeline.js';
export { dailyBatchV2 } from './dailyBatch.js';
export { reauditV2 } from './reaudit.js';
export { retention } from './retention.js';
export { scheduledDay } from './scheduledDay.js';
export { auditUpload } from './v1/auditUpload.js';
export { callPipeline } from './v1/callPipeline.js';
export { dailyBatch } from './v1/dailyBatch.js';
export { reaudit } from './v1/reaudit.js';
