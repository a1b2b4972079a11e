// Coverage-centric coreset selection (Zheng et al. 2023). Drop the hardest fraction beta of the pool by the wrapped
// score (hardest first, equal scores the smaller id first; when k exceeds what is left, fewer are dropped: exactly
// n - k), split the range of the remaining scores into `strata` equal-width strata, and spread the budget over the
// strata, smallest stratum first: each takes min(its size, floor(budget left / strata left)), which always places
// all k. Within a stratum the examples come in the seeded random order (hash of pruning.random_seed and id, as
// `random`). The kept set at size k is not a prefix of one ranking, so the method selects each k (select).
import { sortByKeys, sortKeys } from '../radix.ts';
import { rankTop } from '../rank.ts';
import { hardness, hardScoreNames } from './hardness.ts';
import { memo, optionsOf, type SelectionContext, type SelectionMethod } from './method.ts';
import { seededKeys } from './random.ts';

/** The pool indices CCS keeps at size k. */
function ccsSelect(ctx: SelectionContext, k: number): Uint32Array {
  const n = ctx.pool.ids.length;
  const opts = optionsOf(ctx, ccs);
  const name = String(opts.score);
  const seed = ctx.seed;
  const hard = memo(ctx, `ccs:hard:${name}`, () => hardness(ctx, 'ccs', name));
  // random's permutation (its keys shared with random when both are drawn), sorted once for every k
  const perm = memo(ctx, `permutation:${seed}`, () => sortByKeys(ctx.pool.byId, seededKeys(ctx, 'ccs')));
  const drop = Math.min(Math.floor(Number(opts.beta) * n), n - k);
  // the `drop` hardest, equal hardness by id (rankTop sorts only the prefix it needs)
  const hardKeys = memo(ctx, `ccs:keys:${name}`, () => sortKeys(hard, 'desc', (i) => `id "${ctx.pool.ids[i]}"`));
  const hardFirst = memo(ctx, `ccs:drop:${name}:${drop}`, () => rankTop(ctx.pool, hardKeys, drop));
  const dropped = new Uint8Array(n);
  for (let j = 0; j < drop; j++) dropped[hardFirst[j]!] = 1;
  const strata = Number(opts.strata);
  const stratum = new Uint32Array(n);
  const sizes = stratify(hard, dropped, strata, stratum);
  const quota = allocate(sizes, k);
  const out = new Uint32Array(k);
  let m = 0;
  for (let j = 0; j < n && m < k; j++) {
    const i = perm[j]!;
    if (dropped[i]) continue;
    const s = stratum[i]!;
    if (quota[s]! > 0) {
      quota[s]!--;
      out[m++] = i;
    }
  }
  return out;
}

/** Equal-width strata over the range of the kept values: stratum[i], and the size of each. */
function stratify(v: Float64Array, dropped: Uint8Array, strata: number, stratum: Uint32Array): number[] {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (dropped[i]) continue;
    if (v[i]! < min) min = v[i]!;
    if (v[i]! > max) max = v[i]!;
  }
  const sizes = new Array<number>(strata).fill(0);
  const width = (max - min) / strata;
  for (let i = 0; i < v.length; i++) {
    if (dropped[i]) continue;
    const s = width > 0 ? Math.min(strata - 1, Math.floor((v[i]! - min) / width)) : 0;
    stratum[i] = s;
    sizes[s]!++;
  }
  return sizes;
}

/**
 * The budget k over strata of these sizes, smallest stratum first (equal sizes: the lower stratum first), each
 * min(size, floor(left / strata left)). Sums to k whenever k <= the total: a stratum that takes less than its size
 * leaves budget/strata <= the sizes of the larger ones after it.
 */
export function allocate(sizes: number[], k: number): number[] {
  const order = sizes
    .map((size, s) => ({ size, s }))
    .filter((x) => x.size > 0)
    .sort((a, b) => a.size - b.size || a.s - b.s);
  const quota = new Array<number>(sizes.length).fill(0);
  let left = k;
  for (let j = 0; j < order.length; j++) {
    const { size, s } = order[j]!;
    const take = Math.min(size, Math.floor(left / (order.length - j)));
    quota[s] = take;
    left -= take;
  }
  return quota;
}

export const ccs: SelectionMethod<'ccs'> = {
  name: 'ccs',
  title: 'CCS',
  doc: 'coverage-centric: drop the hardest beta (fewer when k needs them), then k spread evenly over score strata (random within)',
  citation: 'Zheng et al. 2023',
  columns: [],
  seeded: true,
  options: {
    score: { kind: 'enum', default: 'aum', values: hardScoreNames, doc: 'the difficulty score it wraps' },
    beta: { kind: 'number', default: 0.1, min: 0, max: 1, doc: 'fraction of the hardest dropped first' },
    strata: { kind: 'int', default: 50, min: 1, doc: 'equal-width score strata' },
  },
  select: ccsSelect,
};
