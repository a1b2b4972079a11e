export { softmax, exampleStats, batchStats, type ExampleStats, type BatchStats } from './stats.ts';
export { EpochRecorder, type RunRecordHeader, type EpochArrays } from './record.ts';
export { appendEpoch, readRunRecord, RECORD_FILES, type RunRecord } from './store.ts';
export { hScore, hHistogram, type HScoreOptions } from './hscore.ts';
export { cartography, type Cartography } from './cartography.ts';
