// Every score of the phase-1 records in one pass: hScore, cartography, forgetting, el2nScore and aum each read
// the same [run][epoch][example] arrays, so at a million examples computing them one by one reads the records
// five times. Here each block of examples is read once and every score is accumulated together, in exactly the
// order the single-score functions use, so the results are bit for bit theirs (all-scores.test.ts checks it).
// Correctness bytes are tested without branches ((v + 255) >> 8 is 1 iff v != 0): on real records a branch on
// "was it correct" is a coin flip the CPU mispredicts half the time.
import type { Cartography } from './cartography.ts';
import type { Forgetting } from './forgetting.ts';
import { useRecords } from './records-shape.ts';

export interface AllScoresInput {
  correct: Uint8Array[][];
  goldProb: Float32Array[][];
  /** recorded margins: gives `aum` */
  margin?: Float32Array[][];
  /** recorded EL2N: gives `el2n` at `el2nEpoch` */
  el2n?: Float32Array[][];
}

export interface AllScores {
  /** hScore(correct) */
  h: Uint8Array;
  /** hHistogram(h, R) */
  histogram: number[];
  /** cartography(goldProb, correct) */
  cartography: Cartography;
  /** forgetting(correct) */
  forgetting: Forgetting;
  /** el2nScore(el2n, el2nEpoch), when el2n is given */
  el2n?: Float32Array;
  /** aum(margin), when margin is given */
  aum?: Float32Array;
}

