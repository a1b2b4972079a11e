// What one training forward pass made of each example, per task kind (method.md section 1):
//   classification / multiple choice: argmax == gold, softmax gold probability (libs/dynamics batchStats);
//   QA: argmax(start) == gold start AND argmax(end) == gold end in the question's training window (qaBatchStats);
//   regression (STS-B, no classes): correct = |prediction - gold| <= REGRESSION_TOLERANCE (0.5 on the 0..5 scale);
//     goldProb surrogate = exp(-(error / tolerance)^2 / 2), a unit-height Gaussian around the prediction at the gold
//     score (1 when exact, 0.61 at the tolerance), so cartography's confidence/variability keep their meaning;
//     loss = squared error, margin = tolerance - |error| (> 0 iff correct, as AUM expects), el2n = |error|.
import { batchStats, qaBatchStats, type BatchStats } from '@prunelab/dynamics';
import { REGRESSION_TOLERANCE, type BatchReport } from '@prunelab/finetune';
import type { Cell } from './cell.ts';

export function regressionStats(pred: ArrayLike<number>, gold: ArrayLike<number>, tolerance = REGRESSION_TOLERANCE): BatchStats {
  const B = gold.length;
  const out = { correct: new Uint8Array(B), goldProb: new Float32Array(B), loss: new Float32Array(B), margin: new Float32Array(B), el2n: new Float32Array(B) };
  for (let i = 0; i < B; i++) {
    const err = Math.abs(pred[i]! - gold[i]!);
    out.correct[i] = err <= tolerance ? 1 : 0;
    out.goldProb[i] = Math.exp(-0.5 * (err / tolerance) ** 2);
    out.loss[i] = err * err;
    out.margin[i] = tolerance - err;
    out.el2n[i] = err;
  }
  return out;
}

export function batchDynamics(cell: Cell, b: BatchReport): BatchStats {
  const t = cell.train;
  const pick = (a: ArrayLike<number>) => Array.from(b.rows, (r) => a[r]!);
  if (cell.head === 'qa') return qaBatchStats(b.startLogits!, b.endLogits!, b.seqLength!, pick(t.startPositions!), pick(t.endPositions!));
  if (t.targets) return regressionStats(b.logits, pick(t.targets));
  return batchStats(b.logits, b.numClasses, pick(t.labels));
}
