// Exponential moving average of the weights: shadow = decay * shadow + (1 - decay) * w after every optimizer step,
// starting from the initial weights; the shadow replaces the final weights.
import { singleModel, type MitigationMethod } from '../method.ts';
import { accumulate, assignValues, copyValues, disposeValues, valuesFromArrays, valuesToArrays } from '../weights.ts';

export const ema: MitigationMethod = {
  name: 'ema',
  doc: 'exponential moving average of the weights (from the initial weights), used after training',
  options: { decay: { default: 0.999, min: 0, max: 1, doc: 'weight of the running average at each step' } },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    const d = o.decay!;
    let shadow = copyValues(env.model);
    return singleModel({
      afterStep: () => {
        const w = copyValues(env.model);
        accumulate(shadow, w, 1 - d, d);
        disposeValues(w);
      },
      finish: async () => assignValues(env.model, shadow),
      save: () => {
        const arrays = new Map();
        valuesToArrays('ema', shadow, arrays);
        return { arrays };
      },
      restore: (s) => {
        const v = valuesFromArrays('ema', s?.arrays);
        if (!v) throw new Error('the snapshot holds no EMA weights: it was saved by another mitigation');
        disposeValues(shadow);
        shadow = v;
      },
      dispose: () => disposeValues(shadow),
    });
  },
};
