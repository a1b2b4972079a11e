// Tasks of the grid: what each is evaluated with, how big its training split is (for --dry-run costs before any
// data is read), and loading through the libs/data task registry. Every kind trains end to end: classification,
// multiple choice (RACE), extractive QA (SQuAD v2: windows in cell.ts, F1/EM in evaluation.ts) and regression
// (STS-B: one output, MSE, Pearson/Spearman).
import { join } from 'node:path';
import { findRepoRoot, getTask, loadTaskSplit, subsample, type ChoiceExample, type Example, type QaExample } from '@prunelab/datasets';
import type { DataCfg, TaskName } from './schema.ts';

export interface TaskMeta {
  /** the metric the report tables show (the others of the task are columns beside it) */
  metric: MainMetric;
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
  sst2: { metric: 'accuracy', evalSplit: 'dev' },
  cola: { metric: 'matthews', evalSplit: 'dev' },
  mrpc: { metric: 'accuracy', evalSplit: 'dev' },
  rte: { metric: 'accuracy', evalSplit: 'dev' },
  stsb: { metric: 'pearson', evalSplit: 'dev' },
  wnli: { metric: 'accuracy', evalSplit: 'dev' },
  qnli: { metric: 'accuracy', evalSplit: 'dev' },
  mnli: { metric: 'accuracy', evalSplit: 'dev_matched', extraEval: ['dev_mismatched'] },
  qqp: { metric: 'accuracy', evalSplit: 'dev' },
  snli: { metric: 'accuracy', evalSplit: 'test' },
  squad_v2: { metric: 'f1', evalSplit: 'dev' },
  race: { metric: 'accuracy', evalSplit: 'test' },
  imdb: { metric: 'accuracy', evalSplit: 'test' },
  trec: { metric: 'accuracy', evalSplit: 'test' },
  cb: { metric: 'accuracy', evalSplit: 'dev' },
};

/** How a task trains: the sequence-classification head for classification, the libs/finetune QA,
 * multiple-choice and regression heads for the others. Read from the libs/data registry's task kind. */
export type TaskHead = 'classification' | 'qa' | 'multiple-choice' | 'regression';
export function taskHead(task: TaskName): TaskHead {
  const kind = getTask(task).kind;
  return kind === 'extractive-qa' ? 'qa' : kind;
}

/** Training examples a job sees before any data is read (the subsample cap or the whole official split). */
export function plannedTrainSize(task: TaskName, data: DataCfg): number {
  const full = getTask(task).official.train ?? 0;
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
  const head = taskHead(task);
  const opts = { ...(data.root !== null && { dataRoot: data.root }), cacheDir: join(findRepoRoot(), '.cache', 'data'), allowDownload: data.allow_download, lenient: data.lenient };
  const train = await loadTaskSplit(task, 'train', opts);
  const evalSplit = await loadTaskSplit(task, meta.evalSplit, opts);
  const spec = getTask(task);
  const trainAll = train.examples;
  const evalAll = evalSplit.examples;
  const trainN = data.train_size ?? trainAll.length;
  const kept = subsample(trainAll as unknown[], trainN, data.seed);
  // a different stream for the evaluation subsample, so the two are not correlated by construction
  const evalSeed = (data.seed ^ 0x9e3779b9) >>> 0;
  const dev = data.dev_size === null ? (evalAll as unknown[]) : subsample(evalAll as unknown[], data.dev_size, evalSeed);
  const fmt = (n: number) => n.toLocaleString('en-US');
  const extra: TaskData['extra'] = [];
  for (const split of meta.extraEval ?? []) {
    const all = (await loadTaskSplit(task, split, opts)).examples as Example[];
    extra.push({ split, examples: data.dev_size === null ? all : subsample(all, data.dev_size, evalSeed) });
  }
  const common = {
    extra,
    title: spec.title, labels: spec.labels,
    description: `${spec.title}: ${fmt(kept.length)} of ${fmt(trainAll.length)} training examples (seed ${data.seed}), ` +
      `evaluated on ${meta.evalSplit} (${fmt(dev.length)} of ${fmt(evalAll.length)})${extra.map((x) => ` and ${x.split} (${fmt(x.examples.length)})`).join('')}; ${train.description}`,
    warnings: [...train.warnings, ...evalSplit.warnings, ...(trainN > trainAll.length ? [`train_size ${fmt(trainN)} exceeds the ${fmt(trainAll.length)} training examples: using all`] : [])],
  };
  if (head === 'multiple-choice') return { ...common, head: 'multiple-choice', train: kept as ChoiceExample[], dev: dev as ChoiceExample[] };
  if (head === 'qa') return { ...common, labels: QA_CLASSES, head: 'qa', train: kept as QaExample[], dev: dev as QaExample[] };
  if (head === 'regression') return { ...common, labels: SCORE_BINS, head: 'regression', train: kept as Example[], dev: dev as Example[] };
  return { ...common, head: 'classification', train: kept as Example[], dev: dev as Example[] };
}

/** QA questions fall in two classes for balanced baselines and subset summaries. */
export const QA_CLASSES = ['unanswerable', 'answerable'];
/** STS-B scores rounded to the nearest integer: classes for balanced baselines and subset summaries only. */
export const SCORE_BINS = ['0', '1', '2', '3', '4', '5'];
