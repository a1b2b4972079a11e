// DENI (Pecher et al. 2024): noisy interpolation between `start` and `end` of training, then a delayed ensemble from
// `ensemble_at` (deni-parts.ts). Their set-up: 9 copies, 30-60 % every 10 %, noise 0.15, ensemble at 90 %.
import { DelayedEnsemble, Interpolation } from '../deni-parts.ts';
import { singleModel, type MitigationMethod, type OptionSpec } from '../method.ts';

export const INTERPOLATION_OPTIONS: Record<string, OptionSpec> = {
  copies: { default: 9, min: 0, int: true, doc: 'noisy copies beside the main model' },
  start: { default: 0.3, min: 0, max: 1, doc: 'share of training where interpolation starts' },
  end: { default: 0.6, min: 0, max: 1, doc: 'share of training where it ends' },
  every: { default: 0.1, min: 0.001, max: 1, doc: 'share of training between two interpolations' },
  noise: { default: 0.15, min: 0, doc: 'noise variance scale: std sqrt(noise / i) * std(p) at the i-th' },
};

export const deni: MitigationMethod = {
  name: 'deni',
  doc: 'delayed ensemble with noisy interpolation',
  votes: true,
  options: {
    ...INTERPOLATION_OPTIONS,
    ensemble_at: { default: 0.9, min: 0, max: 1, doc: 'share of training where the delayed ensemble starts' },
    ensemble_noise: { default: 0.15, min: 0, doc: "the ensemble copies' noise: std sqrt(ensemble_noise) * std(p)" },
  },
  prefix: (o) => Math.min(o.start!, o.ensemble_at!),
  cost: (T, o) =>
    T +
    Interpolation.cost(interp(o), T) +
    DelayedEnsemble.cost({ copies: o.copies!, at: o.ensemble_at!, scale: o.ensemble_noise! }, T),
  create: (env, o) => {
    const ni = new Interpolation(env, interp(o));
    const de = new DelayedEnsemble(env, { copies: o.copies!, at: o.ensemble_at!, scale: o.ensemble_noise! });
    return singleModel({
      afterStep: async (done) => {
        await ni.afterStep(done);
        de.afterStep(done);
      },
      finish: () => de.finish(),
      members: () => de.count,
      withMember: (j, fn) => de.with(j, fn),
      extraSteps: () => ni.extraSteps + de.extraSteps,
      save: () => {
        const out = {};
        ni.save(out);
        de.save(out);
        return out;
      },
      restore: (s, step) => {
        ni.restore(s, step);
        de.restore(s, step);
      },
      dispose: () => {
        ni.dispose();
        de.dispose();
      },
    });
  },
};

export const interp = (o: Record<string, number>) => ({
  copies: o.copies!,
  start: o.start!,
  end: o.end!,
  every: o.every!,
  scale: o.noise!,
});
