// BADGE (Ash et al. 2020): the gradient embedding of the loss at the predicted label with respect to the last
// layer, g(x) = (p(x) - onehot(argmax p(x))) ⊗ [h(x), 1 if the layer has a bias], then k-means++ seeding on the
// g's: the first is the largest norm (as the authors' code), each next one drawn with probability proportional to
// the squared distance to its nearest chosen one. g is never built: ||g_i - g_j||^2 follows from dot products,
// since <a ⊗ h, b ⊗ h'> = <a, b> <h, h'>.
import { mulberry32 } from '@prunelab/core';
import { checkK, idOrder, need, type Outputs, type Strategy } from '../strategy.ts';

/** The two factors of each gradient embedding: a = p - onehot(argmax p) [n, C] and h (with a 1 for the bias). */
export function badgeFactors(out: Outputs, who = 'badge'): { a: Float64Array; h: Float64Array; C: number; d: number } {
  const e = need(out.embedding, who, 'pool embeddings');
  const { n, numClasses: C, probs } = out;
  const d = e.dim + (e.bias ? 1 : 0);
  const a = new Float64Array(n * C);
  const h = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    let top = 0;
    for (let c = 1; c < C; c++) if (probs[i * C + c]! > probs[i * C + top]!) top = c;
    for (let c = 0; c < C; c++) a[i * C + c] = probs[i * C + c]! - (c === top ? 1 : 0);
    for (let j = 0; j < e.dim; j++) h[i * d + j] = e.data[i * e.dim + j]!;
    if (e.bias) h[i * d + e.dim] = 1;
  }
  return { a, h, C, d };
}

/** The gradient embeddings written out, [n, C * d] (class-major): for tests and users; selection never builds it. */
export function badgeEmbedding(out: Outputs): Float64Array {
  const { a, h, C, d } = badgeFactors(out);
  const g = new Float64Array(out.n * C * d);
  for (let i = 0; i < out.n; i++)
    for (let c = 0; c < C; c++) for (let j = 0; j < d; j++) g[(i * C + c) * d + j] = a[i * C + c]! * h[i * d + j]!;
  return g;
}

const dot = (x: Float64Array, i: number, y: Float64Array, j: number, w: number) => {
  let s = 0;
  for (let t = 0; t < w; t++) s += x[i * w + t]! * y[j * w + t]!;
  return s;
};

export const badge: Strategy = {
  name: 'badge',
  title: 'BADGE',
  doc: 'k-means++ seeding on gradient embeddings (p - onehot(predicted class)) ⊗ [h, 1] of the last layer',
  citation: 'Ash et al. 2020',
  needs: { embedding: true },
  select: ({ pool, k, seed }) => {
    checkK('badge', k, pool.ids.length);
    const { a, h, C, d } = badgeFactors(pool.out);
    const n = pool.out.n;
    const sq = new Float64Array(n); // ||g_i||^2
    for (let i = 0; i < n; i++) sq[i] = dot(a, i, a, i, C) * dot(h, i, h, i, d);
    const dist = (i: number, j: number) => Math.max(0, sq[i]! + sq[j]! - 2 * dot(a, i, a, j, C) * dot(h, i, h, j, d));
    const order = idOrder(pool.ids);
    const taken = new Uint8Array(n);
    const chosen = new Uint32Array(k);
    let first = order[0]!;
    for (const i of order) if (sq[i]! > sq[first]!) first = i;
    chosen[0] = first;
    taken[first] = 1;
    const near = new Float64Array(n);
    for (let i = 0; i < n; i++) near[i] = dist(i, first);
    const rand = mulberry32(seed);
    for (let t = 1; t < k; t++) {
      let total = 0;
      for (const i of order) if (!taken[i]) total += near[i]!;
      let pick = -1;
      if (total > 0) {
        // draw in id order, so the draw depends on the ids and the seed only
        let u = rand() * total;
        for (const i of order) {
          if (taken[i] || near[i]! <= 0) continue;
          pick = i;
          u -= near[i]!;
          if (u < 0) break;
        }
      } else {
        for (const i of order) if (!taken[i]) pick = pick < 0 ? i : pick; // all at distance 0: the smallest id
      }
      chosen[t] = pick;
      taken[pick] = 1;
      for (let i = 0; i < n; i++) if (!taken[i]) near[i] = Math.min(near[i]!, dist(i, pick));
    }
    return chosen;
  },
};
