// GraNd early in training (Paul et al. 2021): the norm of the loss gradient of each example, here of the
// classifier's final linear layer only (the last-layer approximation the records keep: ||p - y||_2 *
// sqrt(||h||_2^2 + 1)), at one early epoch, mean over the used runs. EL2N is its cheaper companion (||p - y|| alone).
import { missingField, refuseNaN, runsWith } from './fields.ts';
import { byScore, optionsOf, scoreOf, type ScoreColumn, type SelectionMethod } from './method.ts';

const GRAND: ScoreColumn = {
  name: 'grand',
  doc: 'GraNd (last-layer gradient norm) at epoch `epoch` (default the first), mean over the used runs; NaN: not recorded',
  digits: 5,
  hard: 'high',
  compute: (rec, ctx) => {
    const n = ctx.pool.ids.length;
    const epoch = Number(optionsOf(ctx, grand).epoch);
    if (epoch >= rec.epochsUsed)
      throw new Error(
        `selection method grand: pruning.method_options.grand.epoch = ${epoch}, but only ${rec.epochsUsed} epochs are ` +
          `used; choose an epoch in 0..${rec.epochsUsed - 1}`,
      );
    const used = runsWith(rec, 'grand', epoch + 1);
    if (!used) return new Float32Array(n).fill(NaN);
    const sum = new Float64Array(n);
    for (const r of used) {
      const g = r.grand![epoch]!;
      if (g.length !== n) throw new Error(`grand: a run holds ${g.length} values for ${n} examples; rerun phase 1`);
      for (let i = 0; i < n; i++) sum[i]! += g[i]!;
    }
    const out = new Float32Array(n); // a plain loop: Float32Array.from with a map function is ~50x slower
    for (let i = 0; i < n; i++) out[i] = sum[i]! / used.length;
    return out;
  },
};

const rank = byScore(GRAND, 'desc');

export const grand: SelectionMethod<'grand'> = {
  name: 'grand',
  title: 'GraNd',
  doc: 'the k of highest GraNd (last-layer gradient norm) early in training',
  citation: 'Paul et al. 2021',
  columns: [GRAND],
  options: {
    epoch: { kind: 'int', default: 0, min: 0, doc: 'the epoch whose gradient norms rank (0: the first)' },
  },
  keys: (ctx) => {
    refuseNaN(scoreOf(ctx, GRAND), () => missingField('grand', 'grand'));
    return rank(ctx);
  },
};
