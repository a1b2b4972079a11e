// What one training forward pass made of each example, per task kind (method.md section 1), from libs/dynamics:
//   classification / multiple choice: batchStats; QA: qaBatchStats (both positions in the question's training
//   window); regression (STS-B): regressionBatchStats (correct = within REGRESSION_TOLERANCE of the gold score).
import { batchStats, qaBatchStats, regressionBatchStats, type BatchStats } from '@prunelab/dynamics';
import type { BatchReport } from '@prunelab/finetune';
import type { Cell } from './cell.ts';

export function batchDynamics(cell: Cell, b: BatchReport): BatchStats {
  const t = cell.train;
  const pick = (a: ArrayLike<number>) => Array.from(b.rows, (r) => a[r]!);
  if (cell.head === 'qa') return qaBatchStats(b.startLogits!, b.endLogits!, b.seqLength!, pick(t.startPositions!), pick(t.endPositions!));
  if (t.targets) return regressionBatchStats(b.logits, pick(t.targets));
  return batchStats(b.logits, b.numClasses, pick(t.labels));
}
