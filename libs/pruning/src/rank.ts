// Ranking examples by a score, ties broken by id, and taking the top k overall or per class.
import type { IdPool } from './id-pool.ts';
import { sortByKeys, sortKeys } from './radix.ts';

export type Order = 'desc' | 'asc';

/** All indices of the pool, best first: by score ('desc': highest first), equal scores by ascending id. */
export function rankIndices(pool: IdPool, score: ArrayLike<number>, order: Order): Uint32Array {
  if (score.length !== pool.ids.length) throw new Error(`rankIndices: ${pool.ids.length} ids but ${score.length} scores; pass one score per id`);
  return sortByKeys(pool.byId, sortKeys(score, order, (i) => `id "${pool.ids[i]}"`));
}

export function checkK(what: string, k: number, n: number): void {
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`${what}: k = ${k} is out of range; choose an integer in 0..${n} (the number of ids)`);
}

/** The first k of rankIndices. */
export function topKIndices(pool: IdPool, score: ArrayLike<number>, k: number, order: Order): Uint32Array {
  checkK('topKIndices', k, pool.ids.length);
  return rankIndices(pool, score, order).slice(0, k);
}

/**
 * How many of k examples each class gets when k is split in proportion to the class sizes: class c gets
 * floor(k * n_c / n), and the examples left over go one each to the classes with the largest remainders
 * (k * n_c mod n), equal remainders to the lower class index first. Deterministic, sums to k, and never
 * exceeds a class's size.
 */
export function classQuotas(classCounts: number[], k: number): number[] {
  const n = classCounts.reduce((a, b) => a + b, 0);
  checkK('classQuotas', k, n);
  if (n === 0) return classCounts.map(() => 0);
  const quota = classCounts.map((c) => Math.floor((k * c) / n));
  let left = k - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classCounts.map((c, i) => ({ i, r: (k * c) % n })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    quota[i]!++;
    left--;
  }
  return quota;
}

/** classes[i] = class index (0, 1, ...) of example i; returns the number of examples of each class. */
export function classCounts(classes: ArrayLike<number>): number[] {
  const counts: number[] = [];
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i]!;
    if (!Number.isInteger(c) || c < 0) throw new Error(`classCounts: class of example ${i} is ${c}; pass class indices (integers >= 0)`);
    while (counts.length <= c) counts.push(0);
    counts[c]!++;
  }
  return counts;
}

/** The first k of a ranking taken class by class: each class contributes its quota (classQuotas), in rank order. */
export function balancedTake(ranking: Uint32Array, classes: ArrayLike<number>, k: number): Uint32Array {
  if (classes.length !== ranking.length) throw new Error(`balancedTake: ${ranking.length} ranked examples but ${classes.length} classes; pass one class per example`);
  const left = classQuotas(classCounts(classes), k);
  const out = new Uint32Array(k);
  let m = 0;
  for (let j = 0; j < ranking.length && m < k; j++) {
    const i = ranking[j]!;
    const c = classes[i]!;
    if (left[c]! > 0) { left[c]!--; out[m++] = i; }
  }
  return out;
}
