// Core-set (Sener & Savarese 2018), the greedy k-centre: repeatedly the pool example farthest (Euclidean, in the
// classifier's input space) from its nearest labelled or already chosen example.
import { checkK, dist2, idOrder, need, type Strategy } from '../strategy.ts';

export const coreset: Strategy = {
  name: 'coreset',
  title: 'core-set',
  doc: 'greedy k-centre: k times the pool example farthest from its nearest labelled or chosen one (embeddings)',
  citation: 'Sener & Savarese 2018',
  needs: { embedding: true, labelled: true },
  select: ({ pool, labelled, k }) => {
    checkK('coreset', k, pool.ids.length);
    const e = need(pool.out.embedding, 'coreset', 'pool embeddings');
    const l = need(labelled.out.embedding, 'coreset', 'labelled embeddings');
    const n = pool.out.n;
    const near = new Float64Array(n).fill(Infinity);
    for (let i = 0; i < n; i++)
      for (let j = 0; j < labelled.out.n; j++) near[i] = Math.min(near[i]!, dist2(e.data, i, l.data, j, e.dim));
    const order = idOrder(pool.ids); // scanning in id order keeps the smaller id on ties
    const chosen = new Uint32Array(k);
    const taken = new Uint8Array(n);
    for (let t = 0; t < k; t++) {
      let best = -1;
      for (const i of order) if (!taken[i] && (best < 0 || near[i]! > near[best]!)) best = i;
      chosen[t] = best;
      taken[best] = 1;
      for (let i = 0; i < n; i++) if (!taken[i]) near[i] = Math.min(near[i]!, dist2(e.data, i, e.data, best, e.dim));
    }
    return chosen;
  },
};
