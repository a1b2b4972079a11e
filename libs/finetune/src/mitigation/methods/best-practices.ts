// "Best practices" of fine-tuning small data: AdamW with weight decay, a linear warm-up, longer training.
import { singleModel, type MitigationMethod } from '../method.ts';

export const bestPractices: MitigationMethod = {
  name: 'best_practices',
  doc: 'AdamW weight decay, linear warm-up and more epochs',
  options: {
    weight_decay: { default: 0.01, min: 0, doc: 'AdamW weight decay' },
    warmup: { default: 0.1, min: 0, max: 1, doc: 'warm-up as a share of the (longer) training' },
    epochs_factor: { default: 2, min: 1, doc: 'epochs multiplied by this (rounded)' },
  },
  settings: (t, o, stepsPerEpoch) => {
    const epochs = Math.round(t.epochs * o.epochs_factor!);
    return { ...t, epochs, weightDecay: o.weight_decay!, warmupSteps: Math.round(o.warmup! * epochs * stepsPerEpoch) };
  },
  prefix: () => 0,
  cost: (T, o) => Math.round(T * o.epochs_factor!),
  create: () => singleModel(),
};
