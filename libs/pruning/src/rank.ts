// Ranking examples by a score, ties broken by id, and taking the top k overall or per class.
import { idRanks, type IdPool } from './id-pool.ts';
import { sortByKeys, type SortKeys, sortKeys, stableSortByKey, stableSortPairs } from './radix.ts';

export type Order = 'desc' | 'asc';

/** All indices of the pool, best first: by score ('desc': highest first), equal scores by ascending id. */
export function rankIndices(pool: IdPool, score: ArrayLike<number>, order: Order): Uint32Array {
  if (score.length !== pool.ids.length)
    throw new Error(`rankIndices: ${pool.ids.length} ids but ${score.length} scores; pass one score per id`);
  return sortByKeys(
    pool.byId,
    sortKeys(score, order, (i) => `id "${pool.ids[i]}"`),
  );
}

export function checkK(what: string, k: number, n: number): void {
  if (!Number.isInteger(k) || k < 0 || k > n)
    throw new Error(`${what}: k = ${k} is out of range; choose an integer in 0..${n} (the number of ids)`);
}

/** The first k of rankIndices. */
export function topKIndices(pool: IdPool, score: ArrayLike<number>, k: number, order: Order): Uint32Array {
  checkK('topKIndices', k, pool.ids.length);
  return rankIndices(pool, score, order).slice(0, k);
}

/**
 * How many of k examples each class gets when k is split in proportion to the class sizes: class c gets
 * floor(k * n_c / n), and the examples left over go one each to the classes with the largest remainders
 * (k * n_c mod n), equal remainders to the lower class index first. Deterministic, sums to k, and never
 * exceeds a class's size.
 */
export function classQuotas(classCounts: number[], k: number): number[] {
  const n = classCounts.reduce((a, b) => a + b, 0);
  checkK('classQuotas', k, n);
  if (n === 0) return classCounts.map(() => 0);
  const quota = classCounts.map((c) => Math.floor((k * c) / n));
  let left = k - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classCounts.map((c, i) => ({ i, r: (k * c) % n })).sort((a, b) => b.r - a.r || a.i - b.i);
  for (const { i } of byRemainder) {
    if (left === 0) break;
    quota[i]!++;
    left--;
  }
  return quota;
}

/** classes[i] = class index (0, 1, ...) of example i; returns the number of examples of each class. */
export function classCounts(classes: ArrayLike<number>): number[] {
  const counts: number[] = [];
  const n = classes.length;
  for (let i = 0; i < n; i++) {
    const c = classes[i]!;
    if (c >>> 0 === c && c < counts.length) {
      counts[c]!++;
      continue;
    } // a class seen before (the usual case)
    if (!Number.isInteger(c) || c < 0)
      throw new Error(`classCounts: class of example ${i} is ${c}; pass class indices (integers >= 0)`);
    while (counts.length <= c) counts.push(0);
    counts[c]!++;
  }
  return counts;
}

/**
 * The first k of a ranking taken class by class: each class contributes its quota (classQuotas over the whole
 * set `classes`), in rank order. `ranking` may be a prefix of the full ranking (rankTop) holding enough of each class.
 */
export function balancedTake(ranking: Uint32Array, classes: ArrayLike<number>, k: number): Uint32Array {
  const left = Int32Array.from(classQuotas(classCounts(classes), k));
  const out = new Uint32Array(k);
  const m = takeBalanced(ranking, classes, left, out);
  if (m < k)
    throw new Error(
      `balancedTake: the ranking ran out after ${m} of ${k} examples; pass the full ranking (or rankTop with the ` +
        `same classes)`,
    );
  return out;
}

/**
 * A prefix of the ranking (sortByKeys of pool.byId) long enough to take the first k, and, with `classes`, the
 * class-balanced first k: only the examples whose leading 16 key bits are at or before the bucket where the
 * counts are met are sorted. Equal to the full ranking cut after that bucket, at a fraction of the cost.
 */
