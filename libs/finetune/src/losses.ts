// Training losses of the three heads, as Hugging Face's model classes compute them.
import * as tf from '@tensorflow/tfjs';
import { crossEntropy, meanSquaredError, type Batch } from './encoded.ts';
import type { HeadOutput } from './heads.ts';

/** Cross-entropy of logits [B, T] against positions [B], HF style: positions are clamped to [0, T] and T is the
 * ignore index, so a position outside the sequence counts for nothing; the mean is over the rest. */
function positionCrossEntropy(logits: tf.Tensor2D, positions: tf.Tensor1D): tf.Scalar {
  const T = logits.shape[1];
  const p = tf.clipByValue(positions, 0, T);
  const keep = tf.cast(tf.less(p, T), 'float32');
  const perRow = tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), tf.oneHot(p, T)), 1)); // oneHot of T is all zeros
  return tf.div(tf.sum(tf.mul(perRow, keep)), tf.maximum(tf.sum(keep), 1)) as tf.Scalar;
}

/** QA: the mean of the start and end cross-entropies. */
export function qaLoss(
  start: tf.Tensor2D,
  end: tf.Tensor2D,
  startPositions: tf.Tensor1D,
  endPositions: tf.Tensor1D,
): tf.Scalar {
  return tf.div(
    tf.add(positionCrossEntropy(start, startPositions), positionCrossEntropy(end, endPositions)),
    2,
  ) as tf.Scalar;
}

/**
 * The mean loss of a batch for its head: cross-entropy over classes or choices, the QA span loss, or (a seqcls head
 * with one output, HF's problem_type "regression") the mean squared error against the float targets.
 */
export function headLoss(out: HeadOutput, batch: Batch): tf.Scalar {
  if (out.head === 'seqcls' && out.logits.shape[1] === 1) {
    if (!batch.targets)
      throw new Error(
        'a sequence-classification head with num_labels 1 is a regression head: the encoded set needs float targets',
      );
    return meanSquaredError(out.logits, batch.targets);
  }
  if (out.head !== 'qa') return crossEntropy(out.logits, batch.labels);
  if (!batch.startPositions || !batch.endPositions) {
    throw new Error('question answering needs startPositions and endPositions in the encoded set');
  }
  return qaLoss(out.startLogits, out.endLogits, batch.startPositions, batch.endPositions);
}
