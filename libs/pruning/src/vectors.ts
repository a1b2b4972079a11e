// Dense vectors for the embedding methods (d2, moderate, semdedup): row-major Float32Array [n, dim]. Plain loops
// over typed arrays; the dot kernel takes four rows at once so each loaded query value is used four times
// (about 2e9 multiply-adds per second on one core, which is what the k-NN graph and k-means cost is counted in).
import { mulberry32 } from '@prunelab/core';

/** Rows scaled to unit length (a zero row stays zero): dot products are then cosine similarities. */
export function normalizeRows(data: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    const o = i * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += data[o + t]! * data[o + t]!;
    const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
    for (let t = 0; t < dim; t++) out[o + t] = data[o + t]! * inv;
  }
  return out;
}

/** out[j] = <a row ai, b row rows[j]> for j in 0..count-1 (four b rows per pass over a's row). */
export function dotsWith(
  a: Float32Array,
  ai: number,
  b: Float32Array,
  rows: Uint32Array | Int32Array,
  count: number,
  dim: number,
  out: Float32Array,
): void {
  const ao = ai * dim;
  let j = 0;
  for (; j + 4 <= count; j += 4) {
    const b0 = rows[j]! * dim;
    const b1 = rows[j + 1]! * dim;
    const b2 = rows[j + 2]! * dim;
    const b3 = rows[j + 3]! * dim;
    let s0 = 0;
    let s1 = 0;
    let s2 = 0;
    let s3 = 0;
    for (let t = 0; t < dim; t++) {
      const x = a[ao + t]!;
      s0 += x * b[b0 + t]!;
      s1 += x * b[b1 + t]!;
      s2 += x * b[b2 + t]!;
      s3 += x * b[b3 + t]!;
    }
    out[j] = s0;
    out[j + 1] = s1;
    out[j + 2] = s2;
    out[j + 3] = s3;
  }
  for (; j < count; j++) {
    const bo = rows[j]! * dim;
    let s = 0;
    for (let t = 0; t < dim; t++) s += a[ao + t]! * b[bo + t]!;
    out[j] = s;
  }
}

export interface KMeans {
  /** [clusters, dim] */
  centroids: Float32Array;
  /** cluster of each row */
  assign: Uint32Array;
  clusters: number;
}

/**
 * Spherical k-means of unit rows (similarity = dot product; centroids renormalised after each update), seeded:
 * the initial centroids are distinct rows drawn with mulberry32(seed) from `order` (pass the pool's byId, so the
 * result does not depend on the input order), the updates run on at most `sample` rows drawn the same way, then
 * every row is assigned once (unless assign: false). Ties go to the lower cluster index. An empty cluster keeps its
 * centroid.
 */
export function kMeans(
  unit: Float32Array,
  n: number,
  dim: number,
  opts: { clusters: number; iterations: number; seed: number; order: Uint32Array; sample?: number; assign?: boolean },
): KMeans {
  const c = Math.max(1, Math.min(opts.clusters, n));
  const next = mulberry32(opts.seed);
  // a seeded partial shuffle of the id order: its first c rows start the centroids, its first `sample` train them
  const shuffled = Uint32Array.from(opts.order);
  const m = Math.min(n, Math.max(c, opts.sample ?? n));
  for (let j = 0; j < m; j++) {
    const r = j + Math.floor(next() * (n - j));
    const t = shuffled[j]!;
    shuffled[j] = shuffled[r]!;
    shuffled[r] = t;
  }
  const centroids = new Float32Array(c * dim);
  for (let q = 0; q < c; q++) centroids.set(unit.subarray(shuffled[q]! * dim, shuffled[q]! * dim + dim), q * dim);
  const train = shuffled.subarray(0, m);
  const trainAssign = new Uint32Array(m);
  const sums = new Float64Array(c * dim);
  for (let it = 0; it < opts.iterations; it++) {
    assignRows(unit, train, centroids, c, dim, trainAssign);
    sums.fill(0);
    for (let j = 0; j < m; j++) {
      const o = train[j]! * dim;
      const so = trainAssign[j]! * dim;
      for (let t = 0; t < dim; t++) sums[so + t]! += unit[o + t]!;
    }
    for (let q = 0; q < c; q++) {
      let s = 0;
      for (let t = 0; t < dim; t++) s += sums[q * dim + t]! ** 2;
      if (s === 0) continue; // empty: keep the old centroid
      const inv = 1 / Math.sqrt(s);
      for (let t = 0; t < dim; t++) centroids[q * dim + t] = sums[q * dim + t]! * inv;
    }
  }
  const assign = new Uint32Array(n);
  if (opts.assign === false) return { centroids, assign, clusters: c }; // the caller assigns (knn.ts: with its probes)
  const all = new Uint32Array(n);
  for (let i = 0; i < n; i++) all[i] = i;
  assignRows(unit, all, centroids, c, dim, assign);
  return { centroids, assign, clusters: c };
}

/** assign[j] = the centroid of highest dot product with row rows[j] (ties: the lower index). */
function assignRows(
  unit: Float32Array,
  rows: Uint32Array,
  centroids: Float32Array,
  c: number,
  dim: number,
  assign: Uint32Array,
): void {
  const all = new Uint32Array(c);
  for (let q = 0; q < c; q++) all[q] = q;
  const dots = new Float32Array(c);
  for (let j = 0; j < rows.length; j++) {
    dotsWith(unit, rows[j]!, centroids, all, c, dim, dots);
    let best = 0;
    for (let q = 1; q < c; q++) if (dots[q]! > dots[best]!) best = q;
    assign[j] = best;
  }
}

/** The `count` indices of the largest values, largest first (ties: the smaller index first). */
export function topIndices(values: Float32Array, count: number): Uint32Array {
  const k = Math.min(count, values.length);
  const out = new Uint32Array(k);
  const val = new Float32Array(k);
  let m = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (m === k && !(v > val[k - 1]!)) continue;
    let p = m < k ? m++ : k - 1;
    while (p > 0 && v > val[p - 1]!) {
      val[p] = val[p - 1]!;
      out[p] = out[p - 1]!;
      p--;
    }
    val[p] = v;
    out[p] = i;
  }
  return out;
}