export function rankTop(pool: IdPool, keys: SortKeys, k: number, classes?: ArrayLike<number>): Uint32Array {
  const n = pool.ids.length;
  checkK('rankTop', k, n);
  const top = keys.hi ?? keys.lo;
  // digits of (top - min) >> shift: monotone in the key, spread over the keys' actual range; 16 bits, or 12 when
  // there is one histogram per class (so the histograms stay in cache)
  const [min, max] = minMax(top);
  const range = n ? max - min : 0;
  const bits = classes ? 12 : 16;
  const shift = Math.max(0, Math.ceil(Math.log2(range + 1)) - bits);
  const nb = 1 << bits;
  // the digits once, in index order (a sequential pass); the later passes read 2 bytes per example, not 4
  const digits = digitsOf(top, min, shift);
  let cutoff = nb - 1;
  let count = n; // how many examples lie at or before the cutoff bucket
  if (!classes) {
    const hist = new Uint32Array(nb);
    histogram(digits, hist);
    let cum = 0;
    for (let b = 0; b < nb; b++) {
      cum += hist[b]!;
      if (cum >= k) {
        cutoff = b;
        count = cum;
        break;
      }
    }
  } else {
    if (classes.length !== n)
      throw new Error(`rankTop: ${n} ids but ${classes.length} classes; pass one class per example`);
    const quota = classQuotas(classCounts(classes), k);
    const C = quota.length;
    const hist = new Uint32Array(nb * C);
    const bad = classHistogram(digits, classes, C, hist);
    if (bad >= 0)
      throw new Error(`rankTop: class of example ${bad} is ${classes[bad]}; pass class indices (integers >= 0)`);
    const cum = new Array<number>(C).fill(0);
    let unmet = quota.filter((q) => q > 0).length;
    for (let b = 0; b < nb && unmet > 0; b++) {
      for (let c = 0; c < C; c++) {
        const before = cum[c]!;
        cum[c] = before + hist[b * C + c]!;
        if (before < quota[c]! && cum[c]! >= quota[c]!) unmet--;
      }
      if (unmet === 0) cutoff = b;
    }
    if (k === 0) cutoff = 0;
    count = 0;
    for (let b = 0; b <= cutoff; b++) for (let c = 0; c < C; c++) count += hist[b * C + c]!;
  }
  // the candidates in index order (sequential reads), each with its id rank and low key word; sorted by id rank
  // they are in id order (what byId would give), then one stable sort by the key breaks ties by id
  const rank = idRanks(pool);
  const cand = new Uint32Array(count);
  const candRank = new Uint32Array(count);
  const candLo = new Uint32Array(count);
  candidates(digits, cutoff, rank, keys.lo, cand, candRank, candLo);
  const pos = stableSortPairs(identity(count), candRank); // ranks are distinct: this is id order
  const byIdCand = new Uint32Array(count);
  const loById = new Uint32Array(count);
  permute(pos, cand, candLo, byIdCand, loById);
  const byLo = stableSortPairs(byIdCand, loById);
  return keys.hi ? stableSortByKey(byLo, keys.hi) : byLo; // = sortByKeys(candidates in byId order, keys)
}

// Kernels of rankTop and balancedTake: one loop each, so V8 optimises each on its own and keeps it (a long
// function with many big loops gets compiled on stack and thrown away loop after loop).

function minMax(top: Uint32Array): [number, number] {
  let min = 0xffffffff;
  let max = 0;
  for (let i = 0; i < top.length; i++) {
    const v = top[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function digitsOf(top: Uint32Array, min: number, shift: number): Uint16Array {
  const digits = new Uint16Array(top.length);
  for (let i = 0; i < top.length; i++) digits[i] = (top[i]! - min) >>> shift;
  return digits;
}

function histogram(digits: Uint16Array, hist: Uint32Array): void {
  for (let i = 0; i < digits.length; i++) hist[digits[i]!]!++;
}

/** hist[digit * C + class]++; returns the first example whose class is not in 0..C-1, or -1. */
function classHistogram(digits: Uint16Array, classes: ArrayLike<number>, C: number, hist: Uint32Array): number {
  for (let i = 0; i < digits.length; i++) {
    const c = classes[i]!;
    if (!(c >= 0 && c < C)) return i;
    hist[digits[i]! * C + c]!++;
  }
  return -1;
}

function candidates(
  digits: Uint16Array,
  cutoff: number,
  rank: Uint32Array,
  lo: Uint32Array,
  cand: Uint32Array,
  candRank: Uint32Array,
  candLo: Uint32Array,
): void {
  let m = 0;
  for (let i = 0; i < digits.length; i++) {
    if (digits[i]! <= cutoff) {
      cand[m] = i;
      candRank[m] = rank[i]!;
      candLo[m] = lo[i]!;
      m++;
    }
  }
}

function identity(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let j = 0; j < n; j++) out[j] = j;
  return out;
}

/** outA[j] = a[pos[j]], outB[j] = b[pos[j]] */
function permute(pos: Uint32Array, a: Uint32Array, b: Uint32Array, outA: Uint32Array, outB: Uint32Array): void {
  for (let j = 0; j < pos.length; j++) {
    const p = pos[j]!;
    outA[j] = a[p]!;
    outB[j] = b[p]!;
  }
}

/** Walks the ranking taking each example whose class still has quota left; returns how many were taken. */
function takeBalanced(ranking: Uint32Array, classes: ArrayLike<number>, left: Int32Array, out: Uint32Array): number {
  const k = out.length;
  const nc = classes.length;
  let m = 0;
  for (let j = 0; j < ranking.length && m < k; j++) {
    const i = ranking[j]!;
    if (i >= nc)
      throw new Error(
        `balancedTake: ranked example ${i} has no class (${nc} classes given); pass one class per example`,
      );
    const c = classes[i]!;
    if (left[c]! > 0) {
      left[c]!--;
      out[m++] = i;
    }
  }
  return m;
}
