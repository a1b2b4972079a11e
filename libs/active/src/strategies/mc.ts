// What T seeded dropout passes say (Gal et al. 2017): the mean distribution and each pass's entropy; shared by the
// two MC-dropout strategies (mc-entropy.ts, bald.ts).
import { need, rowEntropy, type Outputs } from '../strategy.ts';

/** Per example: H(mean_t p_t) and mean_t H(p_t). */
export function mcEntropies(out: Outputs, who: string): { total: Float64Array; expected: Float64Array } {
  const passes = need(out.mc, who, 'MC dropout passes (al.mc_passes)');
  if (!passes.length) throw new Error(`strategy ${who}: no MC dropout passes`);
  const { n, numClasses: C } = out;
  const mean = new Float64Array(n * C);
  const expected = new Float64Array(n);
  for (const p of passes) {
    for (let j = 0; j < n * C; j++) mean[j]! += p[j]! / passes.length;
    for (let i = 0; i < n; i++) expected[i]! += rowEntropy(p, i, C) / passes.length;
  }
  const total = new Float64Array(n);
  for (let i = 0; i < n; i++) total[i] = rowEntropy(mean, i, C);
  return { total, expected };
}
