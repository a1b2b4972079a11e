// Grafting (Panigrahi et al., ICML 2023): theta(gamma) = theta_pre + gamma * (theta_ft - theta_pre) elementwise over
// the parameters in scope. The model outside the scope is the pretrained one, except the task head, which has no
// pretrained value and is always the fine-tuned one. Written as (1 - gamma) theta_pre + gamma theta_ft, with gamma 0
// and 1 taking the endpoints themselves, so gamma = 1 is theta_ft and gamma = 0 is theta_pre bit for bit.
import * as tf from '@tensorflow/tfjs';
import type { EncodedSet } from '@prunelab/core';
import { batchTensors, disposeBatch } from '../encoded.ts';
import { bodySpecs, forward, headSpecs } from '../heads.ts';
import { EVAL } from '../layers.ts';
import { headLoss } from '../losses.ts';
import type { Model } from '../train.ts';
import type { Mask } from './mask.ts';

/** layers: the transformer layers (the authors' scope: embeddings and head fixed); body: every body parameter. */
export const GRAFT_SCOPES = ['layers', 'body'] as const;
export type GraftScope = (typeof GRAFT_SCOPES)[number];

// a layer's parameters in every family's naming: encoder.layer.N. (BERT, RoBERTa, USE-Lite), decoder.layers.N. (OPT)
const LAYER = /\.(layer|layers|h)\.\d+\./;

/** The parameter names a scope covers, in the model's spec order. */
export function scopeNames(model: Model, scope: GraftScope): string[] {
  const head = new Set(headSpecs(model.config, model.head ?? 'seqcls').map((s) => s.name));
  return bodySpecs(model.config)
    .map((s) => s.name)
    .filter((n) => !head.has(n) && (scope === 'body' || LAYER.test(n)));
}

export interface Graft {
  /** the model whose variables hold the grafted weights */
  model: Model;
  names: string[];
  sizes: number[];
  /** per name, memory layout (linear weights [in, out]) */
  pre: Float32Array[];
  ft: Float32Array[];
  /** theta_ft - theta_pre in float32: the direction of the mask's gradient and of task arithmetic's step */
  delta: Float32Array[];
  /** parameters in scope */
  count: number;
}

/**
 * A graft of `ft` (the fine-tuned model) onto `pre` (the pretrained one, same config and head): `pre`'s variables
 * become the grafted model (head: the fine-tuned one; scope: gamma = 0 until set). `ft` is read, not kept.
 */
export function startGraft(pre: Model, ft: Model, scope: GraftScope): Graft {
  const head = headSpecs(pre.config, pre.head ?? 'seqcls').map((s) => s.name);
  for (const n of head) pre.params.get(n)!.assign(ft.params.get(n)!);
  const names = scopeNames(pre, scope);
  if (names.length === 0) throw new Error(`grafting: the scope '${scope}' covers no parameter of this model`);
  const read = (m: Model, n: string) => {
    const v = m.params.get(n);
    if (!v) throw new Error(`grafting: parameter '${n}' is missing from a model (another config?)`);
    return new Float32Array(v.dataSync() as Float32Array);
  };
  const preV = names.map((n) => read(pre, n));
  const ftV = names.map((n) => read(ft, n));
  for (const [i, n] of names.entries()) {
    if (preV[i]!.length !== ftV[i]!.length) throw new Error(`grafting: '${n}' differs in size between the models`);
  }
  const delta = ftV.map((f, i) => f.map((x, j) => x - preV[i]![j]!));
  const sizes = preV.map((p) => p.length);
  return { model: pre, names, sizes, pre: preV, ft: ftV, delta, count: sizes.reduce((a, n) => a + n, 0) };
}

/** The scope's values for gamma (a number: the same everywhere; lambda-scaled task arithmetic is gamma = lambda). */
export function graftValues(g: Graft, gamma: Float32Array[] | Mask | number): Float32Array[] {
  return g.names.map((_, t) => {
    const pre = g.pre[t]!;
    const ft = g.ft[t]!;
    const out = new Float32Array(pre.length);
    for (let i = 0; i < out.length; i++) {
      const c = typeof gamma === 'number' ? gamma : gamma[t]![i]!;
      out[i] = c === 0 ? pre[i]! : c === 1 ? ft[i]! : (1 - c) * pre[i]! + c * ft[i]!;
    }
    return out;
  });
}

/** Write theta(gamma) into the model. */
export function setGraft(g: Graft, gamma: Float32Array[] | Mask | number): void {
  const values = graftValues(g, gamma);
  for (const [t, n] of g.names.entries()) {
    const v = g.model.params.get(n)!;
    tf.tidy(() => v.assign(tf.tensor(values[t]!, v.shape, 'float32')));
  }
}

/**
 * The mean loss over `rows` and its gradient with respect to the scope's parameters at the model's current weights,
 * with dropout off (the gradient of a fixed function: the mask's finite differences check it exactly).
 */
export async function lossGrad(
  g: Graft,
  data: EncodedSet,
  rows: Int32Array,
  batchSize: number,
): Promise<{ loss: number; grads: Float32Array[] }> {
  const { model } = g;
  const head = model.head ?? 'seqcls';
  const vars = g.names.map((n) => model.params.get(n)!);
  const grads = g.sizes.map((n) => new Float32Array(n));
  let loss = 0;
  for (let at = 0; at < rows.length; at += batchSize) {
    const part = rows.subarray(at, at + batchSize);
    const w = part.length / rows.length;
    const batch = batchTensors(data, part, head !== 'qa');
    const { value, grads: gs } = tf.variableGrads(
      () => tf.mul(headLoss(forward(model.params, model.config, head, batch.inputs, EVAL), batch), w) as tf.Scalar,
      vars,
    );
    loss += (await value.data())[0]!;
    for (const [t, v] of vars.entries()) {
      const d = (await gs[v.name]!.data()) as Float32Array; // keyed by the variable's own name, not the HF one
      const acc = grads[t]!;
      for (let i = 0; i < acc.length; i++) acc[i]! += d[i]!;
    }
    tf.dispose([value, ...Object.values(gs)]);
    disposeBatch(batch);
  }
  return { loss, grads };
}
