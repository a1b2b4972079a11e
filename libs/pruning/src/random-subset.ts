// The random baseline (method.md section 3): the first k ids of a seeded permutation. The order comes from a
// hash of (seed, id), so it depends only on the seed and the id set, not on input order or on k: the random
// subset of size k is contained in that of size k + 1.

import { idPool, type IdPool } from './id-pool.ts';
import { stableSortByKey64 } from './radix.ts';

/**
 * cyrb53 (a public-domain 53-bit string hash by bryc), written into two words: hi = the top 21 bits, lo = the
 * low 32, so (hi, lo) orders like the 53-bit number. Plenty to order a few million ids.
 */
export function hash53Parts(s: string, hi: Uint32Array, lo: Uint32Array, at: number): void {
  hash53From(0xdeadbeef, 0x41c6ce57, s, hi, lo, at);
}

/** The cyrb53 state after `prefix`: hashing prefix + id then only walks the id (no string concatenation). */
export function hash53Prefix(prefix: string): [number, number] {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < prefix.length; i++) {
    const c = prefix.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  return [h1, h2];
}

/** hash53Parts(prefix + s) given hash53Prefix(prefix) = [h1, h2]. */
export function hash53From(h1: number, h2: number, s: string, hi: Uint32Array, lo: Uint32Array, at: number): void {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  hi[at] = (2097151 & h2) >>> 0;
  lo[at] = h1 >>> 0;
}

/** The permutation's sort keys: hash53(seed, id) as (hi, lo) words per id. */
export function permutationKeys(ids: string[], seed: number): { hi: Uint32Array; lo: Uint32Array } {
  const n = ids.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const [h1, h2] = hash53Prefix(`${seed}\u0000`);
  for (let i = 0; i < n; i++) hash53From(h1, h2, ids[i]!, hi, lo, i);
  return { hi, lo };
}

/** Every index of `ids` in the order of the seeded permutation: by hash(seed, id), equal hashes by id (byId). */
export function permutationOrder(ids: string[], byId: Uint32Array, seed: number): Uint32Array {
  const { hi, lo } = permutationKeys(ids, seed);
  return stableSortByKey64(byId, hi, lo);
}

/** ids ordered by hash(seed, id), ties broken by id. */
export function seededPermutation(ids: string[], seed: number): string[] {
  if (!Number.isSafeInteger(seed)) throw new Error(`seededPermutation: seed = ${seed}; use an integer seed`);
  let pool: IdPool;
  try {
    pool = idPool(ids);
  } catch (e) {
    throw new Error(`seededPermutation: ${(e as Error).message.replace(/^idPool: /, '')}`);
  }
  return Array.from(permutationOrder(ids, pool.byId, seed), (i) => ids[i]!);
}

/** The first k ids of seededPermutation(ids, seed). */
export function randomSubset(ids: string[], k: number, seed: number): string[] {
  if (!Number.isInteger(k) || k < 0 || k > ids.length) {
    throw new Error(
      `randomSubset: k = ${k} is out of range; choose an integer in 0..${ids.length} (the number of ids)`,
    );
  }
  return seededPermutation(ids, seed).slice(0, k);
}
