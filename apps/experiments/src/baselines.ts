// Baselines of the same size as an H subset (method.md section 3). Each takes the per-example scores of the
// scores job and k, and returns k ids. Where the scoring lives in a lib that has not landed yet, the entry says
// which lib and the run stops before any training (checkMethodsAvailable).
import { ambiguousSubset, randomSubset, topK } from '@prunelab/pruning';
import type { Baseline } from './schema.ts';

export interface ExampleScores {
  ids: string[];
  labels: number[];
  h: Uint8Array;
  confidence: Float32Array;
  variability: Float32Array;
  correctness: Float32Array;
}

type Pick = (s: ExampleScores, k: number, seed: number) => string[];

const notYet = (what: string): Pick => () => {
  throw new Error(`baseline needs ${what}, which has not landed yet`);
};

export const BASELINES: Record<Baseline, { pick: Pick; needs?: string; doc: string }> = {
  random: { pick: (s, k, seed) => randomSubset(s.ids, k, seed), doc: 'the first k of a seeded permutation' },
  ambiguous: { pick: (s, k) => ambiguousSubset(s.ids, s.variability, k), doc: 'the k most variable (dataset cartography)' },
  easy: { pick: (s, k) => topK(s.ids, s.confidence, k, 'desc'), doc: 'the k of highest confidence (cartography easy-to-learn)' },
  hard: { pick: (s, k) => topK(s.ids, s.confidence, k, 'asc'), doc: 'the k of lowest confidence (cartography hard-to-learn)' },
  // SEAM(libs/pruning class-balanced baselines)
  random_balanced: { pick: notYet('libs/pruning class-balanced random'), needs: 'libs/pruning (class-balanced random subset)', doc: 'random with the class proportions of the full set' },
  // SEAM(libs/dynamics forgetting / EL2N / AUM)
  forgetting: { pick: notYet('libs/dynamics forgetting events'), needs: 'libs/dynamics (forgetting events)', doc: 'the k most forgotten (Toneva et al. 2019)' },
  el2n: { pick: notYet('libs/dynamics EL2N'), needs: 'libs/dynamics (EL2N from full probabilities)', doc: 'the k of highest EL2N (Paul et al. 2021)' },
  aum: { pick: notYet('libs/dynamics AUM'), needs: 'libs/dynamics (area under the margin)', doc: 'the k of lowest AUM (Pleiss et al. 2020)' },
};

/** Every configured method that cannot run yet, as one message; undefined when all can. */
export function unavailableMethods(methods: string[]): string | undefined {
  const missing = methods.filter((m) => m in BASELINES && BASELINES[m as Baseline].needs).map((m) => `${m} (needs ${BASELINES[m as Baseline].needs})`);
  return missing.length ? `phase2.methods lists baselines that cannot run in this checkout yet: ${missing.join('; ')}. Remove them or wait for those libs.` : undefined;
}
