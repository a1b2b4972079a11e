// Area under the margin (Pleiss et al. 2020): the mean over training of the margin
// logit[assigned label] - max logit of the other classes. batchStats records exactly that margin (for QA, the
// smaller of the start and end margins), so AUM is the mean of the recorded margins over epochs, here also
// averaged over runs. Low (negative) AUM flags examples the model keeps assigning to another class.
import { type UseOptions, useRecords } from './records-shape.ts';

/** AUM(i) = mean over the used runs r and epochs e of margin[r][e][i]. */
export function aum(margin: Float32Array[][], opts: UseOptions = {}): Float32Array {
  const { runs, R, E, n } = useRecords('aum', margin, opts);
  const T = R * E;
  const flat = runs.flat();
  const out = new Float32Array(n);
  const B = 4096; // blocks of examples: the float64 sums stay in L1 cache
  const sum = new Float64Array(B);
  for (let i0 = 0; i0 < n; i0 += B) {
    const m = Math.min(B, n - i0);
    sum.fill(0);
    for (const a of flat) {
      const v = a.subarray(i0, i0 + m);
      for (let j = 0; j < m; j++) sum[j]! += v[j]!;
    }
    for (let j = 0; j < m; j++) out[i0 + j] = sum[j]! / T;
  }
  return out;
}
