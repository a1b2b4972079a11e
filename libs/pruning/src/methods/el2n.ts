// EL2N early in training: the first epoch's || softmax - onehot(gold) ||_2, averaged over the used runs. Exact
// when the records hold it; records without it give it for 2 classes from the gold probability, else NaN.
import { el2nFromGoldProb, el2nScore } from '@prunelab/dynamics';
import { byScore, scoreOf, type ScoreColumn, type SelectionMethod } from './method.ts';

const EL2N: ScoreColumn = {
  name: 'el2n',
  digits: 5,
  hard: 'high',
  doc: 'EL2N of the first epoch, mean over the used runs (NaN: not recorded and more than 2 classes)',
  compute: (rec, ctx) => {
    const used = rec.runs.slice(0, rec.runsUsed);
    if (used.every((r) => r.el2n))
      return el2nScore(
        used.map((r) => r.el2n!),
        0,
        { runsUsed: rec.runsUsed },
      );
    if (rec.numClasses === 2)
      return el2nFromGoldProb(
        used.map((r) => r.goldProb),
        2,
        0,
        { runsUsed: rec.runsUsed },
      );
    return new Float32Array(ctx.pool.ids.length).fill(NaN);
  },
};

const rank = byScore(EL2N, 'desc');

export const el2n: SelectionMethod<'el2n'> = {
  name: 'el2n',
  title: 'EL2N',
  doc: 'the k of highest EL2N in the first epoch',
  citation: 'Paul et al. 2021',
  columns: [EL2N],
  keys: (ctx) => {
    if (Array.prototype.some.call(scoreOf(ctx, EL2N), (v: number) => Number.isNaN(v))) {
      throw new Error(
        'selection method el2n: the phase-1 records hold no EL2N and the task has more than 2 classes; ' +
          'rerun phase 1 (records now keep el2n)',
      );
    }
    return rank(ctx);
  },
};
