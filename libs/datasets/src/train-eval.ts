// The splits an experiment trains and evaluates on, as the task's registry row names them (evalSplit, extraEval).
// A copy published as one pool (SentEval's SUBJ, MR, CR, MPQA: split 'all') trains on a seeded 90% of it and
// evaluates on the other 10%; their Hugging Face exports have train/test and are read as they are.
import { fmtCount } from './data-error.ts';
import { loadTaskSplit, locateTaskSplit, type LoadedSplit, type TaskLoadOptions } from './load-task.ts';
import { holdoutSplit } from './subsample.ts';
import { getTask, taskSplits } from './tasks.ts';

export interface TrainEvalSplits {
  train: LoadedSplit;
  eval: LoadedSplit;
  /** the registry row's further evaluation splits, by name */
  extra: { split: string; loaded: LoadedSplit }[];
  /** the evaluation split's name ('heldout' for a pool) */
  evalSplit: string;
  warnings: string[];
}

export const POOL_HELD_OUT = 0.1;

const pct = (x: number) => `${Math.round(x * 1000) / 10}`;

export async function loadTrainEval(task: string, opts: TaskLoadOptions, seed: number): Promise<TrainEvalSplits> {
  const spec = getTask(task);
  let train: LoadedSplit;
  let ev: LoadedSplit;
  try {
    train = await loadTaskSplit(spec.name, 'train', opts);
    ev = await loadTaskSplit(spec.name, spec.evalSplit, opts);
  } catch (err) {
    // no train/eval split here (not found, or a download that brought the pool only): the pool, if there is one
    if (!taskSplits(spec).includes('all')) throw err;
    let all: LoadedSplit;
    try {
      all = await loadTaskSplit(spec.name, 'all', opts);
    } catch {
      throw err;
    }
    const share = spec.heldOut ?? POOL_HELD_OUT;
    const parts = holdoutSplit(all.examples as unknown[], share, seed);
    const as = (name: string, examples: unknown[]) => ({ ...all, split: name, warnings: [], examples }) as LoadedSplit;
    const pool = `${spec.title} has one pool here (${fmtCount(all.examples.length)} examples)`;
    return {
      train: { ...as('train', parts.train), warnings: all.warnings },
      eval: as('heldout', parts.heldOut),
      extra: [],
      evalSplit: 'heldout',
      warnings: [`${pool}: seeded ${pct(1 - share)}/${pct(share)} split (seed ${seed}) into train and held-out`],
    };
  }
  const extra = [];
  for (const split of spec.extraEval ?? []) extra.push({ split, loaded: await loadTaskSplit(spec.name, split, opts) });
  return { train, eval: ev, extra, evalSplit: spec.evalSplit, warnings: [] };
}

/**
 * The paths loadTrainEval would read now (files, or a RACE split folder), found without downloading: train, the
 * evaluation split and the extra ones, or else the pool; undefined when a split is not on disk (a download or an
 * error would come first). Callers use it to tell whether data they digested earlier may have changed.
 */
export function trainEvalSources(task: string, opts: TaskLoadOptions): string[] | undefined {
  const spec = getTask(task);
  const located = (splits: string[]) => {
    const files: string[] = [];
    for (const split of splits) {
      const hit = locateTaskSplit(spec, split, opts).hit;
      if (!hit) return undefined;
      files.push(...hit.files);
    }
    return files;
  };
  const direct = located(['train', spec.evalSplit, ...(spec.extraEval ?? [])]);
  if (direct || !taskSplits(spec).includes('all')) return direct;
  return located(['all']);
}
