// No mitigation: the default run.
import { singleModel, type MitigationMethod } from '../method.ts';

export const none: MitigationMethod = {
  name: 'none',
  doc: 'plain fine-tuning (the default run every other strategy is compared with)',
  options: {},
  prefix: () => 1,
  cost: (T) => T,
  create: () => singleModel(),
};
