// Area under the margin (Pleiss et al. 2020): the mean over training of the margin
// logit[assigned label] - max logit of the other classes. batchStats records exactly that margin (for QA, the
// smaller of the start and end margins), so AUM is the mean of the recorded margins over epochs, here also
// averaged over runs. Low (negative) AUM flags examples the model keeps assigning to another class.
import { type UseOptions, useRecords } from './records-shape.ts';

/** AUM(i) = mean over the used runs r and epochs e of margin[r][e][i]. */
export function aum(margin: Float32Array[][], opts: UseOptions = {}): Float32Array {
  const { runs, R, E, n } = useRecords('aum', margin, opts);
  const sum = new Float64Array(n);
  for (const run of runs) for (const m of run) for (let i = 0; i < n; i++) sum[i]! += m[i]!;
  const out = new Float32Array(n);
  const T = R * E;
  for (let i = 0; i < n; i++) out[i] = sum[i]! / T;
  return out;
}
