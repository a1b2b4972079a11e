// A model scored on an evaluation split with its task's metrics: the kind's (libs/datasets kinds/) post-processing
// and metrics (accuracy, F1 or Matthews from the registry row; Pearson/Spearman for regression; SQuAD v2 F1/EM over
// answer texts decoded from every window), led by the registry row's main metric. Classification also counts the
// predictions per class, so a run that predicts one class for everything is seen (collapse.ts).
import { argmax } from '@prunelab/core';
import { getTask, kindOfTask, type EvalSet } from '@prunelab/datasets';
import { evaluate, type EvalResult, type Model } from '@prunelab/finetune';
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
  const r = await evaluate(model, ev.set);
  const spec = getTask(cell.task);
  const kind = kindOfTask(cell.task);
  const { metrics, accuracy } = kind.metrics(spec, ev, r);
  const counts = kind.kind === 'classification' && { predCounts: predictionCounts(r) };
  return { metric: metrics[spec.mainMetric] ?? accuracy, metrics, accuracy, loss: r.loss, ...counts };
}
