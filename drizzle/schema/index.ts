// The whole schema, one import for drizzle and for the code that queries it.
export * from './access.js';
export * from './agents.js';
export * from './batches.js';
export * from './calls.js';
export * from './erasure.js';
export * from './failures.js';
export * from './ledger.js';
export * from './policy.js';
export * from './reference.js';
export * from './results.js';
export * from './retention.js';
export * from './review.js';
