// A model scored on an evaluation split with its task's metrics: the kind's (libs/datasets kinds/) post-processing
// and metrics (accuracy, F1 or Matthews from the registry row; Pearson/Spearman for regression; SQuAD v2 F1/EM over
// answer texts decoded from every window), led by the registry row's main metric. Classification also counts the
// predictions per class, so a run that predicts one class for everything is seen (collapse.ts).
import { argmax } from '@prunelab/core';
import { getTask, kindOfTask, macroF1, type EvalSet } from '@prunelab/datasets';
import { evaluate, majorityVote, type EvalResult, type MitigationRun, type Model } from '@prunelab/finetune';
import type { Cell } from './cell.ts';

export interface EvalScore {
  /** the task's main metric (its registry row's mainMetric), as a fraction (F1/EM of SQuAD too) */
  metric: number;
  /** every metric of the task by name, fractions */
  metrics: Record<string, number>;
  /** the share of correct examples as the H-score's "correct" counts them (QA: exact match of the answer text) */
  accuracy: number;
  loss: number;
  /** classification: how many evaluation examples were predicted as each class (argmax), in label order */
  predCounts?: number[];
}

/** Predictions per class (argmax of each row's logits). */
export function predictionCounts(r: Pick<EvalResult, 'logits' | 'n' | 'numClasses'>): number[] {
  const counts = new Array<number>(r.numClasses).fill(0);
  for (let i = 0; i < r.n; i++) counts[argmax(r.logits, i * r.numClasses, r.numClasses)]!++;
  return counts;
}

export async function scoreEval(cell: Pick<Cell, 'task'>, model: Model, ev: EvalSet): Promise<EvalScore> {
  return scoreResult(cell, ev, await evaluate(model, ev.set));
}

/** Metrics of evaluation logits (a model's, or an ensemble's vote). Classification adds macro_f1 (the mitigation
 * study's measure) beside the task's own metrics. */
export function scoreResult(cell: Pick<Cell, 'task'>, ev: EvalSet, r: EvalResult): EvalScore {
  const spec = getTask(cell.task);
  const kind = kindOfTask(cell.task);
  const { metrics, accuracy } = kind.metrics(spec, ev, r);
  if (kind.kind !== 'classification')
    return { metric: metrics[spec.mainMetric] ?? accuracy, metrics, accuracy, loss: r.loss };
  const pred = new Int32Array(r.n).map((_, i) => argmax(r.logits, i * r.numClasses, r.numClasses));
  const all = { ...metrics, macro_f1: macroF1(pred, ev.set.labels, r.numClasses) };
  const main = metrics[spec.mainMetric] ?? accuracy;
  return { metric: main, metrics: all, accuracy, loss: r.loss, predCounts: predictionCounts(r) };
}

/**
 * A mitigated job's predictor on an evaluation split: the model as it is after the method's finish (averaged
 * weights), or, when the method keeps voting members, the majority vote over every member's own logits (each
 * evaluated with its own weights); the loss is then the NLL of the members' mean probabilities.
 */
export async function scoreMitigated(
  cell: Pick<Cell, 'task'>,
  model: Model,
  run: MitigationRun,
  ev: EvalSet,
): Promise<EvalScore> {
  const k = run.members();
  if (k === 0) return scoreEval(cell, model, ev);
  const outs: EvalResult[] = [];
  for (let j = 0; j <= k; j++) outs.push(await run.withMember(j, () => evaluate(model, ev.set)));
  const { n, numClasses } = outs[0]!;
  const labels = ev.set.labels.length === n ? ev.set.labels : undefined;
  const vote = majorityVote(
    outs.map((o) => o.logits),
    n,
    numClasses,
    labels,
  );
  let correct = 0;
  for (let i = 0; i < n; i++) if (labels && argmax(vote.logits, i * numClasses, numClasses) === labels[i]) correct++;
  const r: EvalResult = { logits: vote.logits, n, numClasses, loss: vote.loss ?? Number.NaN, accuracy: correct / n };
  return scoreResult(cell, ev, r);
}
