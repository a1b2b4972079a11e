// Tasks of the grid: what each is evaluated with, how big its training split is (for --dry-run costs before any
// data is read), and loading through the libs/data task registry. Every kind trains end to end: classification,
// multiple choice (RACE), extractive QA (SQuAD v2: windows in cell.ts, F1/EM in evaluation.ts) and regression
// (STS-B: one output, MSE, Pearson/Spearman).
import { join } from 'node:path';
import { findRepoRoot, getTask, loadTaskSplit, subsample, type ChoiceExample, type Example, type QaExample } from '@prunelab/data';
import type { DataCfg, TaskName } from './schema.ts';

export interface TaskMeta {
  /** training examples of the official split (method.md / data README counts), for cost estimates */
  trainSize: number;
  /** the metric the report tables show (the others of the task are columns beside it) */
  metric: MainMetric;
  /** 'classification' runs through the sequence-classification head; the others need libs/finetune heads */
  head: 'classification' | 'qa' | 'multiple-choice' | 'regression';
  /** the split evaluated after each epoch (the paper: dev; SNLI, RACE: test; MNLI: matched) */
  evalSplit: string;
  /** further splits evaluated and reported beside it (MNLI: mismatched) */
  extraEval?: string[];
}

/** accuracy; matthews (CoLA); pearson (STS-B, spearman beside); f1 = SQuAD v2 token F1 (exact_match beside) */
export type MainMetric = 'accuracy' | 'matthews' | 'pearson' | 'f1';

export const METRIC_TITLES: Record<string, string> = {
  accuracy: 'accuracy', matthews: 'Matthews corr.', pearson: 'Pearson', spearman: 'Spearman', f1: 'F1', exact_match: 'EM', within_tolerance: 'within ±0.5',
};

export const TASK_META: Record<TaskName, TaskMeta> = {
  sst2: { trainSize: 67_349, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  cola: { trainSize: 8_551, metric: 'matthews', head: 'classification', evalSplit: 'dev' },
  mrpc: { trainSize: 3_668, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  rte: { trainSize: 2_490, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  stsb: { trainSize: 5_749, metric: 'pearson', head: 'regression', evalSplit: 'dev' },
  wnli: { trainSize: 635, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  qnli: { trainSize: 104_743, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  mnli: { trainSize: 392_702, metric: 'accuracy', head: 'classification', evalSplit: 'dev_matched', extraEval: ['dev_mismatched'] },
  qqp: { trainSize: 363_846, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  snli: { trainSize: 549_367, metric: 'accuracy', head: 'classification', evalSplit: 'test' },
  squad_v2: { trainSize: 130_319, metric: 'f1', head: 'qa', evalSplit: 'dev' },
  race: { trainSize: 87_866, metric: 'accuracy', head: 'multiple-choice', evalSplit: 'test' },
  imdb: { trainSize: 25_000, metric: 'accuracy', head: 'classification', evalSplit: 'test' },
  trec: { trainSize: 5_452, metric: 'accuracy', head: 'classification', evalSplit: 'test' },
  cb: { trainSize: 250, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
};

/** Training examples a job sees before any data is read (the subsample cap or the whole split). */
export function plannedTrainSize(task: TaskName, data: DataCfg): number {
  const full = TASK_META[task].trainSize;
  return data.train_size === null ? full : Math.min(full, data.train_size);
}

/** A task's examples as the app trains on them (regression: Example.label is the float score). */
export type TaskData = {
  title: string;
  labels: string[];
  description: string;
  warnings: string[];
  /** further evaluation splits by name (classification only) */
  extra: { split: string; examples: Example[] }[];
} & ({ head: 'classification' | 'regression'; train: Example[]; dev: Example[] } | { head: 'multiple-choice'; train: ChoiceExample[]; dev: ChoiceExample[] }
  | { head: 'qa'; train: QaExample[]; dev: QaExample[] });

/** Load one task's training examples (seeded subsample) and its evaluation split. */
export async function loadTaskData(task: TaskName, data: DataCfg): Promise<TaskData> {
  const meta = TASK_META[task];
  const opts = { ...(data.root !== null && { dataRoot: data.root }), cacheDir: join(findRepoRoot(), '.cache', 'data'), allowDownload: data.allow_download, lenient: data.lenient };
  const train = await loadTaskSplit(task, 'train', opts);
  const evalSplit = await loadTaskSplit(task, meta.evalSplit, opts);
  const spec = getTask(task);
  const trainAll = train.examples;
  const evalAll = evalSplit.examples;
  const trainN = data.train_size ?? trainAll.length;
  const kept = subsample(trainAll as unknown[], trainN, data.seed);
  // a different stream for the evaluation subsample, so the two are not correlated by construction
  const dev = data.dev_size === null ? (evalAll as unknown[]) : subsample(evalAll as unknown[], data.dev_size, (data.seed ^ 0x9e3779b9) >>> 0);
  const fmt = (n: number) => n.toLocaleString('en-US');
  const extra: TaskData['extra'] = [];
  for (const split of meta.extraEval ?? []) {
    const all = (await loadTaskSplit(task, split, opts)).examples as Example[];
    extra.push({ split, examples: data.dev_size === null ? all : subsample(all, data.dev_size, (data.seed ^ 0x9e3779b9) >>> 0) });
  }
  const common = {
    extra,
    title: spec.title, labels: spec.labels,
    description: `${spec.title}: ${fmt(kept.length)} of ${fmt(trainAll.length)} training examples (seed ${data.seed}), ` +
      `evaluated on ${meta.evalSplit} (${fmt(dev.length)} of ${fmt(evalAll.length)})${extra.map((x) => ` and ${x.split} (${fmt(x.examples.length)})`).join('')}; ${train.description}`,
    warnings: [...train.warnings, ...evalSplit.warnings, ...(trainN > trainAll.length ? [`train_size ${fmt(trainN)} exceeds the ${fmt(trainAll.length)} training examples: using all`] : [])],
  };
  if (meta.head === 'multiple-choice') return { ...common, head: 'multiple-choice', train: kept as ChoiceExample[], dev: dev as ChoiceExample[] };
  if (meta.head === 'qa') return { ...common, labels: QA_CLASSES, head: 'qa', train: kept as QaExample[], dev: dev as QaExample[] };
  if (meta.head === 'regression') return { ...common, labels: SCORE_BINS, head: 'regression', train: kept as Example[], dev: dev as Example[] };
  return { ...common, head: 'classification', train: kept as Example[], dev: dev as Example[] };
}

/** QA questions fall in two classes for balanced baselines and subset summaries. */
export const QA_CLASSES = ['unanswerable', 'answerable'];
/** STS-B scores rounded to the nearest integer: classes for balanced baselines and subset summaries only. */
export const SCORE_BINS = ['0', '1', '2', '3', '4', '5'];
