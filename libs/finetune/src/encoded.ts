// Batches of an encoded set (@prunelab/core's EncodedSet) as tensors, and the losses over them.
import * as tf from '@tensorflow/tfjs';
import { rowsPerExample, type EncodedSet } from '@prunelab/core';
import type { BertInputs } from './bert.ts';

export { rowsPerExample, type EncodedSet } from '@prunelab/core';

export interface Batch {
  inputs: BertInputs;
  labels: tf.Tensor1D;
  startPositions?: tf.Tensor1D;
  endPositions?: tf.Tensor1D;
  targets?: tf.Tensor1D;
}

/**
 * The examples `rows` of `data` as tensors ([B, T], multiple choice [B, C, T]). With `cut` (the default) the batch
 * is cut to its longest real sequence: padding beyond it is fully masked, so dropping it changes no logit of a
 * classification head and saves most of the compute on short sentences. QA batches are not cut: their loss is
 * taken over every position, pads included, as HF computes it.
 */
export function batchTensors(
  data: EncodedSet,
  rows: ArrayLike<number>,
  cut = data.startPositions === undefined,
): Batch {
  const L = data.maxLength;
  const C = rowsPerExample(data);
  let T = cut ? 1 : L;
  for (let i = 0; cut && i < rows.length; i++) {
    for (let c = 0; c < C; c++) {
      const base = (rows[i]! * C + c) * L;
      for (let t = L - 1; t >= T; t--)
        if (data.attentionMask[base + t]) {
          T = t + 1;
          break;
        }
    }
  }
  const B = rows.length;
  const ids = new Int32Array(B * C * T);
  const mask = new Int32Array(B * C * T);
  const types = new Int32Array(B * C * T);
  const labels = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    for (let c = 0; c < C; c++) {
      const src = (rows[i]! * C + c) * L;
      const dst = (i * C + c) * T;
      ids.set(data.inputIds.subarray(src, src + T), dst);
      mask.set(data.attentionMask.subarray(src, src + T), dst);
      types.set(data.tokenTypeIds.subarray(src, src + T), dst);
    }
    labels[i] = data.labels[rows[i]!] ?? 0;
  }
  const shape = data.numChoices ? [B, C, T] : [B, T];
  const batch: Batch = {
    inputs: {
      inputIds: tf.tensor(ids, shape, 'int32'),
      attentionMask: tf.tensor(mask, shape, 'int32'),
      tokenTypeIds: tf.tensor(types, shape, 'int32'),
    },
    labels: tf.tensor1d(labels, 'int32'),
  };
  if (data.startPositions && data.endPositions) {
    const pick = (a: Int32Array) =>
      tf.tensor1d(
        Int32Array.from({ length: B }, (_, i) => a[rows[i]!]!),
        'int32',
      );
    batch.startPositions = pick(data.startPositions);
    batch.endPositions = pick(data.endPositions);
  }
  if (data.targets)
    batch.targets = tf.tensor1d(
      Float32Array.from({ length: B }, (_, i) => data.targets![rows[i]!]!),
      'float32',
    );
  return batch;
}

export function disposeBatch(b: Batch): void {
  b.inputs.inputIds.dispose();
  b.inputs.attentionMask.dispose();
  b.inputs.tokenTypeIds?.dispose();
  b.labels.dispose();
  b.startPositions?.dispose();
  b.endPositions?.dispose();
  b.targets?.dispose();
}

/** Mean cross-entropy of logits [B, C] against int labels [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(labels, logits.shape[1])), 1))) as tf.Scalar;
}

/** Mean squared error of predictions [B, 1] against float targets [B] (HF's MSELoss on squeezed logits). */
export function meanSquaredError(predictions: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.mean(tf.square(tf.sub(predictions.reshape([-1]), targets))) as tf.Scalar;
}
