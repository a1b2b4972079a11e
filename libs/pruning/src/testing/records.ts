// Hand-built phase-1 records for the selection-method tests.
import type { RunRecord } from '@prunelab/dynamics';
import type { PhaseOneRecords } from '../methods/method.ts';

/** A run record with whatever fields a test gives (the four always-recorded ones default to empty). */
export function record(fields: Partial<RunRecord>): RunRecord {
  return { header: {} as RunRecord['header'], correct: [], goldProb: [], loss: [], margin: [], ...fields };
}

/** Random records with every field: R runs x E epochs, n examples, C classes, embeddings of dim. */
export function fullRecords(next: () => number, R: number, E: number, n: number, C: number, dim: number) {
  const skill = Array.from({ length: n }, () => next());
  const runs = Array.from({ length: R }, () => {
    const goldProb = Array.from({ length: E }, (_, e) =>
      Float32Array.from(skill, (s) => Math.min(1, Math.max(0, s * 0.8 + 0.1 * e + 0.2 * (next() - 0.5)))),
    );
    const probs = goldProb.map((g) => {
      const p = new Float32Array(n * C);
      for (let i = 0; i < n; i++) {
        p[i * C] = g[i]!;
        for (let c = 1; c < C; c++) p[i * C + c] = (1 - g[i]!) / (C - 1);
      }
      return p;
    });
    return record({
      goldProb,
      probs,
      correct: goldProb.map((g) => Uint8Array.from(g, (q) => (q > 0.5 ? 1 : 0))),
      margin: goldProb.map((g) => Float32Array.from(g, (q) => Math.round(8 * (q - 0.5)) / 2)), // coarse: ties
      el2n: goldProb.map((g) => Float32Array.from(g, (q) => Math.SQRT2 * (1 - q))),
      grand: goldProb.map((g) => Float32Array.from(g, (q) => Math.round(10 * (1 - q)) / 10)),
      embedding: { dim, epoch: E - 1, data: Float32Array.from({ length: n * dim }, () => next() - 0.5) },
    });
  });
  return { runs, runsUsed: R, epochsUsed: E, numClasses: C } satisfies PhaseOneRecords;
}
