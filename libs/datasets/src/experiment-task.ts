// The train and evaluation splits an experiment uses, for any task: the paper evaluates on dev
// (MNLI: dev_matched), tasks without a dev split on their labelled test split, and single-pool
// SentEval copies on a seeded 10% hold-out. Optional seeded subsampling, as loadSentimentTask does.
import { DataNotFoundError, fmtCount } from './data-error.ts';
import { loadTaskSplit, type LoadedSplit, type TaskLoadOptions } from './load-task.ts';
import { holdoutSplit, subsample } from './subsample.ts';
import { getTask, taskSplits, type TaskSpec } from './tasks.ts';

export interface ExperimentTaskOptions extends TaskLoadOptions {
  task: string;
  /** Training examples to keep (seeded subsample); default / Infinity: all. */
  trainSize?: number;
  /** Evaluation examples to keep; default: all. */
  evalSize?: number;
  seed: number;
  /** Override the evaluation split (e.g. MNLI dev_mismatched). */
  evalSplit?: string;
}

export interface ExperimentTask {
  spec: TaskSpec;
  train: LoadedSplit;
  eval: LoadedSplit;
  evalSplit: string;
  description: string;
  warnings: string[];
}

/** The split an experiment evaluates on by default. */
export function defaultEvalSplit(spec: TaskSpec): string {
  const splits = taskSplits(spec);
  if (splits.includes('dev_matched')) return 'dev_matched';
  if (splits.includes('dev')) return 'dev';
  if (splits.includes('test') && !spec.unlabelledSplits.includes('test')) return 'test';
  return 'all';
}

function withExamples(split: LoadedSplit, examples: LoadedSplit['examples'], name?: string): LoadedSplit {
  return { ...split, ...(name ? { split: name } : {}), examples } as LoadedSplit;
}

export async function loadExperimentTask(opts: ExperimentTaskOptions): Promise<ExperimentTask> {
  const spec = getTask(opts.task);
  const evalName = opts.evalSplit ?? defaultEvalSplit(spec);
  const warnings: string[] = [];
  let train: LoadedSplit;
  let evalSplit: LoadedSplit;
  // SentEval copies hold one pool: train on 90%, evaluate on a seeded 10% (HF exports have train/test).
  let pooled = false;
  try {
    train = await loadTaskSplit(spec.name, 'train', opts);
    evalSplit = await loadTaskSplit(spec.name, evalName, opts);
  } catch (err) {
    if (!(err instanceof DataNotFoundError) || !taskSplits(spec).includes('all') || opts.evalSplit) throw err;
    const all = await loadTaskSplit(spec.name, 'all', opts);
    const { train: tr, heldOut } = holdoutSplit(all.examples as unknown[], 0.1, opts.seed);
    train = withExamples(all, tr as LoadedSplit['examples'], 'train');
    evalSplit = withExamples(all, heldOut as LoadedSplit['examples'], 'heldout');
    warnings.push(`${spec.title} has one pool here (${fmtCount(all.examples.length)} examples): seeded 90/10 split (seed ${opts.seed}) into train and held-out`);
    pooled = true;
  }
  warnings.push(...train.warnings, ...(pooled ? [] : evalSplit.warnings));
  const fullTrain = train.examples.length;
  if (opts.trainSize !== undefined && Number.isFinite(opts.trainSize)) {
    if (opts.trainSize > fullTrain) warnings.push(`trainSize ${fmtCount(opts.trainSize)} exceeds the ${fmtCount(fullTrain)} training examples: using all of them`);
    train = withExamples(train, subsample(train.examples as unknown[], opts.trainSize, opts.seed) as LoadedSplit['examples']);
  }
  const fullEval = evalSplit.examples.length;
  if (opts.evalSize !== undefined && Number.isFinite(opts.evalSize)) {
    // A different stream for eval so the two subsamples are not correlated by construction.
    evalSplit = withExamples(evalSplit, subsample(evalSplit.examples as unknown[], opts.evalSize, (opts.seed ^ 0x9e3779b9) >>> 0) as LoadedSplit['examples']);
  }
  const part = (n: number, of: number) => (n === of ? `all ${fmtCount(n)}` : `${fmtCount(n)} of ${fmtCount(of)}`);
  const description =
    `${spec.title}: train ${part(train.examples.length, fullTrain)}, ${evalSplit.split} ${part(evalSplit.examples.length, fullEval)} ` +
    `(${train.source} ${train.root}${opts.trainSize !== undefined && Number.isFinite(opts.trainSize) ? `, seed ${opts.seed}` : ''})`;
  return { spec, train, eval: evalSplit, evalSplit: evalSplit.split, description, warnings };
}
