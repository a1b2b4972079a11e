// SemDeDup (Abbas et al. 2023): spherical k-means (seeded by pruning.random_seed) of the unit-length embeddings
// (last epoch, first used run); within each cluster the examples are ordered by cosine similarity to the
// centroid, farthest first (equal: the smaller id), and an example is a duplicate when its cosine similarity to
// any example before it exceeds `threshold` - so of each group of near-duplicates the one farthest from the
// centroid stays (the paper's rule). The ranking keeps the non-duplicates first, then the duplicates, each in the
// seeded random order of `random`: SemDeDup followed by random pruning to size k.
// Threshold 0.95 (the paper's epsilon = 0.05 range): pooled sentence embeddings of a fine-tuned classifier put
// paraphrases of one label close together, so a lower threshold removes same-label examples that are not copies.
import { kMeans, dotsWith } from '../vectors.ts';
import { embeddingOf, needEmbedding } from './fields.ts';
import { seededKeys } from './random.ts';
import { memo, optionsOf, seedOf, type ScoreColumn, type SelectionContext, type SelectionMethod } from './method.ts';

/** 1 for a duplicate, 0 for a kept example. */
export function duplicates(ctx: SelectionContext): Uint8Array {
  return memo(ctx, 'semdedup:dup', () => {
    const e = needEmbedding(ctx, 'semdedup');
    const o = optionsOf(ctx, semdedup);
    const seed = seedOf(ctx, 'semdedup');
    const n = e.n;
    const clusters = Number(o.clusters) || Math.max(1, Math.ceil(Math.sqrt(n)));
    const km = kMeans(e.unit, n, e.dim, {
      clusters,
      iterations: Number(o.iterations),
      seed,
      order: ctx.pool.byId,
      sample: 32 * clusters,
    });
    const threshold = Number(o.threshold);
    const rank = new Uint32Array(n);
    for (let j = 0; j < n; j++) rank[ctx.pool.byId[j]!] = j;
    const byCluster: number[][] = Array.from({ length: km.clusters }, () => []);
    for (let i = 0; i < n; i++) byCluster[km.assign[i]!]!.push(i);
    const dup = new Uint8Array(n);
    const sims = new Float32Array(n);
    const toCentre = new Float32Array(1);
    for (const [q, members] of byCluster.entries()) {
      const simC = new Map<number, number>();
      for (const i of members) {
        dotsWith(e.unit, i, km.centroids, Uint32Array.of(q), 1, e.dim, toCentre);
        simC.set(i, toCentre[0]!);
      }
      members.sort((a, b) => simC.get(a)! - simC.get(b)! || rank[a]! - rank[b]!);
      const before = Uint32Array.from(members);
      for (let j = 1; j < members.length; j++) {
        dotsWith(e.unit, members[j]!, e.unit, before, j, e.dim, sims);
        for (let p = 0; p < j; p++) {
          if (sims[p]! > threshold) {
            dup[members[j]!] = 1;
            break;
          }
        }
      }
    }
    return dup;
  });
}

const SEMDEDUP: ScoreColumn = {
  name: 'semdedup',
  doc: '1: a SemDeDup near-duplicate of an example kept in its cluster, 0: kept (NaN: no embeddings or not in the grid)',
  costly: true,
  compute: (_rec, ctx) => {
    if (!embeddingOf(ctx) || ctx.seed === undefined) return new Float32Array(ctx.pool.ids.length).fill(NaN);
    return Float32Array.from(duplicates(ctx));
  },
};

export const semdedup: SelectionMethod<'semdedup'> = {
  name: 'semdedup',
  title: 'SemDeDup',
  doc: 'near-duplicates (cosine above threshold within k-means clusters) last, the rest in seeded random order',
  citation: 'Abbas et al. 2023',
  columns: [SEMDEDUP],
  seeded: true,
  labelFree: true,
  options: {
    clusters: { kind: 'int', default: 0, min: 0, doc: 'k-means clusters; 0: ceil(sqrt(n))' },
    iterations: { kind: 'int', default: 10, min: 1, doc: 'k-means iterations (on a sample of 32 per cluster)' },
    threshold: {
      kind: 'number',
      default: 0.95,
      min: -1,
      max: 1,
      doc: 'cosine similarity above which a pair is a duplicate',
    },
  },
  keys: (ctx) => {
    const dup = duplicates(ctx);
    const keys = seededKeys(ctx, 'semdedup');
    const hi = new Uint32Array(dup.length); // a copy: the permutation keys are shared
    for (let i = 0; i < hi.length; i++) hi[i] = (keys.hi![i]! | (dup[i]! << 21)) >>> 0; // hash hi has 21 bits
    return { hi, lo: keys.lo };
  },
};
