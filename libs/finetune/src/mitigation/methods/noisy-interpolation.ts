// DENI's first half alone: noisy interpolation (deni-parts.ts), one model at the end.
import { Interpolation } from '../deni-parts.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { INTERPOLATION_OPTIONS, interp } from './deni.ts';

export const noisyInterpolation: MitigationMethod = {
  name: 'noisy_interpolation',
  doc: 'noisy copies trained beside the model and averaged into it, at regular points of mid-training',
  options: INTERPOLATION_OPTIONS,
  prefix: (o) => o.start!,
  cost: (T, o) => T + Interpolation.cost(interp(o), T),
  create: (env, o) => {
    const ni = new Interpolation(env, interp(o));
    return singleModel({
      afterStep: (done) => ni.afterStep(done),
      extraSteps: () => ni.extraSteps,
      save: () => {
        const out = {};
        ni.save(out);
        return out;
      },
      restore: (s, step) => ni.restore(s, step),
      dispose: () => ni.dispose(),
    });
  },
};
