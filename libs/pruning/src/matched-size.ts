// The k a baseline must match: the size of a named H-score subset, a fraction of the set, or a given size.
import { hSubsetSize, parseSubsetName } from './hscore-subsets.ts';

export type SizeSpec =
  | { size: number }
  /** k = round(fraction * n), halves rounded up */
  | { fraction: number }
  /** k = the size of the H-score subset `name` ('06', '0126', ...) for these H-scores of R runs */
  | { hSubset: string; histogram: number[] };

export function matchedK(n: number, spec: SizeSpec): number {
  let k: number;
  if ('size' in spec) k = spec.size;
  else if ('fraction' in spec) {
    if (!(spec.fraction >= 0 && spec.fraction <= 1))
      throw new Error(`matchedK: fraction = ${spec.fraction}; choose a number in [0, 1]`);
    k = Math.round(spec.fraction * n);
  } else {
    const R = spec.histogram.length - 1;
    const total = spec.histogram.reduce((a, b) => a + b, 0);
    if (total !== n)
      throw new Error(
        `matchedK: the H histogram counts ${total} examples but the set has ${n}; pass hHistogram of the same records`,
      );
    k = hSubsetSize(spec.histogram, parseSubsetName(spec.hSubset, R));
  }
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new Error(`matchedK: k = ${k} is out of range; choose a size in 0..${n}`);
  return k;
}