/** All runs and all epochs (every run must have as many); el2nEpoch is 0-based (default 0). */
export function allScores(rec: AllScoresInput, opts: { el2nEpoch?: number } = {}): AllScores {
  const { runs: cRuns, R, E, n } = useRecords('allScores', rec.correct);
  if (R > 255) throw new Error(`allScores: ${R} runs; H is stored as a byte, so at most 255 runs are supported`);
  const same = <T extends ArrayLike<number>>(name: string, a: T[][]): T[] => {
    if (a.length !== R)
      throw new Error(`allScores: ${a.length} ${name} runs but ${R} correct runs; pass both from the same records`);
    const { runs, E: Ea, n: na } = useRecords(`allScores (${name})`, a);
    if (Ea !== E || na !== n)
      throw new Error(
        `allScores: ${name} has ${Ea} epochs of ${na} examples but correct has ${E} of ${n}; pass both from the same ` +
          `records`,
      );
    return runs.flat();
  };
  const c = cRuns.flat();
  // four examples per 32-bit word (SWAR) when every correctness array starts on a word boundary and the per-byte
  // sums cannot overflow (hits <= 3 R): the paper's 3 epochs, little-endian (byte j of a word = example 4w + j)
  const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  const cw =
    E === 3 && 3 * R <= 255 && littleEndian && c.every((a) => a.byteOffset % 4 === 0)
      ? c.map((a) => new Uint32Array(a.buffer, a.byteOffset, a.length >>> 2))
      : undefined;
  const p = same('goldProb', rec.goldProb);
  const mg = rec.margin ? same('margin', rec.margin) : undefined;
  const ep = opts.el2nEpoch ?? 0;
  if (rec.el2n && (!Number.isInteger(ep) || ep < 0 || ep >= E))
    throw new Error(`allScores: el2nEpoch = ${ep}; choose a 0-based epoch in 0..${E - 1}`);
  const el = rec.el2n ? same('el2n', rec.el2n).filter((_, t) => t % E === ep) : undefined;
  const T = R * E;

  const h = new Uint8Array(n);
  const events = new Uint16Array(n);
  const neverLearned = new Uint8Array(n);
  const confidence = new Float32Array(n);
  const variability = new Float32Array(n);
  const correctness = new Float32Array(n);
  const aumOut = mg ? new Float32Array(n) : undefined;
  const el2nOut = el ? new Float32Array(n) : undefined;
  const B = 4096; // blocks of examples: the accumulators stay in L1 cache
  const s1 = new Float64Array(B);
  const s2 = new Float64Array(B);
  const sm = new Float64Array(B);
  const se = new Float64Array(B);
  const hits = new Uint32Array(B);
  const hb = new Uint32Array(B);
  const evb = new Uint32Array(B);
  const nlb = new Uint32Array(B);
  const hw = new Uint32Array(B / 4);
  const ew = new Uint32Array(B / 4);
  const nw = new Uint32Array(B / 4);
  const tw = new Uint32Array(B / 4);
  for (let i0 = 0; i0 < n; i0 += B) {
    const m = Math.min(B, n - i0);
    const i1 = i0 + m;
    hits.fill(0);
    hb.fill(0);
    evb.fill(0);
    nlb.fill(0);
    // correctness: H, forgetting events, never learned, hits (integers: any order gives the same sums)
    let done = 0; // examples of the block already counted four at a time
    if (cw) {
      const w0 = i0 >>> 2; // B is a multiple of 4, so i0 is too
      const mw = m >>> 2;
      hw.fill(0);
      ew.fill(0);
      nw.fill(0);
      tw.fill(0);
      for (let r = 0; r < R; r++) correct3w(cw[3 * r]!, cw[3 * r + 1]!, cw[3 * r + 2]!, w0, mw, hw, ew, nw, tw);
      unpack(hw, mw, hb);
      unpack(ew, mw, evb);
      unpack(nw, mw, nlb);
      unpack(tw, mw, hits);
      done = 4 * mw;
    }
    for (let r = 0; r < R && done < m; r++) {
      const a = i0 + done;
      const [hbt, evt, nlt, ht] = done
        ? [hb.subarray(done), evb.subarray(done), nlb.subarray(done), hits.subarray(done)]
        : [hb, evb, nlb, hits];
      if (E === 3)
        correct3(
          c[3 * r]!.subarray(a, i1),
          c[3 * r + 1]!.subarray(a, i1),
          c[3 * r + 2]!.subarray(a, i1),
          m - done,
          hbt,
          evt,
          nlt,
          ht,
        );
      else
        correctRun(
          c.slice(r * E, r * E + E).map((x) => x.subarray(a, i1)),
          m - done,
          hbt,
          evt,
          nlt,
          ht,
        );
    }
    // gold probabilities (cartography) and margins (AUM): the (run, epoch) arrays in the order cartography and
    // aum add them, three per sweep like cartography (a + b + d), aum's running sum one value at a time
    s1.fill(0);
    s2.fill(0);
    sm.fill(0);
    const p0 = p[0]!.subarray(i0, i1);
    let t = 0;
    for (; t + 3 <= T; t += 3) {
      prob3(p0, p[t]!.subarray(i0, i1), p[t + 1]!.subarray(i0, i1), p[t + 2]!.subarray(i0, i1), m, s1, s2);
      if (mg) sum3(mg[t]!.subarray(i0, i1), mg[t + 1]!.subarray(i0, i1), mg[t + 2]!.subarray(i0, i1), m, sm);
    }
    for (; t < T; t++) {
      prob1(p0, p[t]!.subarray(i0, i1), m, s1, s2);
      if (mg) sum1(mg[t]!.subarray(i0, i1), m, sm);
    }
    if (el) {
      se.fill(0);
      for (const a of el) sum1(a.subarray(i0, i1), m, se);
      for (let j = 0; j < m; j++) el2nOut![i0 + j] = se[j]! / R;
    }
    for (let j = 0; j < m; j++) {
      const md = s1[j]! / T;
      confidence[i0 + j] = p0[j]! + md;
      variability[i0 + j] = Math.sqrt(Math.max(0, s2[j]! / T - md * md));
      correctness[i0 + j] = hits[j]! / T;
      h[i0 + j] = hb[j]!;
      events[i0 + j] = evb[j]!;
      neverLearned[i0 + j] = nlb[j]!;
    }
    if (aumOut) for (let j = 0; j < m; j++) aumOut[i0 + j] = sm[j]! / T;
  }
  const weight = R * Math.floor(E / 2) + 1;
  const score = new Float32Array(n);
  const histogram = new Array<number>(R + 1).fill(0);
  const hc = new Uint32Array(R + 1);
  for (let i = 0; i < n; i++) {
    score[i] = neverLearned[i]! * weight + events[i]!;
    hc[h[i]!]!++;
  }
  for (let v = 0; v <= R; v++) histogram[v] = hc[v]!;
  return {
    h,
    histogram,
    cartography: { confidence, variability, correctness },
    forgetting: { events, neverLearned, score },
    ...(el2nOut ? { el2n: el2nOut } : {}),
    ...(aumOut ? { aum: aumOut } : {}),
  };
}

// Block kernels: small functions V8 optimises on their own, each a straight loop over m examples.

