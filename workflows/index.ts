// The workflows the worker registers (this file is the bundle's entry point).
export { auditUpload } from './auditUpload.js';
export { callPipeline } from './callPipeline.js';
export { dailyBatch } from './dailyBatch.js';
export { reaudit } from './reaudit.js';
export { stageBarrierBatch } from './stageBarrier.js';
