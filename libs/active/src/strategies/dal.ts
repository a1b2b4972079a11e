// Discriminative active learning (Gissin & Shalev-Shwartz 2019): a classifier learns to tell the labelled set (0)
// from the pool (1) in the model's embedding space; the examples it is surest are unlabelled are the ones least
// like what has been labelled. Here the discriminator is a logistic regression on the unit-length embeddings, the
// two classes weighted equally, fitted by plain gradient descent from zero (no seed needed); with `rounds` > 1 the
// query is split and the discriminator refitted after each part, the chosen ones moved to the labelled side (the
// paper's sub-batches).
import { normalizeRows } from '@prunelab/pruning';
import { checkK, idOrder, need, type Strategy } from '../strategy.ts';

/** Weights [d + 1] (bias last) of a class-balanced logistic regression of `y` on the rows of x. */
export function fitLogistic(x: Float64Array, y: Uint8Array, d: number, steps: number, lr: number): Float64Array {
  const n = y.length;
  let pos = 0;
  for (let i = 0; i < n; i++) pos += y[i]!;
  const wPos = pos ? 0.5 / pos : 0;
  const wNeg = n - pos ? 0.5 / (n - pos) : 0;
  const w = new Float64Array(d + 1);
  const g = new Float64Array(d + 1);
  for (let s = 0; s < steps; s++) {
    g.fill(0);
    for (let i = 0; i < n; i++) {
      let z = w[d]!;
      for (let j = 0; j < d; j++) z += w[j]! * x[i * d + j]!;
      const err = (1 / (1 + Math.exp(-z)) - y[i]!) * (y[i] ? wPos : wNeg);
      for (let j = 0; j < d; j++) g[j]! += err * x[i * d + j]!;
      g[d]! += err;
    }
    for (let j = 0; j <= d; j++) w[j]! -= lr * g[j]!;
  }
  return w;
}

export const dal: Strategy = {
  name: 'dal',
  title: 'DAL',
  doc: 'the highest P(unlabelled | embedding) of a labelled-vs-pool logistic regression, refitted `rounds` times',
  citation: 'Gissin & Shalev-Shwartz 2019',
  needs: { embedding: true, labelled: true },
  options: {
    rounds: { kind: 'int', default: 1, min: 1, doc: 'parts the query is split into, refitting between them' },
    steps: { kind: 'int', default: 300, min: 1, doc: 'gradient steps of each fit' },
    lr: { kind: 'number', default: 2, above: 0, doc: 'learning rate of the fit (unit-length inputs, balanced loss)' },
  },
  select: ({ pool, labelled, k, options }) => {
    checkK('dal', k, pool.ids.length);
    const e = need(pool.out.embedding, 'dal', 'pool embeddings');
    const l = need(labelled.out.embedding, 'dal', 'labelled embeddings');
    const d = e.dim;
    const n = pool.out.n;
    const m = labelled.out.n;
    const x = new Float64Array((n + m) * d);
    x.set(normalizeRows(e.data, n, d));
    x.set(normalizeRows(l.data, m, d), n * d);
    const y = new Uint8Array(n + m);
    y.fill(1, 0, n);
    const rounds = Math.min(Number(options.rounds ?? 1), k);
    const order = idOrder(pool.ids);
    const chosen: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const w = fitLogistic(x, y, d, Number(options.steps ?? 300), Number(options.lr ?? 2));
      const want = Math.floor((k * (r + 1)) / rounds) - chosen.length;
      const score = (i: number) => {
        let z = w[d]!;
        for (let j = 0; j < d; j++) z += w[j]! * x[i * d + j]!;
        return z; // monotone in P(pool)
      };
      const free = Array.from(order).filter((i) => y[i] === 1);
      const s = new Map(free.map((i) => [i, score(i)]));
      free.sort((a, b) => s.get(b)! - s.get(a)!); // stable: equal scores keep id order
      for (const i of free.slice(0, want)) {
        chosen.push(i);
        y[i] = 0; // now on the labelled side
      }
    }
    return Uint32Array.from(chosen);
  },
};
