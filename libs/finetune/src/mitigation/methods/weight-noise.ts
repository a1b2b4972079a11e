// Weight noise: every `every` of training, Gaussian noise of std `scale * std(p)` is added to the parameters DENI
// perturbs (the classifier head under full fine-tuning, every trainable parameter under PEFT).
import { singleModel, stepAt, type MitigationMethod } from '../method.ts';
import { addNoise, gaussian, noiseNames } from '../weights.ts';

export const weightNoise: MitigationMethod = {
  name: 'weight_noise',
  doc: 'Gaussian noise on the weights at regular points of training',
  options: {
    scale: { default: 0.1, min: 0, doc: "noise std as a multiple of each parameter's std" },
    every: { default: 0.1, min: 0.001, max: 1, doc: 'share of training between two perturbations' },
  },
  prefix: (o) => o.every!,
  cost: (T) => T,
  create: (env, o) => {
    const len = Math.max(1, stepAt(o.every!, env.totalSteps));
    return singleModel({
      afterStep: (done) => {
        if (done % len !== 0 || done === env.totalSteps) return;
        addNoise(env.model, noiseNames(env.model), o.scale!, gaussian((env.noiseSeed * 31 + done) >>> 0));
      },
    });
  },
};
