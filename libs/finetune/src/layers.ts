// Building blocks with PyTorch semantics. Linear weights are kept as [in, out] (HF stores [out, in]) so the
// forward product needs no transpose.
import * as tf from '@tensorflow/tfjs';

// tfjs' own matMul gradient multiplies with transposed operands, which the wasm backend runs as a slow scalar
// loop; materialising the transposes first keeps every product on the fast path (see engine-notes.md).
const matMulFastGrad = tf.customGrad(((x: tf.Tensor2D, w: tf.Tensor2D, save: tf.GradSaveFunc) => {
  save([x, w]);
  return {
    value: tf.matMul(x, w),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(dy as tf.Tensor2D, tf.transpose(sw)), tf.matMul(tf.transpose(sx), dy as tf.Tensor2D)];
    },
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor, w: tf.Tensor) => tf.Tensor;

/** y = x W + b over the last axis of x. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const lead = x.shape.slice(0, -1);
  let y = matMulFastGrad(x.reshape([-1, inDim]), w);
  if (b) y = tf.add(y, b);
  return y.reshape([...lead, w.shape[1]!]);
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  const axis = x.shape.length - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

/** GELU in its exact erf form (BERT's "gelu"). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Where randomness comes from during a forward pass: on in training with seeded dropout, off in evaluation. */
export interface ForwardContext { training: boolean; nextSeed: () => number }

export const EVAL: ForwardContext = { training: false, nextSeed: () => 0 };

export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  return tf.dropout(x, rate, undefined, ctx.nextSeed());
}
