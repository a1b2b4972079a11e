// Temporal Dual-Depth Scoring (Zhang et al. 2024). First depth: each example's contribution at each epoch change,
// estimated from its class probabilities p_t as the KL-type divergence between consecutive epochs,
//   g_t = sum_c p_t,c |ln p_t,c - ln p_t-1,c|      (t = 1..E-1; p clamped at 1e-8 as in the authors' code),
// second depth: its variability, the population std of g over each window of J consecutive epochs (J - 1 changes),
// and the windows weighted by an exponential moving average of factor beta (the last window weighs beta, each
// earlier one (1 - beta) times the next), summed; mean over the used runs. High = kept.
// The paper uses J = 10 of many epochs with beta = 0.9; with the lab's few epochs J is capped at the used epochs
// (one window of all of them for E <= 10) and needs E >= 3 (two changes, or the std is 0).
// ln is read from a 4096-entry table with linear interpolation (absolute error < 1e-8, below float32 resolution):
// Math.log made the score 0.35 s of the 1M-example budget, the table a tenth of that.
import { missingField, refuseNaN, runsWith } from './fields.ts';
import {
  byScore,
  optionsOf,
  scoreOf,
  type ScoreColumn,
  type SelectionContext,
  type SelectionMethod,
} from './method.ts';

const TABLE_BITS = 12;
const LN_TABLE = Float64Array.from({ length: (1 << TABLE_BITS) + 1 }, (_, j) => Math.log1p(j / (1 << TABLE_BITS)));
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
f32[0] = 1e-8;
const EPS_BITS = u32[0]!;
const SHIFT = 23 - TABLE_BITS;
const TABLE_MASK = (1 << TABLE_BITS) - 1;
const LOW_MASK = (1 << SHIFT) - 1;
const LOW_SCALE = 1 / (1 << SHIFT);

/** ln(max(p, 1e-8)) of every float32 in `p` (NaN stays NaN). */
export function lnClamped(p: Float32Array, out: Float64Array): void {
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  for (let i = 0; i < bits.length; i++) out[i] = lnBits(bits[i]!);
}

/** ln(max(p, 1e-8)) of a float32 given by its bits (NaN stays NaN): the table with linear interpolation. */
function lnBits(u: number): number {
  if (u > 0x7f800000 && u < 0x80000000) return Number.NaN;
  if (u < EPS_BITS || u >= 0x80000000) u = EPS_BITS; // below 1e-8, zero, or negative
  const j = (u >>> SHIFT) & TABLE_MASK;
  const a = LN_TABLE[j]!;
  return ((u >>> 23) - 127) * Math.LN2 + a + (u & LOW_MASK) * LOW_SCALE * (LN_TABLE[j + 1]! - a);
}

/**
 * One run's TDDS added into `sum`, in one pass over the examples (no per-epoch temporaries), each probability's ln
 * taken once. weights[w] = the weight of window w.
 */
function addRun(
  probs: Float32Array[],
  n: number,
  C: number,
  E: number,
  J: number,
  weights: Float64Array,
  sum: Float64Array,
): void {
  const bits = probs.slice(0, E).map((p) => new Uint32Array(p.buffer, p.byteOffset, p.length));
  if (E === 3 && J === 3) {
    addRun3(probs, bits, n, C, weights[0]!, sum);
    return;
  }
  const g = new Float64Array(E - 1);
  const ln = new Float64Array(E * C);
  const m = J - 1;
  const W = E - J;
  for (let i = 0; i < n; i++) {
    const o = i * C;
    for (let t = 0; t < E; t++) for (let c = 0; c < C; c++) ln[t * C + c] = lnBits(bits[t]![o + c]!);
    for (let t = 1; t < E; t++) {
      const p = probs[t]!;
      let s = 0;
      for (let c = 0; c < C; c++) s += p[o + c]! * Math.abs(ln[t * C + c]! - ln[(t - 1) * C + c]!);
      g[t - 1] = s;
    }
    let total = 0;
    for (let w = 0; w <= W; w++) {
      let mean = 0;
      for (let t = w; t < w + m; t++) mean += g[t]!;
      mean /= m;
      let v = 0;
      for (let t = w; t < w + m; t++) v += (g[t]! - mean) * (g[t]! - mean);
      total += weights[w]! * Math.sqrt(v / m);
    }
    sum[i]! += total;
  }
}