function correct3(
  ca: Uint8Array,
  cb: Uint8Array,
  cc: Uint8Array,
  m: number,
  hb: Uint32Array,
  evb: Uint32Array,
  nlb: Uint32Array,
  hits: Uint32Array,
): void {
  for (let j = 0; j < m; j++) {
    const x = (ca[j]! + 255) >> 8;
    const y = (cb[j]! + 255) >> 8;
    const z = (cc[j]! + 255) >> 8;
    hb[j]! += x & y & z;
    evb[j]! += (x & (y ^ 1)) + (y & (z ^ 1));
    nlb[j]! += (x | y | z) ^ 1;
    hits[j]! += x + y + z;
  }
}

/**
 * correct3 on four examples per word: per byte, x = (byte != 0), and the sums stay below 256 per byte, so they
 * add without carries between examples. Words w0 .. w0 + mw - 1 of the three epochs of one run.
 */
function correct3w(
  ca: Uint32Array,
  cb: Uint32Array,
  cc: Uint32Array,
  w0: number,
  mw: number,
  hw: Uint32Array,
  ew: Uint32Array,
  nw: Uint32Array,
  tw: Uint32Array,
): void {
  const ONES = 0x01010101;
  for (let w = 0; w < mw; w++) {
    const u = ca[w0 + w]!;
    const v = cb[w0 + w]!;
    const q = cc[w0 + w]!;
    const x = ((((u & 0x7f7f7f7f) + 0x7f7f7f7f) | u) >>> 7) & ONES; // bit 7 of each byte = byte != 0
    const y = ((((v & 0x7f7f7f7f) + 0x7f7f7f7f) | v) >>> 7) & ONES;
    const z = ((((q & 0x7f7f7f7f) + 0x7f7f7f7f) | q) >>> 7) & ONES;
    hw[w] = hw[w]! + (x & y & z);
    ew[w] = ew[w]! + (x & (y ^ ONES)) + (y & (z ^ ONES));
    nw[w] = nw[w]! + ((x | y | z) ^ ONES);
    tw[w] = tw[w]! + x + y + z;
  }
}

/** out[4w + j] = byte j of packed[w], for the first mw words */
function unpack(packed: Uint32Array, mw: number, out: Uint32Array): void {
  for (let w = 0; w < mw; w++) {
    const p = packed[w]!;
    out[4 * w] = p & 255;
    out[4 * w + 1] = (p >>> 8) & 255;
    out[4 * w + 2] = (p >>> 16) & 255;
    out[4 * w + 3] = p >>> 24;
  }
}

function correctRun(
  run: Uint8Array[],
  m: number,
  hb: Uint32Array,
  evb: Uint32Array,
  nlb: Uint32Array,
  hits: Uint32Array,
): void {
  const E = run.length;
  for (let j = 0; j < m; j++) {
    let prev = (run[0]![j]! + 255) >> 8;
    let all = prev;
    let any = prev;
    let hr = prev;
    let ev = 0;
    for (let e = 1; e < E; e++) {
      const cur = (run[e]![j]! + 255) >> 8;
      ev += prev & (cur ^ 1);
      all &= cur;
      any |= cur;
      hr += cur;
      prev = cur;
    }
    hb[j]! += all;
    evb[j]! += ev;
    nlb[j]! += any ^ 1;
    hits[j]! += hr;
  }
}

function prob3(
  p0: Float32Array,
  pa: Float32Array,
  pb: Float32Array,
  pc: Float32Array,
  m: number,
  s1: Float64Array,
  s2: Float64Array,
): void {
  for (let j = 0; j < m; j++) {
    const z = p0[j]!;
    const a = pa[j]! - z;
    const b = pb[j]! - z;
    const d = pc[j]! - z;
    s1[j]! += a + b + d;
    s2[j]! += a * a + b * b + d * d;
  }
}

function prob1(p0: Float32Array, pt: Float32Array, m: number, s1: Float64Array, s2: Float64Array): void {
  for (let j = 0; j < m; j++) {
    const d = pt[j]! - p0[j]!;
    s1[j]! += d;
    s2[j]! += d * d;
  }
}

/** sum += a, then += b, then += c: the order of adding one array at a time */
function sum3(a: Float32Array, b: Float32Array, c: Float32Array, m: number, sum: Float64Array): void {
  for (let j = 0; j < m; j++) {
    let s = sum[j]!;
    s += a[j]!;
    s += b[j]!;
    s += c[j]!;
    sum[j] = s;
  }
}

function sum1(a: Float32Array, m: number, sum: Float64Array): void {
  for (let j = 0; j < m; j++) sum[j]! += a[j]!;
}
