// Prior noise (NoisyTune, Wu et al. 2022): before training, each pretrained parameter gets uniform noise in
// [-scale/2, scale/2] * std(p). The head and PEFT parameters, initialised fresh, get none.
import { mulberry32 } from '@prunelab/core';
import { bodySpecs } from '../../heads.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { addNoise } from '../weights.ts';

export const priorNoise: MitigationMethod = {
  name: 'prior_noise',
  doc: 'uniform noise on the pretrained weights before fine-tuning (NoisyTune)',
  options: { scale: { default: 0.15, min: 0, doc: "noise range as a multiple of each parameter's std" } },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    // a resumed run loads its weights from the snapshot after this: the noise is applied once, at the start
    const rand = mulberry32(env.noiseSeed);
    const body = bodySpecs(env.model.config)
      .map((s) => s.name)
      .filter((n) => env.model.params.has(n));
    addNoise(env.model, body, o.scale!, () => rand() - 0.5);
    return singleModel();
  },
};
