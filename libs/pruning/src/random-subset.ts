// The random baseline (method.md section 3): the first k ids of a seeded permutation. The order comes from a
// hash of (seed, id), so it depends only on the seed and the id set, not on input order or on k: the random
// subset of size k is contained in that of size k + 1.

/** cyrb53: a fast 53-bit string hash (public domain, bryc); plenty to order a few million ids. */
function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** ids ordered by hash(seed, id), ties broken by id. */
export function seededPermutation(ids: string[], seed: number): string[] {
  if (!Number.isSafeInteger(seed)) throw new Error(`seededPermutation: seed = ${seed}; use an integer seed`);
  const keyed = ids.map((id) => ({ id, key: hash53(`${seed}\u0000${id}`) }));
  keyed.sort((a, b) => a.key - b.key || byId(a.id, b.id));
  for (let i = 1; i < keyed.length; i++) {
    if (keyed[i]!.id === keyed[i - 1]!.id && keyed[i]!.key === keyed[i - 1]!.key) {
      throw new Error(`seededPermutation: id "${keyed[i]!.id}" appears more than once; example ids must be unique`);
    }
  }
  return keyed.map((x) => x.id);
}

/** The first k ids of seededPermutation(ids, seed). */
export function randomSubset(ids: string[], k: number, seed: number): string[] {
  if (!Number.isInteger(k) || k < 0 || k > ids.length) {
    throw new Error(`randomSubset: k = ${k} is out of range; choose an integer in 0..${ids.length} (the number of ids)`);
  }
  return seededPermutation(ids, seed).slice(0, k);
}
