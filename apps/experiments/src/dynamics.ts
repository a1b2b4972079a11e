// What one training forward pass made of each example (method.md section 1), from libs/dynamics; the task's kind
// (libs/datasets kinds/) names which statistics apply: class scores (classification, multiple choice), a span
// (QA: both positions in the question's training window) or a regression score (within REGRESSION_TOLERANCE).
// The opt-in fields of phase1.record (probs, grand, embedding) come from class scores and the classifier's input.
import { kindOfTask, type StatsKind } from '@prunelab/datasets';
import {
  batchStats,
  mcBatchStats,
  qaBatchStats,
  regressionBatchStats,
  type BatchStats,
  type ExtraStats,
} from '@prunelab/dynamics';
import type { BatchReport, EncodedSet } from '@prunelab/finetune';
import type { Cell } from './cell.ts';
import type { RecordField } from './schema.ts';

type RowPick = (a: ArrayLike<number>) => number[];

type Stats = (b: BatchReport, t: EncodedSet, pick: RowPick, extra: ExtraStats | undefined, cell: Cell) => BatchStats;

const STATS: Record<StatsKind, Stats> = {
  // multiple choice: features come one row per choice, which mcBatchStats's GraNd reads
  classes: (b, t, pick, extra, cell) =>
    (cell.head === 'mc' ? mcBatchStats : batchStats)(b.logits, b.numClasses, pick(t.labels), extra),
  span: (b, t, pick) =>
    qaBatchStats(b.startLogits!, b.endLogits!, b.seqLength!, pick(t.startPositions!), pick(t.endPositions!)),
  regression: (b, t, pick) => regressionBatchStats(b.logits, pick(t.targets!)),
};

/** Whether the training loop must hand over the classifier's input (BatchReport.features) for `record`. */
export const needsFeatures = (record: readonly RecordField[]): boolean =>
  record.includes('grand') || record.includes('embedding');

/** `data`: the set the batch's rows index (phase 1: the cell's training set; an AL step: its labelled subset). */
export function batchDynamics(
  cell: Cell,
  b: BatchReport,
  record: readonly RecordField[] = [],
  data: EncodedSet = cell.train,
): BatchStats {
  const extra: ExtraStats | undefined = record.length
    ? {
        probs: record.includes('probs'),
        grand: record.includes('grand'),
        embedding: record.includes('embedding'),
        ...(b.features && { features: { data: b.features, dim: b.featureDim!, bias: b.featureBias === true } }),
      }
    : undefined;
  return STATS[kindOfTask(cell.task).stats](b, data, (a) => Array.from(b.rows, (r) => a[r]!), extra, cell);
}
