// Ensemble of `size` independently seeded runs, predicting by majority vote. The main model is the default run of
// the job's seed; member j trains from the pretrained model with seed + 1000 * j (its own head and PEFT
// initialisation, data order and dropout), exactly as the default run of that seed would.
import { trainableNames } from '../../peft/attach.ts';
import { disposeParams } from '../../checkpoint.ts';
import { train } from '../../train.ts';
import { Members } from '../copies.ts';
import { singleModel, type MitigationMethod } from '../method.ts';
import { assignValues, copyValues, disposeValues } from '../weights.ts';

export const memberSeed = (seed: number, j: number): number => seed + 1000 * j;

export const ensemble: MitigationMethod = {
  name: 'ensemble',
  doc: 'majority vote of independently seeded runs',
  votes: true,
  options: { size: { default: 5, min: 1, int: true, doc: 'models in the ensemble (the main run included)' } },
  prefix: () => 1,
  cost: (T, o) => T * o.size!,
  create: (env, o) => {
    const members = new Members(env, 'ensemble');
    let steps = 0;
    return singleModel({
      finish: async () => {
        if (members.count === o.size! - 1) return;
        const main = copyValues(env.model);
        try {
          for (let j = 1; j < o.size!; j++) {
            const seed = memberSeed(env.train.seed, j);
            steps += env.totalSteps;
            if (members.load(j)) continue;
            const fresh = env.fresh(seed);
            const init = copyValues(fresh, trainableNames(env.model));
            disposeParams(fresh.params);
            assignValues(env.model, init);
            disposeValues(init);
            const { checkpoint: _c, hooks: _h, onBatch: _b, onEpochEnd: _e, features: _f, ...plain } = env.train;
            await train(env.model, env.data, { ...plain, seed });
            members.add();
          }
        } finally {
          assignValues(env.model, main);
          disposeValues(main);
        }
      },
      members: () => members.count,
      withMember: (j, fn) => members.with(j, fn),
      extraSteps: () => steps,
      dispose: () => members.dispose(),
    });
  },
};
