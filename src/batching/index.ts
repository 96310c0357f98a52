// Dynamic batching: pure merge/split plus the per-version queue.
export { Batcher, type BatcherOptions, type BatchObserver, type RunBatch } from './batcher.ts';
export { batchKey, mergeInputs, rowsOf, splitOutputs } from './merge.ts';
