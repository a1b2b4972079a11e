// Weight sets for the mitigations: the values of a model's trainable parameters by name, copied out of and assigned
// back into the same variables (copies and members train in place, one at a time: memory stays one model plus the
// saved sets), averaged, and perturbed by seeded noise computed in JavaScript (backend-independent).
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import { trainedHeadNames, trainableNames } from '../peft/attach.ts';
import type { Model } from '../train.ts';
import type { RawTensor } from '../safetensors.ts';

/** Parameter values by name (kept tensors: the owner disposes them). */
export type Values = Map<string, tf.Tensor>;

export function copyValues(model: Model, names: string[] = trainableNames(model)): Values {
  return new Map(names.map((n) => [n, tf.keep(model.params.get(n)!.clone())]));
}

export function assignValues(model: Model, values: Values): void {
  for (const [n, v] of values) model.params.get(n)!.assign(v);
}

export function disposeValues(values: Values | undefined): void {
  if (values) tf.dispose([...values.values()]);
}

/** The uniform average of weight sets with the same names; one set averages to itself exactly. */
export function averageValues(sets: Values[]): Values {
  if (sets.length === 0) throw new Error('averageValues: no weight sets');
  const out: Values = new Map();
  for (const name of sets[0]!.keys()) {
    out.set(
      name,
      tf.tidy(() => {
        // summed one after the other from the first set: identical sets average to it bit for bit (signed zeros too)
        let sum = sets[0]!.get(name)!;
        for (const s of sets.slice(1)) sum = tf.add(sum, s.get(name)!);
        return sets.length === 1 ? sum.clone() : tf.div(sum, sets.length);
      }),
    );
  }
  for (const v of out.values()) tf.keep(v);
  return out;
}

/** acc += w * x (in place, acc's tensors replaced). */
export function accumulate(acc: Values, x: Values, w = 1, keep = 1): void {
  for (const [n, a] of acc) {
    const next = tf.tidy(() => tf.add(keep === 1 ? a : tf.mul(a, keep), w === 1 ? x.get(n)! : tf.mul(x.get(n)!, w)));
    a.dispose();
    acc.set(n, tf.keep(next));
  }
}

/** Population standard deviation of a tensor's elements. */
export function stdOf(x: tf.Tensor): number {
  return tf.tidy(() => tf.sqrt(tf.moments(x).variance).dataSync()[0]!);
}

/** A stream of standard normal draws from a seed (Box-Muller over mulberry32). */
export function gaussian(seed: number): () => number {
  const u = mulberry32(seed);
  let spare: number | undefined;
  return () => {
    if (spare !== undefined) {
      const s = spare;
      spare = undefined;
      return s;
    }
    const a = Math.max(u(), 1e-12);
    const b = u();
    const r = Math.sqrt(-2 * Math.log(a));
    spare = r * Math.sin(2 * Math.PI * b);
    return r * Math.cos(2 * Math.PI * b);
  };
}

/**
 * Add noise `draw() * scale * std(parameter)` to each named parameter of the model, drawn in name order (a parameter
 * whose elements are all equal, like a zero bias, gets none); `draw` gives standard normal draws (gaussian) or any
 * other unit noise. `scale` 0 changes nothing.
 */
export function addNoise(model: Model, names: string[], scale: number, draw: () => number): void {
  if (scale === 0) return;
  for (const n of names) {
    const p = model.params.get(n)!;
    const sd = stdOf(p) * scale;
    if (sd === 0) continue;
    const noise = new Float32Array(p.size);
    for (let i = 0; i < noise.length; i++) noise[i] = draw() * sd;
    tf.tidy(() => p.assign(tf.add(p, tf.tensor(noise, p.shape))));
  }
}

/** Where DENI puts its noise: the classifier head under full fine-tuning, every trainable parameter under PEFT. */
export function noiseNames(model: Model): string[] {
  return model.peft ? trainableNames(model) : trainedHeadNames(model.config, model.head ?? 'seqcls');
}

/** Values as a snapshot's arrays (`prefix/name`), and back. */
export function valuesToArrays(prefix: string, v: Values, out: Map<string, RawTensor>): void {
  for (const [n, t] of v) out.set(`${prefix}/${n}`, { shape: t.shape, data: t.dataSync() as Float32Array });
}

export function valuesFromArrays(prefix: string, arrays: Map<string, RawTensor> | undefined): Values | undefined {
  if (!arrays) return undefined;
  const out: Values = new Map();
  for (const [k, a] of arrays) {
    if (k.startsWith(`${prefix}/`)) out.set(k.slice(prefix.length + 1), tf.keep(tf.tensor(a.data, a.shape)));
  }
  return out.size ? out : undefined;
}
