// Prior noise (NoisyTune, Wu et al. 2022): before training, each pretrained parameter gets uniform noise in
// [-scale/2, scale/2] * std(p). The head and PEFT parameters, initialised fresh, get none.
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '@prunelab/core';
import { bodySpecs } from '../../heads.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { stdOf } from '../weights.ts';

export const priorNoise: MitigationMethod = {
  name: 'prior_noise',
  doc: 'uniform noise on the pretrained weights before fine-tuning (NoisyTune)',
  options: { scale: { default: 0.15, min: 0, doc: "noise range as a multiple of each parameter's std" } },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    // a resumed run loads its weights from the snapshot after this: the noise is applied once, at the start
    const rand = mulberry32(env.noiseSeed);
    for (const s of bodySpecs(env.model.config)) {
      const p = env.model.params.get(s.name);
      if (!p) continue;
      const sd = stdOf(p) * o.scale!;
      if (sd === 0) continue;
      const noise = new Float32Array(p.size);
      for (let i = 0; i < noise.length; i++) noise[i] = (rand() - 0.5) * sd;
      tf.tidy(() => p.assign(tf.add(p, tf.tensor(noise, p.shape))));
    }
    return singleModel();
  },
};
