// What one training forward pass made of each example (method.md section 1), from libs/dynamics; the task's kind
// (libs/datasets kinds/) names which statistics apply: class scores (classification, multiple choice), a span
// (QA: both positions in the question's training window) or a regression score (within REGRESSION_TOLERANCE).
import { kindOfTask, type StatsKind } from '@prunelab/datasets';
import { batchStats, qaBatchStats, regressionBatchStats, type BatchStats } from '@prunelab/dynamics';
import type { BatchReport, EncodedSet } from '@prunelab/finetune';
import type { Cell } from './cell.ts';

type RowPick = (a: ArrayLike<number>) => number[];

const STATS: Record<StatsKind, (b: BatchReport, t: EncodedSet, pick: RowPick) => BatchStats> = {
  classes: (b, t, pick) => batchStats(b.logits, b.numClasses, pick(t.labels)),
  span: (b, t, pick) =>
    qaBatchStats(b.startLogits!, b.endLogits!, b.seqLength!, pick(t.startPositions!), pick(t.endPositions!)),
  regression: (b, t, pick) => regressionBatchStats(b.logits, pick(t.targets!)),
};

export function batchDynamics(cell: Cell, b: BatchReport): BatchStats {
  return STATS[kindOfTask(cell.task).stats](b, cell.train, (a) => Array.from(b.rows, (r) => a[r]!));
}
