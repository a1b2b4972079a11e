// What a trained classifier says about a set, for the active-learning strategies and the representation analyses:
// logits and softmax with dropout off, optionally the classifier's input (embeddings; BADGE's gradient embeddings
// are made from them), each layer's representation mean-pooled over the real tokens (CKA), and T passes with
// dropout on (MC dropout). No gradients. Each MC pass draws its dropout masks from (seed, pass, first row of the
// batch), so a pass is the same whatever ran before it.
import * as tf from '@tensorflow/tfjs';
import type { EncodedSet } from '@prunelab/core';
import { batchTensors, disposeBatch } from './encoded.ts';
import { forward } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { activeHooks } from './peft/attach.ts';
import type { Model } from './train.ts';

export interface PredictOptions {
  /** rows per forward pass (default 64): the outputs do not depend on it beyond float rounding */
  batchSize?: number;
  /** the input of the classifier's last linear layer, as train()'s `features` option gives it */
  features?: boolean;
  /** per-layer representations mean-pooled over the real tokens */
  layers?: boolean;
  /** MC dropout: `passes` forward passes with dropout on, seeded */
  mc?: { passes: number; seed: number };
}

export interface Prediction {
  n: number;
  numClasses: number;
  /** dropout off, [n, C] row-major */
  logits: Float32Array;
  probs: Float32Array;
  features?: { dim: number; bias: boolean; data: Float32Array };
  /** index 0: the embedding output, i: the output of layer i (1..L); each [n, dim] */
  layers?: { dim: number; data: Float32Array }[];
  /** passes x [n, C] softmax with dropout on */
  mc?: Float32Array[];
}

/** A 32-bit mix of the MC dropout seed, the pass and the batch's first row: the start of that batch's seed stream. */
const streamSeed = (seed: number, pass: number, row: number) => {
  let z = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(pass + 1, 0x85ebca6b) ^ Math.imul(row + 1, 0xc2b2ae35)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x7feb352d) >>> 0;
  return (z ^ (z >>> 15)) >>> 0;
};

/** Mean over the rows' real tokens of x [B, T', H]: prompt tuning puts virtual tokens first, so the last T count. */
function poolRows(x: tf.Tensor3D, mask: tf.Tensor): tf.Tensor2D {
  return tf.tidy(() => {
    const T = mask.shape[1]!;
    const tail = x.shape[1]! === T ? x : tf.slice(x, [0, x.shape[1]! - T, 0], [-1, T, -1]);
    const m = tf.cast(mask, 'float32');
    const sum = tf.sum(tf.mul(tail, tf.expandDims(m, 2)), 1);
    return tf.div(sum, tf.maximum(tf.sum(m, 1, true), 1)) as tf.Tensor2D;
  });
}

export async function predict(model: Model, data: EncodedSet, opts: PredictOptions = {}): Promise<Prediction> {
  const head = model.head ?? 'seqcls';
  if (head !== 'seqcls')
    throw new Error(`predict: the model's head is ${head}; predictions for strategies and probes need a classifier`);
  const batchSize = opts.batchSize ?? 64;
  const C = model.config.num_labels;
  const n = data.n;
  const logits = new Float32Array(n * C);
  const probs = new Float32Array(n * C);
  let features: Prediction['features'];
  const layers: { dim: number; data: Float32Array }[] = [];
  const peft = activeHooks(model);
  for (let start = 0; start < n; start += batchSize) {
    const rows = Int32Array.from({ length: Math.min(batchSize, n - start) }, (_, i) => start + i);
    const batch = batchTensors(data, rows, true);
    const kept: { h?: tf.Tensor2D; bias?: boolean; layers: tf.Tensor2D[] } = { layers: [] };
    const ctx: ForwardContext = {
      ...EVAL,
      peft,
      ...(opts.features && {
        features: (h: tf.Tensor2D, bias: boolean) => {
          kept.h = tf.keep(h);
          kept.bias = bias;
        },
      }),
      ...(opts.layers && {
        hidden: (layer: number, x: tf.Tensor3D) => {
          kept.layers[layer] = tf.keep(poolRows(x, batch.inputs.attentionMask));
        },
      }),
    };
    const [l, p] = tf.tidy(() => {
      const out = forward(model.params, model.config, head, batch.inputs, ctx);
      if (out.head === 'qa') throw new Error('internal: a seqcls head gave QA outputs');
      return [out.logits, tf.softmax(out.logits)];
    });
    logits.set((await l.data()) as Float32Array, start * C);
    probs.set((await p.data()) as Float32Array, start * C);
    if (kept.h) {
      const dim = kept.h.shape[1]!;
      features ??= { dim, bias: kept.bias!, data: new Float32Array(n * dim) };
      features.data.set((await kept.h.data()) as Float32Array, start * dim);
    }
    for (const [i, t] of kept.layers.entries()) {
      const dim = t.shape[1]!;
      layers[i] ??= { dim, data: new Float32Array(n * dim) };
      layers[i]!.data.set((await t.data()) as Float32Array, start * dim);
    }
    tf.dispose([l, p, ...(kept.h ? [kept.h] : []), ...kept.layers]);
    disposeBatch(batch);
  }
  const out: Prediction = { n, numClasses: C, logits, probs };
  if (opts.features) {
    if (!features) throw new Error(`predict: the ${model.config.model_type} classifier handed no features`);
    out.features = features;
  }
  if (opts.layers) out.layers = layers;
  if (opts.mc) out.mc = await mcPasses(model, data, batchSize, opts.mc);
  return out;
}

/** T softmax outputs with dropout on: each batch's dropout seeds from (seed, pass, its first row). */
async function mcPasses(
  model: Model,
  data: EncodedSet,
  batchSize: number,
  mc: { passes: number; seed: number },
): Promise<Float32Array[]> {
  if (!Number.isInteger(mc.passes) || mc.passes < 1) throw new Error(`predict: mc.passes = ${mc.passes}; give >= 1`);
  const head = model.head ?? 'seqcls';
  const C = model.config.num_labels;
  const peft = activeHooks(model);
  const out: Float32Array[] = [];
  for (let pass = 0; pass < mc.passes; pass++) {
    const probs = new Float32Array(data.n * C);
    for (let start = 0; start < data.n; start += batchSize) {
      const rows = Int32Array.from({ length: Math.min(batchSize, data.n - start) }, (_, i) => start + i);
      const batch = batchTensors(data, rows, true);
      let s = streamSeed(mc.seed, pass, start);
      const ctx: ForwardContext = { training: true, nextSeed: () => (s = (s + 0x9e3779b9) >>> 0), peft };
      const p = tf.tidy(() => {
        const o = forward(model.params, model.config, head, batch.inputs, ctx);
        if (o.head === 'qa') throw new Error('internal: a seqcls head gave QA outputs');
        return tf.softmax(o.logits);
      });
      probs.set((await p.data()) as Float32Array, start * C);
      p.dispose();
      disposeBatch(batch);
    }
    out.push(probs);
  }
  return out;
}
