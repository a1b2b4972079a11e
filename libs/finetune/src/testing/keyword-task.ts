// A learnable toy task for the engine tests: label 1 iff the "keyword" token 7 occurs - learnable only through the
// embeddings and attention. Rows of L tokens: a CLS-like first token, fillers 8..37, real lengths L/2 .. L - 1.
import { permutation, type EncodedSet } from '@prunelab/core';

export function keywordTask(n: number, seed: number, L = 10): EncodedSet {
  const order = permutation(n * L, seed);
  const ids = new Int32Array(n * L);
  const mask = new Int32Array(n * L);
  const labels = new Int32Array(n);
  const half = L / 2;
  for (let i = 0; i < n; i++) {
    const len = half + (order[i]! % half);
    labels[i] = order[n + i]! % 2;
    for (let t = 0; t < len; t++) {
      ids[i * L + t] = t === 0 ? 1 : 8 + (order[i * L + t]! % 30);
      mask[i * L + t] = 1;
    }
    if (labels[i]) ids[i * L + 1 + (order[2 * n + i]! % (len - 1))] = 7;
  }
  return { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(n * L), labels, n, maxLength: L };
}
