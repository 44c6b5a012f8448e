// The benchmark's workflow bundle: cofi's workflows plus the stage-barrier batch it measures against.
export * from '../workflows/index.js';
export { stageBarrierBatch } from './stageBarrier.js';
