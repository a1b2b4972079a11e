import { mulberry32, shuffleInPlace } from './rng.ts';

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