/** addRun for the lab's 3 epochs (one window of two changes): the std of (g1, g2) is |g1 - g2| / 2. */
function addRun3(
  probs: Float32Array[],
  bits: Uint32Array[],
  n: number,
  C: number,
  weight: number,
  sum: Float64Array,
): void {
  const [b0, b1, b2] = bits as [Uint32Array, Uint32Array, Uint32Array];
  const p1 = probs[1]!;
  const p2 = probs[2]!;
  const half = weight / 2;
  for (let i = 0; i < n; i++) {
    let g1 = 0;
    let g2 = 0;
    for (let c = i * C; c < i * C + C; c++) {
      const l0 = lnBits(b0[c]!);
      const l1 = lnBits(b1[c]!);
      const l2 = lnBits(b2[c]!);
      g1 += p1[c]! * Math.abs(l1 - l0);
      g2 += p2[c]! * Math.abs(l2 - l1);
    }
    sum[i]! += half * Math.abs(g1 - g2);
  }
}

/** The TDDS of every example: NaN when the records hold no probabilities or fewer than 3 epochs are used. */
export function tddsScore(ctx: SelectionContext): Float32Array {
  const rec = ctx.records!;
  const n = ctx.pool.ids.length;
  const used = runsWith(rec, 'probs');
  const E = rec.epochsUsed;
  if (!used || E < 3) return new Float32Array(n).fill(Number.NaN);
  const opts = optionsOf(ctx, tdds);
  const J = Math.min(Number(opts.window), E);
  const beta = Number(opts.decay);
  const C = n ? used[0]!.probs![0]!.length / n : 1;
  if (!Number.isInteger(C) || C < 1)
    throw new Error(
      `tdds: the probabilities hold ${used[0]!.probs![0]!.length} values for ${n} examples; rerun phase 1`,
    );
  // windows w = 0..E-J, each the changes t = w+1..w+J-1; the last weighs beta, each earlier (1 - beta) times less
  const weights = Float64Array.from({ length: E - J + 1 }, (_, w) => beta * (1 - beta) ** (E - J - w));
  const sum = new Float64Array(n);
  for (const r of used) addRun(r.probs!, n, C, E, J, weights, sum);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = sum[i]! / used.length;
  return out;
}

const TDDS: ScoreColumn = {
  name: 'tdds',
  doc: 'temporal dual-depth score: decay-weighted std of the epoch-to-epoch KL change (NaN: no probs, or < 3 epochs)',
  digits: 6,
  compute: (_rec, ctx) => tddsScore(ctx),
};

const rank = byScore(TDDS, 'desc');

export const tdds: SelectionMethod<'tdds'> = {
  name: 'tdds',
  title: 'TDDS',
  doc: 'the k of highest temporal dual-depth score (variability of the epoch-to-epoch KL change)',
  citation: 'Zhang et al. 2024',
  columns: [TDDS],
  options: {
    window: { kind: 'int', default: 10, min: 3, doc: 'epochs per window J (capped at the used epochs)' },
    decay: { kind: 'number', default: 0.9, above: 0, max: 1, doc: 'EMA factor beta: the last window weighs beta' },
  },
  keys: (ctx) => {
    const values = scoreOf(ctx, TDDS);
    if (ctx.records && ctx.records.epochsUsed < 3 && ctx.scores?.tdds === undefined)
      throw new Error(
        `selection method tdds: ${ctx.records.epochsUsed} epochs used; it needs at least 3 (two changes between ` +
          'epochs): raise phase1.epochs or pruning.epochs_used',
      );
    refuseNaN(values, () => missingField('tdds', 'probs'));
    return rank(ctx);
  },
};
