// Forgetting events (correct at epoch e, wrong at e + 1), never-learned examples first (an infinite count).
import { forgetting as forgettingOf } from '@prunelab/dynamics';
import { byScore, type ScoreColumn, type SelectionMethod } from './method.ts';

const FORGETTING: ScoreColumn = {
  name: 'forgetting',
  hard: 'high',
  doc: 'forgetting events summed over the used runs; each never-learned run outweighs them all',
  compute: (rec) => {
    const use = { runsUsed: rec.runsUsed, epochsUsed: rec.epochsUsed };
    return forgettingOf(
      rec.runs.map((r) => r.correct),
      use,
    ).score;
  },
};

export const forgetting: SelectionMethod<'forgetting'> = {
  name: 'forgetting',
  title: 'forgetting',
  doc: 'the k most forgotten, never-learned first',
  citation: 'Toneva et al. 2019',
  columns: [FORGETTING],
  keys: byScore(FORGETTING, 'desc'),
};
