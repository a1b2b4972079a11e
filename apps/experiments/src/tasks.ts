// Tasks of the grid: what each is evaluated with, how big its training split is (for --dry-run costs before any
// data is read), and the seam to libs/data that loads it. Only SST-2 loads today (loadSentimentTask); the other
// tasks come with the libs/data task registry (issue #3): loadTaskData is the one place to wire it.
import { join } from 'node:path';
import { findRepoRoot, loadSentimentTask, type LoadedTask } from '@prunelab/data';
import type { DataCfg, TaskName } from './schema.ts';

export interface TaskMeta {
  /** training examples of the official split (method.md / data README counts), for cost estimates */
  trainSize: number;
  /** the metric the report tables show */
  metric: 'accuracy' | 'f1';
  /** 'classification' runs through the sequence-classification head; the others need libs/finetune heads */
  head: 'classification' | 'qa' | 'multiple-choice' | 'regression';
  /** evaluated on the test split instead of dev (SNLI, RACE in the paper) */
  evalSplit: 'dev' | 'test';
}

export const TASK_META: Record<TaskName, TaskMeta> = {
  sst2: { trainSize: 67_349, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  cola: { trainSize: 8_551, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  mrpc: { trainSize: 3_668, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  rte: { trainSize: 2_490, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  stsb: { trainSize: 5_749, metric: 'accuracy', head: 'regression', evalSplit: 'dev' },
  wnli: { trainSize: 635, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  qnli: { trainSize: 104_743, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
  mnli: { trainSize: 392_702, metric: 'accuracy', head: 'classification', evalSplit: 'dev' },
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

/** Load one task's train and evaluation examples. */
export async function loadTaskData(task: TaskName, data: DataCfg): Promise<LoadedTask> {
  const common = {
    dataRoot: data.root ?? undefined, cacheDir: join(findRepoRoot(), '.cache', 'data'), trainSize: data.train_size ?? Infinity,
    devSize: data.dev_size ?? undefined, seed: data.seed, allowDownload: data.allow_download, lenient: data.lenient,
  };
  if (task === 'sst2') return loadSentimentTask({ task, ...common });
  // SEAM(libs/data task registry): replace this throw with the registry's loader for `task`.
  throw new Error(`task '${task}' cannot be loaded yet: it needs the libs/data task registry (issue #3); ` +
    `the tasks that load today: sst2. Run --dry-run to see the grid meanwhile.`);
}
