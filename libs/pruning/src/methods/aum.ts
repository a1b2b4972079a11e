// Area under the margin: the mean recorded margin (gold logit - largest other logit) over the used runs and
// epochs; the lowest AUM are the examples the model keeps assigning to another class.
import { aum as aumOf } from '@prunelab/dynamics';
import { byScore, type ScoreColumn, type SelectionMethod } from './method.ts';

const AUM: ScoreColumn = {
  name: 'aum',
  doc: 'mean margin over the used runs and epochs',
  digits: 5,
  hard: 'low',
  compute: (rec) =>
    aumOf(
      rec.runs.map((r) => r.margin),
      { runsUsed: rec.runsUsed, epochsUsed: rec.epochsUsed },
    ),
};

export const aum: SelectionMethod<'aum'> = {
  name: 'aum',
  title: 'AUM',
  doc: 'the k of lowest area under the margin',
  citation: 'Pleiss et al. 2020',
  columns: [AUM],
  keys: byScore(AUM, 'asc'),
};
