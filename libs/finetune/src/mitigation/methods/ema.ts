// Exponential moving average of the weights, used after training: shadow = decay * shadow + (1 - decay) * w after
// every optimizer step. With bias_correction (the default) the shadow starts at zero and is divided by
// 1 - decay^t at the end (as Adam corrects its moments), so it is a weighted average of the weights after steps
// 1..t only; without it the shadow starts at the initial weights, which keep decay^t of the weight - 0.999^189 =
// 83 % in a 189-step run, where the EMA would be mostly the untrained head.
import * as tf from '@tensorflow/tfjs';
import { trainableNames } from '../../peft/attach.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { accumulate, copyValues, disposeValues, valuesFromArrays, valuesToArrays, type Values } from '../weights.ts';

export const ema: MitigationMethod = {
  name: 'ema',
  doc: 'exponential moving average of the weights, used after training',
  options: {
    decay: { default: 0.999, min: 0, max: 0.999999, doc: 'weight of the running average at each step' },
    bias_correction: { default: 1, min: 0, max: 1, int: true, doc: '1: start at zero and divide by 1 - decay^t' },
  },
  prefix: () => 0,
  cost: (T) => T,
  create: (env, o) => {
    const d = o.decay!;
    const corrected = o.bias_correction === 1;
    let steps = 0;
    let shadow: Values = corrected
      ? new Map(trainableNames(env.model).map((n) => [n, tf.keep(tf.zerosLike(env.model.params.get(n)!))]))
      : copyValues(env.model);
    return singleModel({
      afterStep: () => {
        const w = copyValues(env.model);
        accumulate(shadow, w, 1 - d, d);
        disposeValues(w);
        steps++;
      },
      finish: async () => {
        const scale = corrected ? 1 / (1 - d ** steps) : 1;
        for (const [n, t] of shadow) tf.tidy(() => env.model.params.get(n)!.assign(scale === 1 ? t : tf.mul(t, scale)));
      },
      save: () => {
        const arrays = new Map();
        valuesToArrays('ema', shadow, arrays);
        return { json: { emaSteps: steps }, arrays };
      },
      restore: (s) => {
        const v = valuesFromArrays('ema', s?.arrays);
        if (!v) throw new Error('the snapshot holds no EMA weights: it was saved by another mitigation');
        disposeValues(shadow);
        shadow = v;
        steps = (s?.json as { emaSteps?: number } | undefined)?.emaSteps ?? 0;
      },
      dispose: () => disposeValues(shadow),
    });
  },
};
