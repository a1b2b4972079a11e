// D2 pruning (Maharana et al. 2024): difficulty passed over a k-NN graph of the example embeddings, then greedy
// selection with reverse message passing.
//   graph:    each example's `neighbours` nearest by cosine distance d = 1 - cos of the last-epoch embeddings (of the
//             first used run); exact up to 5,000 examples, an inverted file above (knn.ts)
//   features: the difficulty score `score` (default forgetting, a score the paper uses), oriented so hard = high
//             and scaled to 0..1 by its min and max (so gamma means the same for every score)
//   forward:  s_i = x_i + sum over neighbours j of exp(-gamma_f d_ij) x_j
//   greedy:   pick the highest s (equal s: the smaller id), then each not-yet-picked neighbour j of the pick i
//             loses exp(-gamma_r d_ij) s_i (reverse message passing); repeat.
// The greedy order does not depend on k, so the picks at size k are the first k of one ranking (keys).
import { idRanks } from '../id-pool.ts';
import { type KnnGraph, knnGraph } from '../knn.ts';
import { needEmbedding } from './fields.ts';
import { hardness, hardScoreNames } from './hardness.ts';
import { memo, optionsOf, type ScoreColumn, type SelectionContext, type SelectionMethod } from './method.ts';

/** The graph the options ask for (once per context). */
function graphOf(ctx: SelectionContext): KnnGraph {
  const o = optionsOf(ctx, d2);
  const e = needEmbedding(ctx, 'd2');
  return memo(ctx, `knn:${o.neighbours}:${o.probe}`, () =>
    knnGraph(e.unit, e.n, e.dim, {
      k: Number(o.neighbours),
      rank: idRanks(ctx.pool),
      byId: ctx.pool.byId,
      seed: 0, // the inverted file's k-means: fixed, so d2 does not depend on pruning.random_seed
      probe: Number(o.probe),
      exactUpTo: 5000,
    }),
  );
}

/** Forward message passing of the scaled difficulty. */
function passed(ctx: SelectionContext): Float64Array {
  return memo(ctx, 'd2:passed', () => {
    const o = optionsOf(ctx, d2);
    const x = hardness(ctx, 'd2', String(o.score));
    let min = Infinity;
    let max = -Infinity;
    for (const v of x) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    const scale = max > min ? 1 / (max - min) : 0;
    for (let i = 0; i < x.length; i++) x[i] = max > min ? (x[i]! - min) * scale : 1;
    const g = graphOf(ctx);
    const gf = Number(o.gamma_f);
    const s = new Float64Array(x.length);
    for (let i = 0; i < x.length; i++) {
      let v = x[i]!;
      for (let p = i * g.k; p < i * g.k + g.k; p++) {
        const j = g.neighbours[p]!;
        if (j >= 0) v += Math.exp(-gf * g.dist[p]!) * x[j]!;
      }
      s[i] = v;
    }
    return s;
  });
}

/** Every pool index in greedy pick order. */
export function d2Order(ctx: SelectionContext): Uint32Array {
  return memo(ctx, 'd2:order', () => {
    const s = Float64Array.from(passed(ctx));
    const g = graphOf(ctx);
    const gr = Number(optionsOf(ctx, d2).gamma_r);
    const rank = idRanks(ctx.pool);
    const n = s.length;
    const heap = new MaxHeap(n * (g.k + 1) + 1, rank);
    for (let i = 0; i < n; i++) heap.push(i, s[i]!);
    const picked = new Uint8Array(n);
    const order = new Uint32Array(n);
    let m = 0;
    while (m < n) {
      const [i, v] = heap.pop();
      if (picked[i] || v !== s[i]) continue; // stale: a newer entry with its lowered score is in the heap
      picked[i] = 1;
      order[m++] = i;
      for (let p = i * g.k; p < i * g.k + g.k; p++) {
        const j = g.neighbours[p]!;
        if (j < 0 || picked[j]) continue;
        s[j] = s[j]! - Math.exp(-gr * g.dist[p]!) * s[i]!;
        heap.push(j, s[j]!);
      }
    }
    return order;
  });
}

/** A binary max-heap of (value, index); equal values: the smaller id rank first. */
class MaxHeap {
  private readonly idx: Int32Array;
  private readonly val: Float64Array;
  private size = 0;
  constructor(
    capacity: number,
    private readonly rank: Uint32Array,
  ) {
    this.idx = new Int32Array(capacity);
    this.val = new Float64Array(capacity);
  }
  private above(a: number, b: number): boolean {
    const va = this.val[a]!;
    const vb = this.val[b]!;
    return va > vb || (va === vb && this.rank[this.idx[a]!]! < this.rank[this.idx[b]!]!);
  }
  private swap(a: number, b: number): void {
    const i = this.idx[a]!;
    this.idx[a] = this.idx[b]!;
    this.idx[b] = i;
    const v = this.val[a]!;
    this.val[a] = this.val[b]!;
    this.val[b] = v;
  }
  push(i: number, v: number): void {
    let p = this.size++;
    this.idx[p] = i;
    this.val[p] = v;
    while (p > 0) {
      const up = (p - 1) >> 1;
      if (!this.above(p, up)) break;
      this.swap(p, up);
      p = up;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.idx[0]!, this.val[0]!];
    this.size--;
    this.idx[0] = this.idx[this.size]!;
    this.val[0] = this.val[this.size]!;
    let p = 0;
    for (;;) {
      const l = 2 * p + 1;
      const r = l + 1;
      let best = p;
      if (l < this.size && this.above(l, best)) best = l;
      if (r < this.size && this.above(r, best)) best = r;
      if (best === p) break;
      this.swap(p, best);
      p = best;
    }
    return top;
  }
}

const D2: ScoreColumn = {
  name: 'd2',
  doc: 'D2 difficulty after forward message passing over the k-NN graph (NaN: no embeddings or d2 not in the grid)',
  digits: 5,
  costly: true,
  compute: (_rec, ctx) => {
    if (!ctx.records?.runs[0]?.embedding) return new Float32Array(ctx.pool.ids.length).fill(NaN);
    return Float32Array.from(passed(ctx));
  },
};

export const d2: SelectionMethod<'d2'> = {
  name: 'd2',
  title: 'D2',
  doc: 'difficulty message-passed over a k-NN graph of embeddings, greedy picks down-weighting neighbours',
  citation: 'Maharana et al. 2024',
  columns: [D2],
  options: {
    score: { kind: 'enum', default: 'forgetting', values: hardScoreNames, doc: 'the difficulty passed over the graph' },
    neighbours: { kind: 'int', default: 10, min: 1, doc: 'k of the k-NN graph' },
    gamma_f: { kind: 'number', default: 1, min: 0, doc: 'forward passing: weight exp(-gamma_f d)' },
    gamma_r: {
      kind: 'number',
      default: 1,
      min: 0,
      doc: 'reverse passing: a pick lowers neighbours by exp(-gamma_r d) s',
    },
    probe: { kind: 'int', default: 4, min: 1, doc: 'above 5,000 examples: inverted-file cells searched per example' },
  },
  keys: (ctx) => {
    const order = d2Order(ctx);
    const lo = new Uint32Array(order.length);
    for (let j = 0; j < order.length; j++) lo[order[j]!] = j;
    return { lo };
  },
};
