import { mulberry32, shuffleInPlace } from '@prunelab/core';

/**
 * `n` items chosen by a seeded shuffle, returned in their original (file) order so a subset reads
 * like the file it came from. n >= items.length (or Infinity) keeps everything.
 */
export function subsample<T>(items: readonly T[], n: number, seed: number): T[] {
  if (!(n >= 0)) throw new Error(`subsample size must be a non-negative number, got ${n}`);
  if (n >= items.length) return items.slice();
  const order = shuffleInPlace(Array.from(items.keys()), mulberry32(seed));
  const chosen = order.slice(0, n).sort((a, b) => a - b);
  return chosen.map((i) => items[i] as T);
}

/**
 * A seeded split of one pool into (train, heldOut) with `heldOutFraction` of the items held out, both
 * in file order. For tasks published as a single pool (SentEval's MR, CR, SUBJ, MPQA).
 */
export function holdoutSplit<T>(
  items: readonly T[],
  heldOutFraction: number,
  seed: number,
): { train: T[]; heldOut: T[] } {
  if (!(heldOutFraction > 0 && heldOutFraction < 1))
    throw new Error(`heldOutFraction must be between 0 and 1, got ${heldOutFraction}`);
  const nHeld = Math.round(items.length * heldOutFraction);
  const held = new Set(shuffleInPlace(Array.from(items.keys()), mulberry32(seed)).slice(0, nHeld));
  const train: T[] = [];
  const heldOut: T[] = [];
  items.forEach((x, i) => (held.has(i) ? heldOut : train).push(x));
  return { train, heldOut };
}
