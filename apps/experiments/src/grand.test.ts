// GraNd as libs/dynamics computes it from the logits and the classifier's input (no TensorFlow.js there) against
// the definition: the norm of the example's cross-entropy gradient w.r.t. the last linear layer's weight and bias,
// by tf.grad, for a classifier with and without a bias and for multiple choice (one score per choice row).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { splitmix32 } from '@prunelab/core';
import { batchStats, mcBatchStats } from '@prunelab/dynamics';
import { chooseBackend } from '@prunelab/finetune';

before(async () => {
  await chooseBackend('cpu');
});

const randoms = (n: number, seed: number, scale = 1) => {
  const r = splitmix32(seed);
  return Float32Array.from({ length: n }, () => scale * (2 * r() - 1));
};

/** || d CE(z(W, b), gold) / d(W, b) ||_F of one example, with z = scores(W, b) the example's logits. */
function gradNorm(scores: (w: tf.Tensor, b?: tf.Tensor) => tf.Tensor1D, gold: number, w: tf.Tensor, b?: tf.Tensor) {
  const loss = (wv: tf.Tensor, bv?: tf.Tensor) => {
    const z = scores(wv, bv);
    return tf.neg(tf.sum(tf.gather(tf.logSoftmax(z), [gold]))) as tf.Scalar;
  };
  return tf.tidy(() => {
    const gs = b ? tf.grads((wv, bv) => loss(wv!, bv!))([w, b]) : [tf.grad((wv) => loss(wv))(w)];
    return Math.sqrt(gs.reduce((a, g) => a + tf.sum(tf.square(g)).dataSync()[0]!, 0));
  });
}

for (const bias of [true, false]) {
  test(`grand = the norm of the last layer's gradient (tf.grad), classifier ${bias ? 'with' : 'without'} a bias`, () => {
    const B = 5;
    const dim = 6;
    const C = 4;
    const h = randoms(B * dim, 1, 2);
    const W = tf.tensor2d(randoms(dim * C, 2), [dim, C]);
    const bv = bias ? tf.tensor1d(randoms(C, 3)) : undefined;
    const labels = [0, 3, 1, 2, 3];
    const logits = tf.tidy(() => {
      const z = tf.matMul(tf.tensor2d(h, [B, dim]), W);
      return (bv ? tf.add(z, bv) : z).dataSync() as Float32Array;
    });
    const s = batchStats(logits, C, labels, { grand: true, probs: true, features: { data: h, dim, bias } });
    for (let i = 0; i < B; i++) {
      const hi = tf.tensor2d(h.subarray(i * dim, (i + 1) * dim), [1, dim]);
      const want = gradNorm(
        (w, b) => {
          const z = tf.matMul(hi, w).reshape([C]);
          return (b ? tf.add(z, b) : z) as tf.Tensor1D;
        },
        labels[i]!,
        W,
        bv,
      );
      assert.ok(
        Math.abs(s.grand![i]! - want) < 1e-5 * Math.max(1, want),
        `row ${i}: ${s.grand![i]} vs tf.grad ${want}`,
      );
      hi.dispose();
    }
    tf.dispose([W, ...(bv ? [bv] : [])]);
  });
}

test('multiple choice grand = the norm of the shared scorer gradient over the choices (tf.grad)', () => {
  const B = 3;
  const C = 4;
  const dim = 5;
  const h = randoms(B * C * dim, 7, 1.5);
  const w = tf.tensor2d(randoms(dim, 8), [dim, 1]);
  const b = tf.tensor1d([0.3]);
  const gold = [2, 0, 3];
  const scores = tf.tidy(() => tf.add(tf.matMul(tf.tensor2d(h, [B * C, dim]), w), b).dataSync() as Float32Array);
  const s = mcBatchStats(scores, C, gold, { grand: true, features: { data: h, dim, bias: true } });
  for (let i = 0; i < B; i++) {
    const hi = tf.tensor2d(h.subarray(i * C * dim, (i + 1) * C * dim), [C, dim]);
    const want = gradNorm((wv, bv) => tf.add(tf.matMul(hi, wv), bv!).reshape([C]) as tf.Tensor1D, gold[i]!, w, b);
    assert.ok(Math.abs(s.grand![i]! - want) < 1e-5 * Math.max(1, want), `example ${i}: ${s.grand![i]} vs ${want}`);
    hi.dispose();
  }
  tf.dispose([w, b]);
});
