// A model scored on an evaluation split with its task's metrics: the kind's (libs/datasets kinds/) post-processing
// and metrics (accuracy, F1 or Matthews from the registry row; Pearson/Spearman for regression; SQuAD v2 F1/EM over
// answer texts decoded from every window), led by the registry row's main metric.
import { getTask, kindOfTask, type EvalSet } from '@prunelab/datasets';
import { evaluate, type Model } from '@prunelab/finetune';
import type { Cell } from './cell.ts';

export interface EvalScore {
  /** the task's main metric (its registry row's mainMetric), as a fraction (F1/EM of SQuAD too) */
  metric: number;
  /** every metric of the task by name, fractions */
  metrics: Record<string, number>;
  /** the share of correct examples as the H-score's "correct" counts them (QA: exact match of the answer text) */
  accuracy: number;
  loss: number;
}

export async function scoreEval(cell: Pick<Cell, 'task'>, model: Model, ev: EvalSet): Promise<EvalScore> {
  const r = await evaluate(model, ev.set);
  const spec = getTask(cell.task);
  const { metrics, accuracy } = kindOfTask(cell.task).metrics(spec, ev, r);
  return { metric: metrics[spec.mainMetric] ?? accuracy, metrics, accuracy, loss: r.loss };
}
