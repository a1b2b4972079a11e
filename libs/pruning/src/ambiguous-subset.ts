// Score-ranked baselines: the ambiguous subset of dataset cartography keeps the k most variable examples.
import { idPool } from './id-pool.ts';
import { rankIndices } from './rank.ts';

/** The k ids with the highest ('desc') or lowest ('asc') score, in rank order; ties broken by id (ascending). */
export function topK(ids: string[], score: ArrayLike<number>, k: number, order: 'desc' | 'asc'): string[] {
  if (ids.length !== score.length)
    throw new Error(`topK: ${ids.length} ids but ${score.length} scores; pass one score per id`);
  if (!Number.isInteger(k) || k < 0 || k > ids.length)
    throw new Error(`topK: k = ${k} is out of range; choose an integer in 0..${ids.length}`);
  let ranking: Uint32Array;
  try {
    ranking = rankIndices(idPool(ids), score, order);
  } catch (e) {
    throw new Error(`topK: ${(e as Error).message.replace(/^(idPool|rankIndices): /, '')}`);
  }
  return Array.from(ranking.subarray(0, k), (i) => ids[i]!);
}

/** Swayamdipta et al. 2020: the k examples of highest variability (std of the gold-label probability). */
export function ambiguousSubset(ids: string[], variability: ArrayLike<number>, k: number): string[] {
  return topK(ids, variability, k, 'desc');
}
