// Mixout (Lee et al. 2020) on the classifier head: in every training pass each weight of the head's linear layers is
// swapped for its initial value with probability p, and the mix is rescaled so its expectation is the current weight:
// w~ = ((1 - M) * w0 + M * w - p * w0) / (1 - p), M ~ Bernoulli(1 - p). Evaluation uses w. p = 0 is the identity.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import { trainedHeadNames } from '../../peft/attach.ts';
import type { Params } from '../../params.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { copyValues, disposeValues } from '../weights.ts';

export const mixout: MitigationMethod = {
  name: 'mixout',
  doc: "mixout of the classifier head's weight matrices towards their initial values",
  options: { p: { default: 0.1, min: 0, max: 0.99, doc: 'probability of taking the initial value' } },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    const p = o.p!;
    const names = trainedHeadNames(env.model.config, env.model.head ?? 'seqcls').filter(
      (n) => env.model.params.get(n)!.rank === 2,
    );
    const initial = copyValues(env.model, names);
    // the mask stream's position travels in the snapshot: a resumed run draws the masks it would have drawn
    let rand = mulberry32(env.noiseSeed);
    let draws = 0;
    return singleModel({
      save: () => ({ json: { mixoutDraws: draws } }),
      restore: (s) => {
        const to = (s?.json as { mixoutDraws?: number } | undefined)?.mixoutDraws ?? 0;
        rand = mulberry32(env.noiseSeed);
        for (draws = 0; draws < to; draws++) rand();
      },
      ...(p > 0 && {
        params: (params: Params) => {
          const out = new Map(params);
          for (const n of names) {
            const w = params.get(n)!;
            const keep = new Float32Array(w.size);
            for (let i = 0; i < keep.length; i++) keep[i] = rand() < 1 - p ? 1 : 0;
            draws += keep.length;
            const m = tf.tensor(keep, w.shape);
            const w0 = initial.get(n)!;
            const mixed = tf.div(tf.sub(tf.add(tf.mul(tf.sub(1, m), w0), tf.mul(m, w)), tf.mul(w0, p)), 1 - p);
            out.set(n, mixed as tf.Variable); // read like a parameter; its gradient flows to w
          }
          return out;
        },
      }),
      dispose: () => disposeValues(initial),
    });
  },
};
