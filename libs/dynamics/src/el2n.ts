// EL2N (Paul et al. 2021): || softmax(logits) - onehot(gold) ||_2 early in training, averaged over runs.
// The exact per-example value is computed from the logits by batchStats and kept in el2n.f32; for two
// classes it also follows from the gold probability alone, since then ||p - e_y||^2 = 2 (1 - p_y)^2.
import { type UseOptions, useRecords } from './records-shape.ts';

/**
 * Mean over the used runs of el2n[r][epoch][i]; `epoch` is 0-based (with train-forward records, epoch 0 holds
 * the values seen during the first epoch). runsUsed limits the runs; epochsUsed is ignored.
 */
export function el2nScore(
  el2n: Float32Array[][],
  epoch: number,
  opts: Pick<UseOptions, 'runsUsed'> = {},
): Float32Array {
  const { runs, R, n } = useRecords('el2nScore', el2n, {
    runsUsed: opts.runsUsed,
    epochsUsed: epochOk('el2nScore', el2n, epoch) + 1,
  });
  const sum = new Float64Array(n);
  for (const run of runs) {
    const a = run[epoch]!;
    for (let i = 0; i < n; i++) sum[i]! += a[i]!;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sum[i]! / R;
  return out;
}

/** EL2N of two-class records from the gold probability: sqrt(2) * (1 - p_gold), averaged over runs. */
export function el2nFromGoldProb(
  goldProb: Float32Array[][],
  numClasses: number,
  epoch: number,
  opts: Pick<UseOptions, 'runsUsed'> = {},
): Float32Array {
  if (numClasses !== 2) {
    throw new Error(
      `el2nFromGoldProb: ${numClasses} classes; EL2N follows from the gold probability only for 2 classes. Record ` +
        `el2n (pass batchStats(...).el2n to the EpochRecorder) and use el2nScore`,
    );
  }
  const { runs, R, n } = useRecords('el2nFromGoldProb', goldProb, {
    runsUsed: opts.runsUsed,
    epochsUsed: epochOk('el2nFromGoldProb', goldProb, epoch) + 1,
  });
  const sum = new Float64Array(n);
  for (const run of runs) {
    const p = run[epoch]!;
    for (let i = 0; i < n; i++) sum[i]! += Math.SQRT2 * (1 - p[i]!);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sum[i]! / R;
  return out;
}

function epochOk(what: string, a: ArrayLike<number>[][], epoch: number): number {
  const minE = Math.min(...a.map((r) => r.length));
  if (!Number.isInteger(epoch) || epoch < 0 || epoch >= minE)
    throw new Error(
      `${what}: epoch = ${epoch}; choose a 0-based epoch in 0..${minE - 1} (every used run must have it)`,
    );
  return epoch;
}
