// A model scored on an evaluation split with the task's metrics (libs/data): accuracy (and F1 or Matthews where
// the task has them), Pearson/Spearman for STS-B, SQuAD v2 F1/EM over answer texts decoded from every window.
import { getTask, postprocessSquad, squadV2Metrics, taskMetrics } from '@prunelab/datasets';
import { argmax } from '@prunelab/core';
import { evaluate, type Model } from '@prunelab/finetune';
import type { Cell, EvalSet } from './cell.ts';
import { TASK_META } from './tasks.ts';

export interface EvalScore {
  /** the task's main metric (TASK_META.metric), as a fraction (F1/EM of SQuAD too) */
  metric: number;
  /** every metric of the task by name, fractions */
  metrics: Record<string, number>;
  /** the share of correct examples as the H-score's "correct" counts them (QA: exact match of the answer text) */
  accuracy: number;
  loss: number;
}

export async function scoreEval(cell: Cell, model: Model, ev: EvalSet): Promise<EvalScore> {
  const r = await evaluate(model, ev.set);
  const metrics: Record<string, number> = {};
  if (ev.squad) {
    const T = ev.set.maxLength;
    const start = Array.from({ length: r.n }, (_, i) => r.logits.subarray(i * 2 * T, (i * 2 + 1) * T));
    const end = Array.from({ length: r.n }, (_, i) => r.logits.subarray((i * 2 + 1) * T, (i * 2 + 2) * T));
    const { predictions } = postprocessSquad(ev.squad.examples, ev.squad.features, start, end);
    const s = squadV2Metrics(ev.squad.examples, predictions);
    metrics.f1 = s.f1 / 100;
    metrics.exact_match = s.exact / 100;
    return { metric: metrics.f1, metrics, accuracy: metrics.exact_match, loss: r.loss };
  }
  if (ev.scores) {
    // regression: Pearson/Spearman are the metrics; the within-tolerance share is the H-score's "correct"
    Object.assign(metrics, taskMetrics(getTask(cell.task), r.logits, ev.scores));
    metrics.within_tolerance = r.accuracy;
  } else if (cell.head === 'seqcls') {
    metrics.accuracy = r.accuracy;
    const pred = Int32Array.from({ length: r.n }, (_, i) => argmax(r.logits, i * r.numClasses, r.numClasses));
    Object.assign(metrics, taskMetrics(getTask(cell.task), pred, ev.set.labels));
  } else metrics.accuracy = r.accuracy;
  const main = TASK_META[cell.task].metric;
  return { metric: metrics[main] ?? r.accuracy, metrics, accuracy: r.accuracy, loss: r.loss };
}
