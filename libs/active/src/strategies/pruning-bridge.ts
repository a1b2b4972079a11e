// Label-free pruning methods as query strategies: a method of libs/pruning's table flagged labelFree ranks examples
// without reading a label, so its kept set of size k over the unlabelled pool is a query. Its options are the
// pruning method's own (al.strategy_options.<name>); the embeddings are the current model's on the pool.
import { idPool, SELECTION_METHODS, selectIndices, selectionContext, type SelectionMethod } from '@prunelab/pruning';
import type { Strategy } from '../strategy.ts';

export function fromPruning(m: SelectionMethod): Strategy {
  return {
    name: m.name,
    title: `${m.title} (pruning)`,
    doc: `libs/pruning's ${m.name} kept set of size k over the pool: ${m.doc}`,
    citation: m.citation,
    needs: { embedding: true },
    ...(m.options && { options: m.options }),
    select: ({ pool, k, seed, options }) => {
      const e = pool.out.embedding;
      const ctx = selectionContext({
        pool: idPool(pool.ids),
        seed,
        options: { [m.name]: options },
        ...(e && { embedding: { dim: e.dim, data: e.data } }),
      });
      return selectIndices(ctx, m, k);
    },
  };
}

/** Every label-free pruning method whose name no strategy of ours has. */
export const pruningStrategies = (taken: readonly string[]): Strategy[] =>
  SELECTION_METHODS.filter((m) => m.labelFree && !taken.includes(m.name)).map(fromPruning);
