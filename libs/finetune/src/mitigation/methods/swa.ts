// Stochastic weight averaging: the uniform average of the weights after every optimizer step from `start` of
// training to the end replaces the final weights (trainable parameters; constant learning-rate schedule not changed).
import * as tf from '@tensorflow/tfjs';
import { singleModel, stepAt, type MitigationMethod } from '../method.ts';
import { accumulate, copyValues, disposeValues, valuesFromArrays, valuesToArrays, type Values } from '../weights.ts';

export const swa: MitigationMethod = {
  name: 'swa',
  doc: 'stochastic weight averaging: the uniform average of the weights after each step from `start` on',
  options: { start: { default: 0.25, min: 0, max: 1, doc: 'share of training after which averaging starts' } },
  prefix: (o) => o.start!,
  cost: (T) => T,
  create: (env, o) => {
    const from = stepAt(o.start!, env.totalSteps);
    let sum: Values | undefined;
    let count = 0;
    const reset = () => {
      disposeValues(sum);
      sum = undefined;
      count = 0;
    };
    return singleModel({
      afterStep: (done) => {
        if (done <= from) return;
        const w = copyValues(env.model);
        if (!sum) sum = w;
        else {
          accumulate(sum, w);
          disposeValues(w);
        }
        count++;
      },
      finish: async () => {
        if (!sum || count === 0) return;
        for (const [n, t] of sum) tf.tidy(() => env.model.params.get(n)!.assign(tf.div(t, count)));
      },
      save: () => {
        const arrays = new Map();
        if (sum) valuesToArrays('swa-sum', sum, arrays);
        return { json: { swaCount: count }, arrays };
      },
      restore: (s) => {
        reset();
        sum = valuesFromArrays('swa-sum', s?.arrays);
        count = sum ? ((s?.json as { swaCount?: number })?.swaCount ?? 0) : 0;
      },
      dispose: reset,
    });
  },
};
