export {
  softmax,
  exampleStats,
  batchStats,
  mcBatchStats,
  qaExampleStats,
  qaBatchStats,
  regressionBatchStats,
  grandOf,
  mcGrandOf,
  type ExampleStats,
  type BatchStats,
  type ExtraStats,
  type Features,
} from './stats.ts';
export {
  EpochRecorder,
  OPTIONAL_FIELDS,
  type RunRecordHeader,
  type EpochArrays,
  type BatchValues,
  type OptionalField,
} from './record.ts';
export { appendEpoch, readRunRecord, truncateRecord, RECORD_FILES, type RunRecord } from './store.ts';
export { readRunRecords, type RunSet } from './run-set.ts';
export { useRecords, type UseOptions, type Used } from './records-shape.ts';
export { hScore, hHistogram, type HScoreOptions } from './hscore.ts';
export { cartography, type Cartography } from './cartography.ts';
export { forgetting, type Forgetting } from './forgetting.ts';
export { el2nScore, el2nFromGoldProb } from './el2n.ts';
export { aum } from './aum.ts';
export { allScores, type AllScores, type AllScoresInput } from './all-scores.ts';
