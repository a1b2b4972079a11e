// A tokenised classification set as the engine consumes it: row-major [n, maxLength] int arrays.
// The same shape as @prunelab/data's EncodedExamples, declared here because libs do not import each other.
import * as tf from '@tensorflow/tfjs';
import type { BertInputs } from './bert.ts';

export interface EncodedSet {
  inputIds: Int32Array;
  attentionMask: Int32Array;
  tokenTypeIds: Int32Array;
  labels: Int32Array;
  n: number;
  maxLength: number;
}

/** The rows `rows` of `data` as tensors, cut to the longest real sequence in the batch: padding beyond it is
 * fully masked, so dropping it changes no logit and saves most of the compute on short sentences. */
export function batchTensors(data: EncodedSet, rows: ArrayLike<number>): { inputs: BertInputs; labels: tf.Tensor1D } {
  const L = data.maxLength;
  let T = 1;
  for (let i = 0; i < rows.length; i++) {
    const base = rows[i]! * L;
    for (let t = L - 1; t >= T; t--) if (data.attentionMask[base + t]) { T = t + 1; break; }
  }
  const B = rows.length;
  const ids = new Int32Array(B * T);
  const mask = new Int32Array(B * T);
  const types = new Int32Array(B * T);
  const labels = new Int32Array(B);
  for (let i = 0; i < B; i++) {
    const r = rows[i]!;
    ids.set(data.inputIds.subarray(r * L, r * L + T), i * T);
    mask.set(data.attentionMask.subarray(r * L, r * L + T), i * T);
    types.set(data.tokenTypeIds.subarray(r * L, r * L + T), i * T);
    labels[i] = data.labels[r]!;
  }
  return {
    inputs: {
      inputIds: tf.tensor2d(ids, [B, T], 'int32'),
      attentionMask: tf.tensor2d(mask, [B, T], 'int32'),
      tokenTypeIds: tf.tensor2d(types, [B, T], 'int32'),
    },
    labels: tf.tensor1d(labels, 'int32'),
  };
}

export function disposeBatch(b: { inputs: BertInputs; labels: tf.Tensor }): void {
  b.inputs.inputIds.dispose();
  b.inputs.attentionMask.dispose();
  b.inputs.tokenTypeIds?.dispose();
  b.labels.dispose();
}

/** Mean cross-entropy of logits [B, C] against int labels [B]. */
export function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(labels, logits.shape[1])), 1))) as tf.Scalar;
}

/** How many rows of logits [rows, C] pick the label `labelOf(i)`. */
export function countCorrect(logits: Float32Array, C: number, labelOf: (i: number) => number): number {
  let correct = 0;
  for (let i = 0; i < logits.length / C; i++) {
    let best = 0;
    for (let c = 1; c < C; c++) if (logits[i * C + c]! > logits[i * C + best]!) best = c;
    if (best === labelOf(i)) correct++;
  }
  return correct;
}
