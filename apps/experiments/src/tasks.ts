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
  type Example,
  type MainMetric,
  type TaskLoadOptions,
  type TaskSpec,
} from '@prunelab/datasets';
import { mulberry32, shuffleInPlace, type TaskKind } from '@prunelab/core';
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

/**
 * Training examples a job sees before any data is read: few-shot K x the task's classes, else the subsample cap or
 * the whole official split.
 */
export function plannedTrainSize(task: TaskName, data: DataCfg): number {
  const spec = getTask(task);
  if (data.per_class != null) return data.per_class * kindOfTask(task).classes(spec).length;
  const full = officialTrainSize(spec);
  return data.train_size === null ? full : Math.min(full, data.train_size);
}

/**
 * Few-shot (data.per_class): `k` examples of each of the `classes` (an example's class is its label index), drawn
 * by one seeded shuffle of the whole split (the first k of each class in that order, so a larger k keeps the smaller
 * draw) and returned in split order; a class with fewer than k keeps all of them and is named in `short`.
 */
export function perClassDraw<T extends { label: number }>(
  examples: readonly T[],
  classes: readonly string[],
  k: number,
  seed: number,
): { kept: T[]; short: { label: string; n: number }[] } {
  const taken = new Array<number>(classes.length).fill(0);
  const chosen: number[] = [];
  for (const i of shuffleInPlace(Array.from(examples.keys()), mulberry32(seed))) {
    const c = examples[i]!.label;
    if (!Number.isInteger(c) || c < 0 || c >= classes.length || taken[c]! >= k) continue; // not a class (unlabelled)
    taken[c]!++;
    chosen.push(i);
  }
  return {
    kept: chosen.sort((a, b) => a - b).map((i) => examples[i]!),
    short: classes.flatMap((label, c) => (taken[c]! < k ? [{ label, n: taken[c]! }] : [])),
  };
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

/**
 * Load one task's training examples (seeded subsample, or few-shot: data.per_class examples of each class) and its
 * evaluation split(s).
 */
export async function loadTaskData(task: TaskName, data: DataCfg): Promise<TaskData> {
  const spec = getTask(task);
  const kind = kindOfTask(task);
  const K = data.per_class ?? null;
  if (K !== null && kind.kind !== 'classification')
    throw new Error(
      `data.per_class ${K}: task ${task} is ${kind.kind}, and few-shot draws from the classes of single-label ` +
        'classification only',
    );
  const splits = await loadTrainEval(task, loadOptions(data), data.seed);
  const trainAll = splits.train.examples as AnyExample[];
  const evalAll = splits.eval.examples as AnyExample[];
  const labels = kind.classes(spec);
  const fmt = (n: number) => n.toLocaleString('en-US');
  // few-shot ignores train_size: it draws from the whole split
  const fewShot = K === null ? null : perClassDraw(trainAll as Example[], labels, K, data.seed);
  const trainN = data.train_size ?? trainAll.length;
  const kept: AnyExample[] = fewShot ? fewShot.kept : subsample(trainAll, trainN, data.seed);
  // a different stream for the evaluation subsample, so the two are not correlated by construction
  const evalSeed = (data.seed ^ 0x9e3779b9) >>> 0;
  const dev = data.dev_size === null ? evalAll : subsample(evalAll, data.dev_size, evalSeed);
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
    labels,
    evalSplit: splits.evalSplit,
    train: kept,
    dev,
    description:
      `${spec.title}: ${K === null ? '' : `${K} per class (few-shot): `}${fmt(kept.length)} of ` +
      `${fmt(trainAll.length)} training examples (seed ${data.seed}), ` +
      `evaluated on ${splits.evalSplit} (${fmt(dev.length)} of ${fmt(evalAll.length)})${extra.map((x) => ` and ${x.split} (${fmt(x.examples.length)})`).join('')}; ${splits.train.description}`,
    warnings: [
      ...splits.warnings,
      ...splits.train.warnings,
      ...splits.eval.warnings,
      ...splits.extra.flatMap((x) => x.loaded.warnings),
      ...(!fewShot && trainN > trainAll.length
        ? [`train_size ${fmt(trainN)} exceeds the ${fmt(trainAll.length)} training examples: using all`]
        : []),
      ...(fewShot?.short ?? []).map(
        (c) =>
          `per_class ${K}: class ${c.label} has only ${fmt(c.n)} training example${c.n === 1 ? '' : 's'}: using ` +
          `${c.n === 0 ? 'none' : 'all'} (${fmt(kept.length)} training examples instead of ${fmt(K! * labels.length)})`,
      ),
    ],
  };
}
