// The first k of a seeded permutation: by hash(seed, id), so it depends only on the seed and the id set, and the
// subset of size k is contained in that of size k + 1.
import { permutationKeys } from '../random-subset.ts';
import type { SortKeys } from '../radix.ts';
import { memo, type SelectionContext, seedOf, type SelectionMethod } from './method.ts';

/** The permutation's keys for ctx.seed, once per context (random, ccs and semdedup share them; do not modify). */
export function seededKeys(ctx: SelectionContext, method: string): SortKeys {
  const seed = seedOf(ctx, method);
  return memo(ctx, `permutation-keys:${seed}`, () => permutationKeys(ctx.pool.ids, seed));
}

export const random: SelectionMethod<'random'> = {
  name: 'random',
  title: 'random',
  doc: 'the first k of a seeded permutation',
  citation: '',
  columns: [],
  seeded: true,
  labelFree: true,
  keys: (ctx) => seededKeys(ctx, 'random'),
};
