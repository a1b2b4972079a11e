export type { ChoiceExample, DataSource, Example, LoadedTask, QaExample, TaskInfo, TaskKind } from './types.ts';
export { UNLABELLED } from './types.ts';
export { readTsv, type TsvOptions, type TsvRow, type TsvTable } from './tsv.ts';
export { assignIds, exampleId } from './example-id.ts';
export { holdoutSplit, subsample } from './subsample.ts';
export { SST2_OFFICIAL_COUNTS, SST2_TASK, loadSst2, readSst2, sst2File, type Sst2Options, type Sst2Split, type Sst2SplitData } from './sst2.ts';
export { SYNTHETIC_TASK, syntheticSentiment } from './synthetic.ts';
export { readZip } from './zip.ts';
export { readTar } from './tar.ts';
export { SST2_URL, downloadSst2, hasSst2 } from './download.ts';
export { findRepoRoot } from './repo-root.ts';
export { loadSentimentTask, type SentimentTaskOptions } from './resolve.ts';
export { bertNormalize, bertPreTokenize, isChineseChar, isPunctuation, type BertNormalizerConfig } from './bert-pretokenizer.ts';
export { WordPieceTokenizer, type Encoding } from './wordpiece.ts';
export type { EncodeOptions, Encoded, Pieces, Tokenizer, Truncation } from './tokenizer-types.ts';
export { ByteLevelBpeTokenizer, type BpeOptions, type BpeTemplateName, type ByteLevelBpeConfig } from './bpe.ts';
export { UnigramTokenizer, unigramTokenizerJson } from './unigram.ts';
export { loadTokenizer, type LoadTokenizerOptions } from './load-tokenizer.ts';
export { findGpt2Files, loadGpt2Bpe } from './gpt2-files.ts';
export type { SpecialTemplate } from './special-template.ts';
export { encodeExamples, type EncodedClassification, type LegacyTokenizer } from './encode-examples.ts';

// Task registry, loading and downloads.
export { TASKS, TASK_NAMES, describeLabels, getTask, labelId, taskSplits, type Layout, type MetricName, type TaskName, type TaskSpec } from './tasks.ts';
export { loadTask, loadTaskSplit, readTaskSplit, resolveTaskSplit, layoutFiles, type LoadedSplit, type TaskLoadOptions } from './load-task.ts';
export { DataNotFoundError, RowProblems } from './data-error.ts';
export { downloadTask, hasDownload, sha256Hex, taskSources, type SourceFile } from './task-download.ts';

// Preparation and metrics.
export { SQUAD_DEFAULTS, forEachSquadFeature, packSquadFeatures, prepareSquadFeatures, type SquadFeature, type SquadPrepareOptions } from './squad-prepare.ts';
export { postprocessSquad, type SquadPostprocessOptions, type SquadPrediction } from './squad-postprocess.ts';
export { exactMatch, goldAnswers, normalizeAnswer, squadV2Metrics, tokenF1, type SquadScores } from './squad-metric.ts';
export { encodeMultipleChoice, raceQuestionOption, type EncodedChoices } from './race-prepare.ts';
export { accuracy, averageRanks, f1Score, macroF1, matthewsCorrelation, pearson, spearman, taskMetrics } from './metrics.ts';
export { cacheFile, cachedEncoding, idsDigest, readCacheEntry, tokenizerFingerprint, writeCacheEntry, type CacheEntry, type CacheKey, type CachedArray } from './token-cache.ts';
export { prepareSplit, squadFeaturesFromArrays, type PrepareSplitOptions, type PreparedSplit } from './prepare-split.ts';
export { defaultEvalSplit, loadExperimentTask, type ExperimentTask, type ExperimentTaskOptions } from './experiment-task.ts';
export { summarizeTaskData, taskDataMarkdown, type TaskDataRow } from './task-summary.ts';
export { buildCorpus, docId, isHeldOut, numBlocks, pretrainStreams, readSource, tokenStream, type CorpusDoc, type CorpusSource, type PretrainStreams } from './pretrain-corpus.ts';
export { OPT_SPECIALS, truncatedBpeJson, writeTruncatedBpe } from './pretrain-tokenizer.ts';
