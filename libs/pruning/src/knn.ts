// The k-nearest-neighbour graph of unit rows under cosine distance (1 - cosine similarity), for D2 pruning.
// Exact (every pair) up to `exactUpTo` rows; above, an inverted file: spherical k-means cells, and each row
// searches the rows of its `probe` most similar cells only. The cost is counted in multiply-adds of `dim`-long
// dot products: exact n^2 dim (100k x 384: 3.8e12, half an hour in JS); inverted file n (cells + probe n / cells)
// dim plus the k-means, with cells = sqrt(probe n) (100k x 384, probe 4: about 5e10, tens of seconds). Its recall
// (the share of the exact neighbours found) is measured by `npm run bench:pruning`.
import { dotsWith, kMeans } from './vectors.ts';

export interface KnnGraph {
  k: number;
  /** [n, k]: the neighbours of row i, nearest first (ties: the smaller id rank); -1 where fewer than k exist */
  neighbours: Int32Array;
  /** [n, k]: their cosine distances */
  dist: Float32Array;
  /** 'exact' or 'ivf' */
  how: 'exact' | 'ivf';
}

export interface KnnOptions {
  k: number;
  /** rank[i] = the position of row i in id order: ties and sampling follow ids, not the input order */
  rank: Uint32Array;
  /** the pool's byId (rows in id order) */
  byId: Uint32Array;
  seed: number;
  /** inverted file: cells searched per row */
  probe: number;
  /** up to this many rows the graph is exact */
  exactUpTo: number;
}

export function knnGraph(unit: Float32Array, n: number, dim: number, o: KnnOptions): KnnGraph {
  const neighbours = new Int32Array(n * o.k).fill(-1);
  const dist = new Float32Array(n * o.k).fill(Infinity);
  const sims = new Float32Array(n);
  const top = new TopK(o.k, o.rank);
  if (n <= o.exactUpTo) {
    const all = new Uint32Array(n);
    for (let i = 0; i < n; i++) all[i] = i;
    for (let i = 0; i < n; i++) {
      dotsWith(unit, i, unit, all, n, dim, sims);
      top.reset();
      for (let j = 0; j < n; j++) if (j !== i) top.offer(j, 1 - sims[j]!);
      top.write(i, neighbours, dist);
    }
    return { k: o.k, neighbours, dist, how: 'exact' };
  }
  const cells = Math.max(1, Math.min(n, Math.round(Math.sqrt(o.probe * n))));
  const km = kMeans(unit, n, dim, {
    clusters: cells,
    iterations: 5,
    seed: o.seed,
    order: o.byId,
    sample: 16 * cells,
    assign: false,
  });
  const allCells = new Uint32Array(km.clusters);
  for (let q = 0; q < km.clusters; q++) allCells[q] = q;
  const cellSims = new Float32Array(km.clusters);
  const probe = Math.min(o.probe, km.clusters);
  // each row's `probe` most similar cells, the first its own: one pass of row x centroid dot products
  const probes = new Uint32Array(n * probe);
  for (let i = 0; i < n; i++) {
    dotsWith(unit, i, km.centroids, allCells, km.clusters, dim, cellSims);
    probes.set(bestCells(cellSims, probe), i * probe);
    km.assign[i] = probes[i * probe]!;
  }
  // the rows of each cell, contiguous
  const start = new Uint32Array(km.clusters + 1);
  for (let i = 0; i < n; i++) start[km.assign[i]! + 1]!++;
  for (let q = 0; q < km.clusters; q++) start[q + 1]! += start[q]!;
  const members = new Uint32Array(n);
  const fill = start.slice(0, km.clusters);
  for (let i = 0; i < n; i++) members[fill[km.assign[i]!]!++] = i;
  const cand = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    let m = 0;
    for (const q of probes.subarray(i * probe, i * probe + probe)) {
      cand.set(members.subarray(start[q]!, start[q + 1]!), m);
      m += start[q + 1]! - start[q]!;
    }
    dotsWith(unit, i, unit, cand, m, dim, sims);
    top.reset();
    for (let j = 0; j < m; j++) if (cand[j] !== i) top.offer(cand[j]!, 1 - sims[j]!);
    top.write(i, neighbours, dist);
  }
  return { k: o.k, neighbours, dist, how: 'ivf' };
}

/** The indices of the `p` largest values (ties: the lower index). */
function bestCells(v: Float32Array, p: number): number[] {
  const out: number[] = [];
  const taken = new Uint8Array(v.length);
  for (let r = 0; r < p; r++) {
    let best = -1;
    for (let q = 0; q < v.length; q++) if (!taken[q] && (best < 0 || v[q]! > v[best]!)) best = q;
    taken[best] = 1;
    out.push(best);
  }
  return out;
}

/** The k smallest (distance, id rank) pairs offered, kept sorted by insertion (k is small). */
class TopK {
  private readonly idx: Int32Array;
  private readonly d: Float32Array;
  private m = 0;
  constructor(
    private readonly k: number,
    private readonly rank: Uint32Array,
  ) {
    this.idx = new Int32Array(k);
    this.d = new Float32Array(k);
  }
  reset(): void {
    this.m = 0;
  }
  private before(d: number, j: number, p: number): boolean {
    const dp = this.d[p]!;
    return d < dp || (d === dp && this.rank[j]! < this.rank[this.idx[p]!]!);
  }
  offer(j: number, d: number): void {
    const k = this.k;
    if (k === 0) return;
    if (this.m === k && !this.before(d, j, k - 1)) return;
    let p = this.m < k ? this.m++ : k - 1;
    while (p > 0 && this.before(d, j, p - 1)) {
      this.d[p] = this.d[p - 1]!;
      this.idx[p] = this.idx[p - 1]!;
      p--;
    }
    this.d[p] = d;
    this.idx[p] = j;
  }
  write(i: number, neighbours: Int32Array, dist: Float32Array): void {
    for (let p = 0; p < this.m; p++) {
      neighbours[i * this.k + p] = this.idx[p]!;
      dist[i * this.k + p] = this.d[p]!;
    }
  }
}
