// What a classifier says about a set of examples, for active learning's strategies and representation analyses:
// logits and probabilities with dropout off, optionally the classifier's last-layer input, mean-pooled
// representations of every layer, and Monte Carlo dropout passes. No gradients anywhere.
import * as tf from '@tensorflow/tfjs';
import { splitmix32, type EncodedSet } from '@prunelab/core';
import { batchTensors, disposeBatch } from './encoded.ts';
import { forward } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { activeHooks } from './peft/attach.ts';
import type { Model } from './train.ts';
import { checkWebgpu } from './backend-webgpu.ts';

export interface PredictOptions {
  /** examples per forward pass; default 64 */
  batchSize?: number;
  /** the input of the classifier's last linear layer (as train()'s features hook gives it), dropout off */
  features?: boolean;
  /** per-layer representations, mean-pooled over the real tokens (attention mask), dropout off */
  layers?: boolean;
  /** T passes with dropout on, each seeded (see mcSeeds) */
  mc?: { passes: number; seed: number };
}

export interface Prediction {
  n: number;
  numClasses: number;
  /** dropout off, [n, C] row-major */
  logits: Float32Array;
  /** softmax of logits, [n, C] */
  probs: Float32Array;
  features?: { dim: number; bias: boolean; data: Float32Array };
  /** index 0: the embedding layer's output, i: the output of layer i (1..L); each [n, dim_i] */
  layers?: { dim: number; data: Float32Array }[];
  /** passes x [n, C] softmax with dropout on */
  mc?: Float32Array[];
}

/** The dropout seeds of MC pass `pass` over the batch starting at row `first`: a stream that depends on nothing
 * else, so a pass is the same whatever ran before it (given the batch size, which fixes the batches). */
export function mcSeeds(seed: number, pass: number, first: number): () => number {
  const mixed = Math.imul(seed | 0, 0x9e3779b1) ^ Math.imul(pass + 1, 0x85ebca6b) ^ Math.imul(first + 1, 0xc2b2ae35);
  const rnd = splitmix32(mixed >>> 0);
  return () => Math.floor(rnd() * 4294967296);
}

/** Mean of x [B, L, H] over the positions where mask [B, T] is 1. With L > T (peft prompt tuning's P virtual tokens
 * first) the virtual positions are left out: the representation is of the example's own tokens. */
function meanPool(x: tf.Tensor3D, mask: tf.Tensor): tf.Tensor2D {
  const [B, L, H] = x.shape;
  const T = mask.shape[1]!;
  const own = L > T ? tf.slice(x, [0, L - T, 0], [B, T, H]) : x;
  const m = tf.cast(mask, 'float32');
  const sum = tf.sum(tf.mul(own, tf.expandDims(m, 2)), 1);
  return tf.div(sum, tf.maximum(tf.sum(m, 1, true), 1)) as tf.Tensor2D;
}

function checkModel(model: Model, data: EncodedSet, opts: PredictOptions): void {
  const head = model.head ?? 'seqcls';
  if (head !== 'seqcls')
    throw new Error(`predict() needs a sequence-classification (seqcls) model; this one is ${head}`);
  if (model.config.num_labels < 2)
    throw new Error('predict() needs a classifier (num_labels >= 2); a model with num_labels 1 regresses');
  if (data.numChoices !== undefined) throw new Error('predict(): the encoded set has numChoices; it needs seqcls rows');
  const rows = data.n * data.maxLength;
  if (data.inputIds.length !== rows || data.attentionMask.length !== rows)
    throw new Error(
      `predict(): the encoded set's arrays do not hold n (${data.n}) x maxLength (${data.maxLength}) ids`,
    );
  const bs = opts.batchSize ?? 64;
  if (!Number.isInteger(bs) || bs < 1) throw new Error(`predict(): batchSize must be a positive integer; got ${bs}`);
  const mc = opts.mc;
  if (mc && (!Number.isInteger(mc.passes) || mc.passes < 1 || !Number.isFinite(mc.seed)))
    throw new Error(`predict(): mc needs a whole number of passes >= 1 and a seed; got ${JSON.stringify(mc)}`);
}

/** Run `model` (seqcls; PEFT hooks when attached) over `data` in batches of opts.batchSize. */
export async function predict(model: Model, data: EncodedSet, opts: PredictOptions = {}): Promise<Prediction> {
  checkModel(model, data, opts);
  const batchSize = opts.batchSize ?? 64;
  const C = model.config.num_labels;
  const n = data.n;
  const peft = activeHooks(model);
  const logits = new Float32Array(n * C);
  const probs = new Float32Array(n * C);
  const passes = opts.mc?.passes ?? 0;
  const mc = Array.from({ length: passes }, () => new Float32Array(n * C));
  let features: Prediction['features'];
  let layers: Prediction['layers'];

  for (let start = 0; start < n; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const batch = batchTensors(data, rows);
    const mask = batch.inputs.attentionMask;
    try {
      // dropout off: the hooks only read (the features hook is called once per pass, by the scorer)
      const out = tf.tidy(() => {
        let h: tf.Tensor2D | undefined;
        let bias = false;
        const pooled: tf.Tensor2D[] = [];
        const ctx: ForwardContext = {
          ...EVAL,
          peft,
          ...(opts.features && {
            features: (x: tf.Tensor2D, b: boolean) => {
              h = x;
              bias = b;
            },
          }),
          ...(opts.layers && { hidden: (i: number, x: tf.Tensor3D) => (pooled[i] = meanPool(x, mask)) }),
        };
        const o = forward(model.params, model.config, 'seqcls', batch.inputs, ctx);
        if (o.head === 'qa') throw new Error('unreachable: a seqcls forward gave QA logits');
        return { logits: o.logits, probs: tf.softmax(o.logits), h: h as tf.Tensor2D | undefined, bias, pooled };
      });
      try {
        logits.set(await out.logits.data(), start * C);
        probs.set(await out.probs.data(), start * C);
        if (out.h) {
          const dim = out.h.shape[1];
          features ??= { dim, bias: out.bias, data: new Float32Array(n * dim) };
          features.data.set(await out.h.data(), start * dim);
        }
        if (opts.layers) {
          layers ??= out.pooled.map((p) => ({ dim: p.shape[1], data: new Float32Array(n * p.shape[1]) }));
          for (let i = 0; i < out.pooled.length; i++)
            layers[i]!.data.set(await out.pooled[i]!.data(), start * layers[i]!.dim);
        }
      } finally {
        tf.dispose([out.logits, out.probs, ...(out.h ? [out.h] : []), ...out.pooled]);
      }
      // MC dropout: training-mode forwards outside any gradient tape, each pass with its own seed stream
      for (let t = 0; t < passes; t++) {
        const ctx: ForwardContext = { training: true, nextSeed: mcSeeds(opts.mc!.seed, t, start), peft };
        const p = tf.tidy(() => {
          const o = forward(model.params, model.config, 'seqcls', batch.inputs, ctx);
          return tf.softmax((o as { logits: tf.Tensor2D }).logits);
        });
        mc[t]!.set(await p.data(), start * C);
        p.dispose();
      }
    } finally {
      disposeBatch(batch);
    }
  }
  checkWebgpu();
  return {
    n,
    numClasses: C,
    logits,
    probs,
    ...(opts.features && { features: features ?? { dim: 0, bias: false, data: new Float32Array(0) } }),
    ...(opts.layers && { layers: layers ?? [] }),
    ...(opts.mc && { mc }),
  };
}
