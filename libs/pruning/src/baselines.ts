// Baselines of matched size k (method.md section 3): every one keeps exactly k examples, chosen by a score
// ranking with ties broken by id (random: by a seeded hash of the id), overall or class-balanced.
import type { IdPool } from './id-pool.ts';
import { permutationKeys } from './random-subset.ts';
import { balancedTake, checkK, type Order, rankTop } from './rank.ts';
import { sortByKeys, type SortKeys, sortKeys } from './radix.ts';

export const BASELINES = ['random', 'ambiguous', 'forgetting', 'el2n', 'easy', 'hard'] as const;
export type BaselineMethod = (typeof BASELINES)[number];

/** Per-example scores in pool order, from @prunelab/dynamics (cartography, forgetting, el2nScore). */
export interface BaselineScores {
  /** cartography variability: ambiguous keeps the highest */
  variability?: ArrayLike<number>;
  /** cartography confidence: easy keeps the highest, hard the lowest */
  confidence?: ArrayLike<number>;
  /** forgetting(...).score: forgetting keeps the most forgotten (never-learned first) */
  forgetting?: ArrayLike<number>;
  /** el2nScore(...): el2n keeps the highest */
  el2n?: ArrayLike<number>;
}

export interface BaselineOptions {
  /** random: the permutation seed (required for 'random') */
  seed?: number;
  /** class index per example in pool order: when given, k is split over the classes in proportion to their sizes */
  classes?: ArrayLike<number>;
}

/**
 * Which score each baseline ranks by, and in which direction. Easy and hard are the low-variability corners of
 * the data map (Swayamdipta et al. 2020): easy = highest confidence, hard = lowest confidence; since
 * variability <= sqrt(confidence (1 - confidence)), both extremes have low variability by construction.
 */
export const BASELINE_RULES: Record<Exclude<BaselineMethod, 'random'>, { score: keyof BaselineScores; order: Order }> = {
  ambiguous: { score: 'variability', order: 'desc' },
  forgetting: { score: 'forgetting', order: 'desc' },
  el2n: { score: 'el2n', order: 'desc' },
  easy: { score: 'confidence', order: 'desc' },
  hard: { score: 'confidence', order: 'asc' },
};

/** Every pool index in the order of the seeded permutation: by hash(seed, id), equal hashes by id. */
export function permutationIndices(pool: IdPool, seed: number): Uint32Array {
  if (!Number.isSafeInteger(seed)) throw new Error(`permutationIndices: seed = ${seed}; use an integer seed`);
  return sortByKeys(pool.byId, permutationKeys(pool.ids, seed));
}

/** The sort keys a baseline ranks by (ascending key = better). */
export function baselineKeys(pool: IdPool, method: BaselineMethod, scores: BaselineScores, opts: BaselineOptions = {}): SortKeys {
  if (method === 'random') {
    if (opts.seed === undefined) throw new Error('baseline random: no seed given; pass opts.seed (e.g. pruning.random_seed)');
    if (!Number.isSafeInteger(opts.seed)) throw new Error(`baseline random: seed = ${opts.seed}; use an integer seed`);
    return permutationKeys(pool.ids, opts.seed);
  }
  const rule = BASELINE_RULES[method];
  if (!rule) throw new Error(`baseline "${String(method)}" is unknown; choose one of ${BASELINES.join(', ')}`);
  const s = scores[rule.score];
  if (!s) throw new Error(`baseline ${method}: needs scores.${rule.score}; compute it from the phase-1 records with @prunelab/dynamics`);
  if (s.length !== pool.ids.length) throw new Error(`baseline ${method}: ${pool.ids.length} ids but ${s.length} values in scores.${rule.score}; pass one score per id`);
  return sortKeys(s, rule.order, (i) => `id "${pool.ids[i]}"`);
}

/** The full ranking a baseline takes its k from (best first). */
export function baselineRanking(pool: IdPool, method: BaselineMethod, scores: BaselineScores, opts: BaselineOptions = {}): Uint32Array {
  return sortByKeys(pool.byId, baselineKeys(pool, method, scores, opts));
}

/**
 * A prefix of baselineRanking long enough for takeK(prefix, k) and, when opts.classes is given, for
 * takeK(prefix, k, opts.classes) too: one call serves the plain and the class-balanced baseline.
 */
export function baselineTop(pool: IdPool, method: BaselineMethod, k: number, scores: BaselineScores, opts: BaselineOptions = {}): Uint32Array {
  checkK(`baseline ${method}`, k, pool.ids.length);
  return rankTop(pool, baselineKeys(pool, method, scores, opts), k, opts.classes);
}

/** Exactly k pool indices, best first; class-balanced when opts.classes is given. */
export function baselineIndices(pool: IdPool, method: BaselineMethod, k: number, scores: BaselineScores, opts: BaselineOptions = {}): Uint32Array {
  return takeK(baselineTop(pool, method, k, scores, opts), k, opts.classes);
}

/** The k best of a ranking (from baselineRanking), class-balanced when classes are given: one ranking, many k. */
export function takeK(ranking: Uint32Array, k: number, classes?: ArrayLike<number>): Uint32Array {
  if (!classes) checkK('takeK', k, ranking.length);
  return classes ? balancedTake(ranking, classes, k) : ranking.slice(0, k);
}

/** baselineIndices as ids. */
export function baselineSubset(pool: IdPool, method: BaselineMethod, k: number, scores: BaselineScores, opts: BaselineOptions = {}): string[] {
  return idsAt(pool, baselineIndices(pool, method, k, scores, opts));
}

export function idsAt(pool: IdPool, indices: ArrayLike<number>): string[] {
  const out = new Array<string>(indices.length);
  for (let j = 0; j < indices.length; j++) out[j] = pool.ids[indices[j]!]!;
  return out;
}
