// Masks over the parameters in a graft's scope: one 0/1 array per tensor, in the engine's memory layout. Selecting
// exactly k entries (the authors' code keeps those strictly above the k-th largest, k - 1 of them), random masks of k,
// and the overlap of two masks.
import { mulberry32 } from '@prunelab/core';

/** One 0/1 byte per parameter entry, per tensor of the scope. */
export type Mask = Uint8Array[];

export const maskCount = (m: Mask): number => m.reduce((a, t) => a + t.reduce((s, x) => s + x, 0), 0);

/**
 * The k entries with the largest scores, exactly k: every entry above the k-th largest value, then entries equal to
 * it in flat order (tensor by tensor, element by element) until k. NaN scores rank below everything.
 */
export function topK(scores: Float32Array[], k: number): Mask {
  const total = scores.reduce((a, s) => a + s.length, 0);
  if (!Number.isInteger(k) || k < 0 || k > total) throw new Error(`topK: k = ${k} is not within 0..${total}`);
  const out = scores.map((s) => new Uint8Array(s.length));
  if (k === 0) return out;
  const all = new Float32Array(total);
  let at = 0;
  for (const s of scores) {
    for (let i = 0; i < s.length; i++) all[at + i] = Number.isNaN(s[i]!) ? -Infinity : s[i]!;
    at += s.length;
  }
  const sorted = all.slice().sort(); // ascending; -Infinity first
  const threshold = sorted[total - k]!;
  let above = 0;
  for (let i = 0; i < total; i++) if (all[i]! > threshold) above++;
  let ties = k - above; // entries equal to the threshold still to take, in flat order
  at = 0;
  for (const [t, s] of scores.entries()) {
    const m = out[t]!;
    for (let i = 0; i < s.length; i++) {
      const v = all[at + i]!;
      if (v > threshold) m[i] = 1;
      else if (v === threshold && ties > 0) {
        m[i] = 1;
        ties--;
      }
    }
    at += s.length;
  }
  return out;
}

/** k entries drawn uniformly without replacement (a partial Fisher-Yates shuffle seeded by `seed`). */
export function randomMask(sizes: number[], k: number, seed: number): Mask {
  const total = sizes.reduce((a, n) => a + n, 0);
  if (!Number.isInteger(k) || k < 0 || k > total) throw new Error(`randomMask: k = ${k} is not within 0..${total}`);
  const idx = new Uint32Array(total).map((_, i) => i);
  const rand = mulberry32(seed);
  for (let i = 0; i < k; i++) {
    const j = i + Math.floor(rand() * (total - i));
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
  }
  const flat = new Uint8Array(total);
  for (let i = 0; i < k; i++) flat[idx[i]!] = 1;
  return split(flat, sizes);
}

/** |a and b| / |a or b|; two empty masks overlap fully (1). */
export function jaccard(a: Mask, b: Mask): number {
  if (a.length !== b.length || a.some((t, i) => t.length !== b[i]!.length))
    throw new Error('jaccard: the masks cover different parameters (another model or scope)');
  let both = 0;
  let either = 0;
  for (const [t, x] of a.entries()) {
    const y = b[t]!;
    for (let i = 0; i < x.length; i++) {
      both += x[i]! & y[i]!;
      either += x[i]! | y[i]!;
    }
  }
  return either === 0 ? 1 : both / either;
}

/** Bits packed 32 to an int, least significant bit first (the graft file's layout). */
export function packBits(m: Uint8Array): Int32Array {
  const out = new Int32Array(Math.ceil(m.length / 32));
  for (let i = 0; i < m.length; i++) if (m[i]) out[i >>> 5]! |= 1 << (i & 31);
  return out;
}

export function unpackBits(words: Int32Array, n: number): Uint8Array {
  if (words.length !== Math.ceil(n / 32)) throw new Error(`unpackBits: ${words.length} words cannot hold ${n} bits`);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (words[i >>> 5]! >>> (i & 31)) & 1;
  return out;
}

function split(flat: Uint8Array, sizes: number[]): Mask {
  let at = 0;
  return sizes.map((n) => {
    const t = flat.slice(at, at + n);
    at += n;
    return t;
  });
}
