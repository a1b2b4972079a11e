// Baselines of the same size as an H subset (method.md section 3), drawn by libs/pruning from the per-example
// scores libs/dynamics computes from the phase-1 records (the same runs_used / epochs_used as the H-score).
import { aum, el2nFromGoldProb, el2nScore, forgetting, type RunRecord } from '@prunelab/dynamics';
import { baselineSubset, idPool, idsAt, rankIndices, type BaselineScores, type IdPool } from '@prunelab/pruning';
import type { Baseline } from './schema.ts';

export interface ExampleScores extends BaselineScores {
  pool: IdPool;
  variability: Float32Array;
  confidence: Float32Array;
  forgetting: Float32Array;
  el2n: Float32Array;
  /** class index per example, in pool (training set) order */
  classes: Int32Array;
  aum: Float32Array;
}

export const BASELINE_DOCS: Record<Baseline, string> = {
  random: 'the first k of a seeded permutation',
  random_balanced: 'seeded random, k split over the classes in proportion to their sizes',
  ambiguous: 'the k most variable (dataset cartography)',
  easy: 'the k of highest confidence (cartography easy-to-learn)',
  hard: 'the k of lowest confidence (cartography hard-to-learn)',
  forgetting: 'the k most forgotten, never-learned first (Toneva et al. 2019)',
  el2n: 'the k of highest EL2N in the first epoch (Paul et al. 2021)',
  aum: 'the k of lowest area under the margin (Pleiss et al. 2020)',
};

/** Every score a baseline can rank by, from the first R runs and E epochs of the records. */
export function exampleScores(ids: string[], classes: Int32Array, numClasses: number, records: RunRecord[], cartography: { variability: Float32Array; confidence: Float32Array }, R: number, E: number): ExampleScores {
  const use = { runsUsed: R, epochsUsed: E };
  const correct = records.map((r) => r.correct);
  const el2nRecorded = records.slice(0, R).every((r) => r.el2n);
  // EL2N "early in training": the first epoch's value, exact when recorded, else from the gold probability (2 classes)
  const el2n = el2nRecorded ? el2nScore(records.map((r) => r.el2n!), 0, { runsUsed: R })
    : numClasses === 2 ? el2nFromGoldProb(records.map((r) => r.goldProb), 2, 0, { runsUsed: R }) : new Float32Array(ids.length).fill(NaN);
  return {
    pool: idPool(ids), classes, variability: cartography.variability, confidence: cartography.confidence,
    forgetting: forgetting(correct, use).score, el2n, aum: aum(records.map((r) => r.margin), use),
  };
}

export function pickBaseline(method: Baseline, s: ExampleScores, k: number, seed: number): string[] {
  switch (method) {
    case 'random': return baselineSubset(s.pool, 'random', k, s, { seed });
    case 'random_balanced': return baselineSubset(s.pool, 'random', k, s, { seed, classes: s.classes });
    case 'aum': return idsAt(s.pool, rankIndices(s.pool, s.aum, 'asc').slice(0, k));
    case 'el2n':
      if (s.el2n.some((v) => Number.isNaN(v))) throw new Error('baseline el2n: the phase-1 records hold no EL2N and the task has more than 2 classes; rerun phase 1 (records now keep el2n)');
      return baselineSubset(s.pool, 'el2n', k, s);
    default: return baselineSubset(s.pool, method, k, s);
  }
}

/** Kept for callers that check before a run: every baseline is available now. */
export function unavailableMethods(_methods: string[]): string | undefined {
  return undefined;
}
