// Stable LSD radix sorts of index arrays by unsigned 32-bit keys, and the maps that turn numbers into such
// keys without changing their order. Ranking a million examples this way takes a few passes over typed
// arrays; a comparator sort of a million indices takes about a second.

const f32 = new Float32Array(1);
const u32of32 = new Uint32Array(f32.buffer);

/**
 * `idx` reordered by key[idx[j]] ascending; equal keys keep their order in `idx` (stable), so sorting by a
 * secondary key first and then by the primary one sorts by (primary, secondary).
 */
export function stableSortByKey(idx: Uint32Array, key: Uint32Array, sortedKeys?: Uint32Array): Uint32Array {
  return stableSortPairs(idx, gather(key, idx), sortedKeys);
}

/** key[idx[j]] for every j */
function gather(key: Uint32Array, idx: Uint32Array): Uint32Array {
  const out = new Uint32Array(idx.length);
  for (let j = 0; j < idx.length; j++) out[j] = key[idx[j]!]!;
  return out;
}

/** stableSortByKey with the keys given in idx order (keys[j] belongs to idx[j]); `keys` is overwritten. */
export function stableSortPairs(idx: Uint32Array, keys: Uint32Array, sortedKeys?: Uint32Array): Uint32Array {
  const n = idx.length;
  let kA: Uint32Array = keys;
  let iA: Uint32Array = idx.slice();
  // three passes of 11, 11 and 10 bits; the 2048 counters of a pass fit in L1 cache
  const hist = new Uint32Array(3 * 2048);
  histogram3(kA, hist);
  let kB: Uint32Array = new Uint32Array(n);
  let iB: Uint32Array = new Uint32Array(n);
  for (let d = 0; d < 3; d++) {
    const base = d * 2048;
    let skip = n < 2;
    for (let b = 0; b < 2048 && !skip; b++) if (hist[base + b] === n) skip = true; // one bucket holds all: no-op pass
    if (skip) continue;
    let sum = 0; // exclusive prefix sums: where each bucket starts
    for (let b = 0; b < 2048; b++) {
      const c = hist[base + b]!;
      hist[base + b] = sum;
      sum += c;
    }
    scatter(kA, iA, kB, iB, hist.subarray(base, base + 2048), d * 11);
    [kA, kB] = [kB, kA];
    [iA, iB] = [iB, iA];
  }
  sortedKeys?.set(kA); // the keys in their sorted order, for callers that scan for equal neighbours
  return iA;
}

// The passes as small functions: V8 optimises them once and reuses them for every sort (one long function with
// several big loops gets compiled on stack loop by loop, and thrown away when the next loop sees new types).

/** The three digit histograms (11, 11 and 10 bits) of every key; the 2048 counters of a pass fit in L1 cache. */
function histogram3(keys: Uint32Array, hist: Uint32Array): void {
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j]!;
    hist[k & 2047]!++;
    hist[2048 + ((k >>> 11) & 2047)]!++;
    hist[4096 + (k >>> 22)]!++;
  }
}

/** One stable counting pass: (kA, iA) into (kB, iB) by the 11-bit digit at `shift`; `start` = bucket starts. */
function scatter(
  kA: Uint32Array,
  iA: Uint32Array,
  kB: Uint32Array,
  iB: Uint32Array,
  start: Uint32Array,
  shift: number,
): void {
  for (let j = 0; j < kA.length; j++) {
    const k = kA[j]!;
    const p = start[(k >>> shift) & 2047]!++;
    kB[p] = k;
    iB[p] = iA[j]!;
  }
}

/** Sort by the 64-bit key (hi, lo), stable. */
export function stableSortByKey64(
  idx: Uint32Array,
  hi: Uint32Array,
  lo: Uint32Array,
  sortedHi?: Uint32Array,
): Uint32Array {
  return stableSortByKey(stableSortByKey(idx, lo), hi, sortedHi);
}

export interface SortKeys {
  hi?: Uint32Array;
  lo: Uint32Array;
}

/**
 * Order-preserving unsigned keys of numbers: ascending keys = ascending values ('asc'), or descending values
 * ('desc'). Values that are all exact in float32 (Float32Array, small integers, ...) get one 32-bit word;
 * other values two words (hi, lo) of their float64 bits, so no two different values ever share a key.
 * -0 and +0 are one value. NaN is refused: `label(i)` names the example in the error.
 */
export function sortKeys(values: ArrayLike<number>, order: 'asc' | 'desc', label: (i: number) => string): SortKeys {
  const n = values.length;
  const flip = order === 'desc' ? 0xffffffff : 0;
  let exact32 =
    values instanceof Float32Array ||
    values instanceof Uint8Array ||
    values instanceof Uint16Array ||
    values instanceof Int8Array ||
    values instanceof Int16Array;
  if (!exact32) {
    exact32 = true;
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (Math.fround(v) !== v && !Number.isNaN(v)) {
        exact32 = false;
        break;
      }
    }
  }
  if (values instanceof Float32Array) {
    const lo = new Uint32Array(n);
    const bad = float32Keys(new Uint32Array(values.buffer, values.byteOffset, n), flip, lo);
    if (bad >= 0) throw new Error(`the score of ${label(bad)} is NaN; fix the score computation`);
    return { lo };
  }
  if (exact32) {
    const lo = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      const v = values[i]!;
      if (Number.isNaN(v)) throw new Error(`the score of ${label(i)} is NaN; fix the score computation`);
      f32[0] = v === 0 ? 0 : v; // -0 -> +0
      const u = u32of32[0]!;
      lo[i] = ((u & 0x80000000 ? ~u : u | 0x80000000) ^ flip) >>> 0;
    }
    return { lo };
  }
  const f64 = Float64Array.from(values);
  const u = new Uint32Array(f64.buffer);
  const little = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    const v = f64[i]!;
    if (Number.isNaN(v)) throw new Error(`the score of ${label(i)} is NaN; fix the score computation`);
    if (v === 0) f64[i] = 0;
    let h = u[little ? 2 * i + 1 : 2 * i]!;
    let l = u[little ? 2 * i : 2 * i + 1]!;
    if (h & 0x80000000) {
      h = ~h;
      l = ~l;
    } else h |= 0x80000000;
    hi[i] = (h ^ flip) >>> 0;
    lo[i] = (l ^ flip) >>> 0;
  }
  return { hi, lo };
}

/**
 * The keys of float32 values straight from their bits (the same keys as the general path, without a branch on
 * the sign): -0 becomes +0; returns the first NaN's index, or -1.
 */
function float32Keys(bits: Uint32Array, flip: number, lo: Uint32Array): number {
  for (let i = 0; i < bits.length; i++) {
    let u = bits[i]!;
    if ((u & 0x7fffffff) > 0x7f800000) return i;
    if (u === 0x80000000) u = 0;
    lo[i] = (u ^ ((u >> 31) | 0x80000000) ^ flip) >>> 0;
  }
  return -1;
}

/** Stable sort of idx by precomputed keys. */
export function sortByKeys(idx: Uint32Array, keys: SortKeys): Uint32Array {
  return keys.hi ? stableSortByKey64(idx, keys.hi, keys.lo) : stableSortByKey(idx, keys.lo);
}
