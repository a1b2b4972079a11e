// The first k of a seeded permutation: by hash(seed, id), so it depends only on the seed and the id set, and the
// subset of size k is contained in that of size k + 1.
import { permutationKeys } from '../random-subset.ts';
import { seedOf, type SelectionMethod } from './method.ts';

export const random: SelectionMethod<'random'> = {
  name: 'random',
  title: 'random',
  doc: 'the first k of a seeded permutation',
  citation: '',
  columns: [],
  seeded: true,
  keys: (ctx) => permutationKeys(ctx.pool.ids, seedOf(ctx, 'random')),
};
