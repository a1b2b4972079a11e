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

/** ln(max(p, 1e-8)) of every float32 in `p` (NaN stays NaN). */
export function lnClamped(p: Float32Array, out: Float64Array): void {
  const bits = new Uint32Array(p.buffer, p.byteOffset, p.length);
  const shift = 23 - TABLE_BITS;
  const lowMask = (1 << shift) - 1;
  const scale = 1 / (1 << shift);
  for (let i = 0; i < bits.length; i++) {
    let u = bits[i]!;
    if (u > 0x7f800000 && u < 0x80000000) {
      out[i] = NaN;
      continue;
    }
    if (u < EPS_BITS || u >= 0x80000000) u = EPS_BITS; // below 1e-8, zero, or negative
    const j = (u >>> shift) & ((1 << TABLE_BITS) - 1);
    const a = LN_TABLE[j]!;
    out[i] = ((u >>> 23) - 127) * Math.LN2 + a + (u & lowMask) * scale * (LN_TABLE[j + 1]! - a);
  }
}

/** g_t for one run: changes[t - 1][i], t = 1..E-1. */
function changes(probs: Float32Array[], n: number, C: number, E: number): Float32Array[] {
  let prev = new Float64Array(n * C);
  let cur = new Float64Array(n * C);
  lnClamped(probs[0]!, prev);
  const out: Float32Array[] = [];
  for (let t = 1; t < E; t++) {
    const p = probs[t]!;
    lnClamped(p, cur);
    const g = new Float32Array(n);
    klRows(p, cur, prev, C, g);
    out.push(g);
    [prev, cur] = [cur, prev];
  }
  return out;
}

function klRows(p: Float32Array, lnP: Float64Array, lnQ: Float64Array, C: number, g: Float32Array): void {
  for (let i = 0; i < g.length; i++) {
    let s = 0;
    for (let c = i * C; c < i * C + C; c++) s += p[c]! * Math.abs(lnP[c]! - lnQ[c]!);
    g[i] = s;
  }
}

/** The TDDS of every example: NaN when the records hold no probabilities or fewer than 3 epochs are used. */
export function tddsScore(ctx: SelectionContext): Float32Array {
  const rec = ctx.records!;
  const n = ctx.pool.ids.length;
  const used = runsWith(rec, 'probs');
  const E = rec.epochsUsed;
  if (!used || E < 3) return new Float32Array(n).fill(NaN);
  const opts = optionsOf(ctx, tdds);
  const J = Math.min(Number(opts.window), E);
  const beta = Number(opts.decay);
  const C = n ? used[0]!.probs![0]!.length / n : 1;
  if (!Number.isInteger(C) || C < 1)
    throw new Error(
      `tdds: the probabilities hold ${used[0]!.probs![0]!.length} values for ${n} examples; rerun phase 1`,
    );
  const sum = new Float64Array(n);
  for (const r of used) {
    const g = changes(r.probs!, n, C, E);
    const W = E - J; // windows w = 0..W, each of the changes t = w+1..w+J-1 (g[w..w+J-2])
    for (let w = 0; w <= W; w++) windowStd(g, w, J - 1, beta * (1 - beta) ** (W - w), sum);
  }
  return Float32Array.from(sum, (s) => s / used.length);
}

/** sum[i] += weight * population std of g[w][i] .. g[w+m-1][i]. */
function windowStd(g: Float32Array[], w: number, m: number, weight: number, sum: Float64Array): void {
  for (let i = 0; i < sum.length; i++) {
    let mean = 0;
    for (let t = w; t < w + m; t++) mean += g[t]![i]!;
    mean /= m;
    let v = 0;
    for (let t = w; t < w + m; t++) v += (g[t]![i]! - mean) ** 2;
    sum[i]! += weight * Math.sqrt(v / m);
  }
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
