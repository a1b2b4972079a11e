// DENI's second half alone: noisy copies of the model late in training, trained to the end, voting (deni-parts.ts).
import { DelayedEnsemble } from '../deni-parts.ts';
import { singleModel, type MitigationMethod } from '../method.ts';

export const delayedEnsemble: MitigationMethod = {
  name: 'delayed_ensemble',
  doc: 'noisy copies of the model from late in training, trained to the end, majority vote',
  votes: true,
  options: {
    copies: { default: 9, min: 0, int: true, doc: 'noisy copies beside the main model' },
    at: { default: 0.9, min: 0, max: 1, doc: 'share of training where the copies are made' },
    noise: { default: 0.15, min: 0, doc: 'noise: std sqrt(noise) * std(p)' },
  },
  prefix: (o) => o.at!,
  cost: (T, o) => T + DelayedEnsemble.cost({ copies: o.copies!, at: o.at!, scale: o.noise! }, T),
  create: (env, o) => {
    const de = new DelayedEnsemble(env, { copies: o.copies!, at: o.at!, scale: o.noise! });
    return singleModel({
      afterStep: (done) => de.afterStep(done),
      finish: () => de.finish(),
      members: () => de.count,
      withMember: (j, fn) => de.with(j, fn),
      extraSteps: () => de.extraSteps,
      save: () => {
        const out = {};
        de.save(out);
        return out;
      },
      restore: (s, step) => de.restore(s, step),
      dispose: () => de.dispose(),
    });
  },
};
