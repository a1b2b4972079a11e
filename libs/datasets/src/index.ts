// @prunelab/datasets: the task registry and its readers and checksummed downloads, the task-kind table (how each
// kind is encoded, judged and scored), preparation helpers and metrics. No TensorFlow.js.
export type { ChoiceExample, Example, QaExample, TaskKind } from './types.ts';
export { UNLABELLED } from './types.ts';
export { readTsv, type TsvOptions, type TsvRow, type TsvTable } from './tsv.ts';
export { assignIds, exampleId } from './example-id.ts';
export { holdoutSplit, subsample } from './subsample.ts';
export { readZip } from './zip.ts';
export { readTar } from './tar.ts';
export { findRepoRoot } from './repo-root.ts';
export { encodeExamples, type EncodedClassification } from './encode-examples.ts';

// Task registry, loading and downloads.
export {
  TASKS,
  TASK_NAMES,
  describeLabels,
  customTaskNames,
  getTask,
  labelId,
  registerTask,
  officialTrainSize,
  taskSplits,
  type CustomLayout,
  type FieldRef,
  type Layout,
  type MainMetric,
  type TableFormat,
  type MetricName,
  type TaskName,
  type TaskSpec,
} from './tasks.ts';
export {
  loadTask,
  loadTaskSplit,
  readTaskSplit,
  resolveTaskSplit,
  layoutFiles,
  type LoadedSplit,
  type TaskLoadOptions,
} from './load-task.ts';
export { DataNotFoundError, RowProblems } from './data-error.ts';
export {
  CUSTOM_KEYS,
  CUSTOM_KINDS,
  CustomTaskError,
  TABLE_FORMATS,
  customTaskSpec,
  registerCustomTasks,
} from './custom-task.ts';
export { POOL_HELD_OUT, loadTrainEval, trainEvalSources, type TrainEvalSplits } from './train-eval.ts';

// Task kinds: head, encoding, rule for "correct", dynamics stats, metrics of each (kinds/<kind>.ts).
export { KINDS, kindOfTask } from './kinds/index.ts';
export type { AnyExample, EvalOutput, EvalSet, KindEncodeOptions, StatsKind, TaskKindSpec } from './kinds/kind-spec.ts';
export { QA_CLASSES, squadWindowOptions } from './kinds/extractive-qa.ts';
export { SCORE_BINS } from './kinds/regression.ts';
export { downloadTask, hasDownload, sha256Hex, taskSources, type SourceFile } from './task-download.ts';

// Preparation and metrics.
export {
  SQUAD_DEFAULTS,
  forEachSquadFeature,
  packSquadFeatures,
  prepareSquadFeatures,
  type SquadFeature,
  type SquadPrepareOptions,
} from './squad-prepare.ts';
export { postprocessSquad, type SquadPostprocessOptions, type SquadPrediction } from './squad-postprocess.ts';
export { exactMatch, goldAnswers, normalizeAnswer, squadV2Metrics, tokenF1, type SquadScores } from './squad-metric.ts';
export { encodeMultipleChoice, raceQuestionOption, type EncodedChoices } from './race-prepare.ts';
export {
  accuracy,
  averageRanks,
  expectedCalibrationError,
  f1Score,
  macroF1,
  matthewsCorrelation,
  pearson,
  spearman,
  taskMetrics,
} from './metrics.ts';
export {
  buildCorpus,
  docId,
  isHeldOut,
  numBlocks,
  pretrainStreams,
  readSource,
  tokenStream,
  type CorpusDoc,
  type CorpusSource,
  type PretrainStreams,
} from './pretrain-corpus.ts';
