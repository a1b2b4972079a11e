// Tasks of the grid, read from the libs/datasets registry: what each is evaluated with (its row's evalSplit,
// extraEval and mainMetric), how big its training split is (for --dry-run costs before any data is read), and
// loading its examples. What a task's kind means (head, encoding, metrics) is the datasets kind table.
import { join } from 'node:path';
import {
  findRepoRoot,
  getTask,
  kindOfTask,
  loadTrainEval,
  officialTrainSize,
  subsample,
  TASK_NAMES,
  customTaskNames,
  type AnyExample,
  type MainMetric,
  type TaskLoadOptions,
  type TaskSpec,
} from '@prunelab/datasets';
import type { TaskKind } from '@prunelab/core';
import type { DataCfg, TaskName } from './schema.ts';

export type { MainMetric };

export interface TaskMeta {
  /** the metric the report tables show (the others of the task are columns beside it) */
  metric: MainMetric;
  /** the split evaluated after each epoch */
  evalSplit: string;
  /** further splits evaluated and reported beside it (MNLI: mismatched) */
  extraEval?: string[];
}

export const METRIC_TITLES: Record<string, string> = {
  accuracy: 'accuracy',
  matthews: 'Matthews corr.',
  pearson: 'Pearson',
  spearman: 'Spearman',
  f1: 'F1',
  exact_match: 'EM',
  within_tolerance: 'within ±0.5',
};

function metaOf(task: string): TaskMeta | undefined {
  let spec: TaskSpec;
  try {
    spec = getTask(task);
  } catch {
    return undefined;
  }
  const extra = spec.extraEval && { extraEval: spec.extraEval };
  return { metric: spec.mainMetric, evalSplit: spec.evalSplit, ...extra };
}

/**
 * Each task's registry row as the reports read it (derived, not a second list): looked up when read, so a task
 * defined in the config (custom_tasks, registered when it is read) has its row too; undefined for an unknown name.
 */
export const TASK_META: Record<TaskName, TaskMeta> = new Proxy({} as Record<TaskName, TaskMeta>, {
  get: (_, task) => (typeof task === 'string' ? metaOf(task) : undefined),
  has: (_, task) => typeof task === 'string' && metaOf(task) !== undefined,
  ownKeys: () => [...TASK_NAMES, ...customTaskNames()],
  getOwnPropertyDescriptor: (_, task) =>
    typeof task === 'string' && metaOf(task)
      ? { value: metaOf(task), enumerable: true, configurable: true, writable: false }
      : undefined,
});

/** The kind a task trains as (report notes for regression and QA). */
export function taskKind(task: TaskName): TaskKind {
  return getTask(task).kind;
}

/** Training examples a job sees before any data is read (the subsample cap or the whole official split). */
export function plannedTrainSize(task: TaskName, data: DataCfg): number {
  const full = officialTrainSize(getTask(task));
  return data.train_size === null ? full : Math.min(full, data.train_size);
}

/** A task's examples as the app trains on them (regression: Example.label is the float score). */
export interface TaskData {
  title: string;
  /** classes of the training rows' labels (the kind's: label names, choices, score bins, answerable or not) */
  labels: string[];
  description: string;
  warnings: string[];
  evalSplit: string;
  train: AnyExample[];
  dev: AnyExample[];
  /** further evaluation splits by name */
  extra: { split: string; examples: AnyExample[] }[];
  /** the files read (every split's), for the data digest's cache (data-digest.ts) */
  files: string[];
  /** examples read per split, before subsampling (train, the evaluation split, the extra ones) */
  read: Record<string, number>;
  /** the registry row's official counts of those splits (a pool: of 'all') */
  official: Record<string, number>;
}

/** The loader options a data config gives (data.root, the download cache, data.allow_download, data.lenient). */
export function loadOptions(data: DataCfg): TaskLoadOptions {
  return {
    ...(data.root !== null && { dataRoot: data.root }),
    cacheDir: join(findRepoRoot(), '.cache', 'data'),
    allowDownload: data.allow_download,
    lenient: data.lenient,
  };
}

/** Load one task's training examples (seeded subsample) and its evaluation split(s). */
export async function loadTaskData(task: TaskName, data: DataCfg): Promise<TaskData> {
  const spec = getTask(task);
  const splits = await loadTrainEval(task, loadOptions(data), data.seed);
  const trainAll = splits.train.examples as AnyExample[];
  const evalAll = splits.eval.examples as AnyExample[];
  const trainN = data.train_size ?? trainAll.length;
  const kept = subsample(trainAll, trainN, data.seed);
  // a different stream for the evaluation subsample, so the two are not correlated by construction
  const evalSeed = (data.seed ^ 0x9e3779b9) >>> 0;
  const dev = data.dev_size === null ? evalAll : subsample(evalAll, data.dev_size, evalSeed);
  const fmt = (n: number) => n.toLocaleString('en-US');
  const extra = splits.extra.map(({ split, loaded }) => {
    const all = loaded.examples as AnyExample[];
    return { split, examples: data.dev_size === null ? all : subsample(all, data.dev_size, evalSeed) };
  });
  const loadedSplits = [splits.train, splits.eval, ...splits.extra.map((x) => x.loaded)];
  const officialSplits =
    splits.evalSplit === 'heldout' ? ['all'] : ['train', splits.evalSplit, ...extra.map((x) => x.split)];
  return {
    extra,
    files: [...new Set(loadedSplits.flatMap((l) => l.files))],
    read: Object.fromEntries([
      ['train', trainAll.length],
      [splits.evalSplit, evalAll.length],
      ...splits.extra.map((x) => [x.split, x.loaded.examples.length]),
    ]),
    official: Object.fromEntries(
      officialSplits.filter((x) => spec.official[x] !== undefined).map((x) => [x, spec.official[x]!]),
    ),
    title: spec.title,
    labels: kindOfTask(task).classes(spec),
    evalSplit: splits.evalSplit,
    train: kept,
    dev,
    description:
      `${spec.title}: ${fmt(kept.length)} of ${fmt(trainAll.length)} training examples (seed ${data.seed}), ` +
      `evaluated on ${splits.evalSplit} (${fmt(dev.length)} of ${fmt(evalAll.length)})${extra.map((x) => ` and ${x.split} (${fmt(x.examples.length)})`).join('')}; ${splits.train.description}`,
    warnings: [
      ...splits.warnings,
      ...splits.train.warnings,
      ...splits.eval.warnings,
      ...splits.extra.flatMap((x) => x.loaded.warnings),
      ...(trainN > trainAll.length
        ? [`train_size ${fmt(trainN)} exceeds the ${fmt(trainAll.length)} training examples: using all`]
        : []),
    ],
  };
}
