// Moderate coreset (Xia et al. 2023): per class, the Euclidean distance d of each example's embedding (last epoch,
// first used run) to its class mean; the kept examples are those whose d is nearest the class median d (ranked by
// |d - median|, ascending), k split over the classes in proportion to their sizes.
import { embeddingOf, missingField, refuseNaN } from './fields.ts';
import { byScore, scoreOf, type ScoreColumn, type SelectionContext, type SelectionMethod } from './method.ts';

/** |d - median of its class| per example; NaN without embeddings or classes. */
export function moderateScore(ctx: SelectionContext): Float32Array {
  const n = ctx.pool.ids.length;
  const e = embeddingOf(ctx);
  const cls = ctx.classes;
  if (!e || !cls) return new Float32Array(n).fill(NaN);
  const C = n ? Math.max(...Array.from(cls)) + 1 : 0;
  const dim = e.dim;
  const mean = new Float64Array(C * dim);
  const count = new Float64Array(C);
  for (let i = 0; i < n; i++) {
    const c = cls[i]!;
    count[c]!++;
    for (let t = 0; t < dim; t++) mean[c * dim + t]! += e.data[i * dim + t]!;
  }
  for (let c = 0; c < C; c++) for (let t = 0; t < dim; t++) mean[c * dim + t]! /= count[c]! || 1;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const c = cls[i]!;
    let s = 0;
    for (let t = 0; t < dim; t++) s += (e.data[i * dim + t]! - mean[c * dim + t]!) ** 2;
    d[i] = Math.sqrt(s);
  }
  const median = new Float64Array(C);
  for (let c = 0; c < C; c++) {
    const of = d.filter((_, i) => cls[i] === c).sort();
    const h = of.length >> 1;
    median[c] = of.length === 0 ? 0 : of.length % 2 ? of[h]! : (of[h - 1]! + of[h]!) / 2;
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.abs(d[i]! - median[cls[i]!]!);
  return out;
}

const MODERATE: ScoreColumn = {
  name: 'moderate',
  doc: '|distance to the class mean embedding - the class median of that distance| (NaN: no embeddings)',
  digits: 5,
  compute: (_rec, ctx) => moderateScore(ctx),
};

const rank = byScore(MODERATE, 'asc');

export const moderate: SelectionMethod<'moderate'> = {
  name: 'moderate',
  title: 'moderate coreset',
  doc: 'per class, the k whose embedding distance to the class mean is nearest the median',
  citation: 'Xia et al. 2023',
  columns: [MODERATE],
  balanced: true,
  keys: (ctx) => {
    if (!ctx.classes) throw new Error('selection method moderate: no classes given; pass classes (one per example)');
    refuseNaN(scoreOf(ctx, MODERATE), () => missingField('moderate', 'embedding'));
    return rank(ctx);
  },
};
