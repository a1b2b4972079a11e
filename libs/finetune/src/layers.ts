// Building blocks with PyTorch semantics. Linear weights are kept as [in, out] (HF stores [out, in]) so the
// forward product needs no transpose.
import * as tf from '@tensorflow/tfjs';
import { FUSED, fusedActive } from './kernels-wasm-fused.ts';
import type { PeftHooks } from './peft/hooks.ts';

// Products with transposed operands (tfjs' matMul gradient) are fast on wasm: kernels-wasm-matmul.ts replaces
// its BatchMatMul, so plain tf.matMul is right here.

/** y = x W + b over the last axis of x. */
export function linear(x: tf.Tensor, w: tf.Tensor, b?: tf.Tensor): tf.Tensor {
  const inDim = x.shape[x.shape.length - 1]!;
  const lead = x.shape.slice(0, -1);
  let y = tf.matMul(x.reshape([-1, inDim]), w);
  if (b) y = tf.add(y, b);
  return y.reshape([...lead, w.shape[1]!]);
}

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

const fusedLayerNorm = new Map<number, (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor>();

function layerNormFused(eps: number): (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.Tensor {
  let f = fusedLayerNorm.get(eps);
  if (!f) {
    f = tf.customGrad(((x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, save: tf.GradSaveFunc) => {
      save([x, gamma]);
      return {
        value: run(FUSED.layerNorm, { x, gamma, beta }, { eps }) as tf.Tensor,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          run(FUSED.layerNormGrad, { x: saved[0]!, gamma: saved[1]!, dy }, { eps }) as tf.Tensor[],
      };
    }) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
      x: tf.Tensor,
      g: tf.Tensor,
      b: tf.Tensor,
    ) => tf.Tensor;
    fusedLayerNorm.set(eps, f);
  }
  return f;
}

export function layerNorm(x: tf.Tensor, gamma: tf.Tensor, beta: tf.Tensor, eps: number): tf.Tensor {
  if (fusedActive() && x.dtype === 'float32') return layerNormFused(eps)(x, gamma, beta);
  const axis = x.shape.length - 1;
  const { mean, variance } = tf.moments(x, axis, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

const geluFused = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x]);
  return {
    value: run(FUSED.gelu, { x }) as tf.Tensor,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => run(FUSED.geluGrad, { x: saved[0]!, dy }) as tf.Tensor,
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor;

/** GELU in its exact erf form (BERT's "gelu"). */
export function gelu(x: tf.Tensor): tf.Tensor {
  if (fusedActive() && x.dtype === 'float32') return geluFused(x);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** Where randomness comes from during a forward pass: on in training with seeded dropout, off in evaluation. */
export interface ForwardContext {
  training: boolean;
  nextSeed: () => number;
  /**
   * Asked for by train()'s `features` option: a seqcls or mc scorer hands it the input of its last linear layer
   * [rows, dim] (the pooled representation, dropout applied as the layer sees it) and whether that layer has a
   * bias. Absent (evaluation, and training that did not ask): the scorers compute nothing extra.
   */
  features?: (h: tf.Tensor2D, bias: boolean) => void;
  /**
   * Asked for by predict()'s `layers` option: the body hands it its representation [B, T, H] after the embeddings
   * (layer 0) and after each layer i (1..L; the last is the body's output). Absent: nothing extra is computed.
   */
  hidden?: (layer: number, x: tf.Tensor3D) => void;
  /** The PEFT method's hooks (peft/hooks.ts) of the model being run; absent: the plain model. */
  peft?: PeftHooks;
  /** What a training pass makes of the body's output before the head sees it (a mitigation's input noise). */
  encoderOutput?: (x: tf.Tensor) => tf.Tensor;
}

/** linear() of the named module (HF module name, no `.weight`), through the PEFT hook when one is active. */
export function moduleLinear(
  module: string,
  x: tf.Tensor,
  w: tf.Tensor,
  b: tf.Tensor | undefined,
  ctx: ForwardContext,
): tf.Tensor {
  return ctx.peft?.linear?.(module, x, w, b, ctx) ?? linear(x, w, b);
}

/** The end of a residual sublayer: norm(h + res) (pre-LN: h + res), or what the PEFT hook makes of it. */
export function sublayerEnd(
  layer: number,
  part: 'attention' | 'ffn',
  h: tf.Tensor,
  res: tf.Tensor,
  norm: ((y: tf.Tensor) => tf.Tensor) | undefined,
  ctx: ForwardContext,
): tf.Tensor {
  const adapted = ctx.peft?.sublayer?.(layer, part, h, res, norm, ctx);
  if (adapted) return adapted;
  const sum = tf.add(h, res);
  return norm ? norm(sum) : sum;
}

/** Keys and values [B, heads, T, d] with the PEFT prefix of `layer` put first, and the additive mask widened with
 * zeros for them (mask [B, 1, Q, T] -> [B, 1, Q, P + T]). Without a prefix: unchanged. */
export function withPrefix(
  layer: number,
  x: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  addMask: tf.Tensor,
  ctx: ForwardContext,
): { k: tf.Tensor; v: tf.Tensor; addMask: tf.Tensor } {
  const pre = ctx.peft?.prefix?.(layer, x, ctx);
  if (!pre) return { k, v, addMask };
  const P = pre.key.shape[2]!;
  const [B, one, Q] = addMask.shape as [number, number, number, number];
  return {
    k: tf.concat([pre.key, k], 2),
    v: tf.concat([pre.value, v], 2),
    addMask: tf.concat([tf.zeros([B, one, Q, P]), addMask], 3),
  };
}

export const EVAL: ForwardContext = { training: false, nextSeed: () => 0 };

/** The inverted-dropout multiplier of `n` elements: 0 with probability `rate`, else 1 / (1 - rate), from a
 * splitmix32 stream of `seed`. Made in JS (~1 ms for 256k elements) rather than by tf.dropout, whose seeded
 * random numbers and four kernels cost ~10x that; the same on every backend and kernel path. */
export function dropoutMask(n: number, rate: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  const keep = 1 / (1 - rate);
  const threshold = rate * 4294967296;
  let s = Math.imul(seed >>> 0, 0x2c1b3c6d) >>> 0;
  for (let i = 0; i < n; i++) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out[i] = (z ^ (z >>> 16)) >>> 0 >= threshold ? keep : 0;
  }
  return out;
}

export function dropout(x: tf.Tensor, rate: number, ctx: ForwardContext): tf.Tensor {
  if (!ctx.training || rate <= 0) return x;
  if (rate >= 1) return tf.zerosLike(x);
  const seed = ctx.nextSeed();
  const mask = fusedActive()
    ? (run(FUSED.dropoutMask, {}, { shape: x.shape, rate, seed }) as tf.Tensor)
    : tf.tensor(dropoutMask(x.size, rate, seed), x.shape, 'float32');
  return tf.mul(x, mask);
}
