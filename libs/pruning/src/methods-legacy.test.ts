// The registry draws exactly the subsets the code before it drew (same ids, same order) from the same phase-1
// records, and computes the same score columns bit for bit. Below is a frozen copy of that code
// (apps/experiments/src/baselines.ts exampleScores + pickBaseline over libs/pruning/src/baselines.ts, as of
// commit 9660e4e), written with the primitives it used; it is compared on random records.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 as rng } from '@prunelab/core';
import { aum, cartography, el2nFromGoldProb, el2nScore, forgetting, type RunRecord } from '@prunelab/dynamics';
import { idPool, type IdPool } from './id-pool.ts';
import { scoreColumns, SELECTION_METHOD_NAMES, selectionMethod } from './methods/index.ts';
import { scoreOf, selectIds, selectionContext } from './methods/method.ts';
import { permutationKeys } from './random-subset.ts';
import { balancedTake, checkK, type Order, rankIndices, rankTop } from './rank.ts';
import { sortKeys } from './radix.ts';

// ---- frozen: the code before the registry -------------------------------------------------------------------
interface OldScores {
  pool: IdPool;
  classes: Int32Array;
  variability: Float32Array;
  confidence: Float32Array;
  forgetting: Float32Array;
  el2n: Float32Array;
  aum: Float32Array;
}
const OLD_RULES: Record<string, { score: 'variability' | 'confidence' | 'forgetting' | 'el2n'; order: Order }> = {
  ambiguous: { score: 'variability', order: 'desc' },
  forgetting: { score: 'forgetting', order: 'desc' },
  el2n: { score: 'el2n', order: 'desc' },
  easy: { score: 'confidence', order: 'desc' },
  hard: { score: 'confidence', order: 'asc' },
};
type OldOpts = { seed?: number; classes?: Int32Array };
function oldBaselineSubset(pool: IdPool, method: string, k: number, s: OldScores, opts: OldOpts): string[] {
  checkK(`baseline ${method}`, k, pool.ids.length);
  const keys =
    method === 'random'
      ? permutationKeys(pool.ids, opts.seed!)
      : sortKeys(s[OLD_RULES[method]!.score], OLD_RULES[method]!.order, (i) => `id "${pool.ids[i]}"`);
  const top = rankTop(pool, keys, k, opts.classes);
  return Array.from(opts.classes ? balancedTake(top, opts.classes, k) : top.slice(0, k), (i) => pool.ids[i]!);
}
type Carto = { variability: Float32Array; confidence: Float32Array };
function oldExampleScores(
  ids: string[],
  classes: Int32Array,
  numClasses: number,
  records: RunRecord[],
  carto: Carto,
  R: number,
  E: number,
): OldScores {
  const use = { runsUsed: R, epochsUsed: E };
  const correct = records.map((r) => r.correct);
  const el2nRecorded = records.slice(0, R).every((r) => r.el2n);
  const el2n = el2nRecorded
    ? el2nScore(
        records.map((r) => r.el2n!),
        0,
        { runsUsed: R },
      )
    : numClasses === 2
      ? el2nFromGoldProb(
          records.map((r) => r.goldProb),
          2,
          0,
          { runsUsed: R },
        )
      : new Float32Array(ids.length).fill(NaN);
  return {
    pool: idPool(ids),
    classes,
    variability: carto.variability,
    confidence: carto.confidence,
    forgetting: forgetting(correct, use).score,
    el2n,
    aum: aum(
      records.map((r) => r.margin),
      use,
    ),
  };
}
const LEGACY = ['random', 'random_balanced', 'ambiguous', 'easy', 'hard', 'forgetting', 'el2n', 'aum'];
function oldPick(method: string, s: OldScores, k: number, seed: number): string[] {
  switch (method) {
    case 'random':
      return oldBaselineSubset(s.pool, 'random', k, s, { seed });
    case 'random_balanced':
      return oldBaselineSubset(s.pool, 'random', k, s, { seed, classes: s.classes });
    case 'aum':
      return Array.from(rankIndices(s.pool, s.aum, 'asc').slice(0, k), (i) => s.pool.ids[i]!);
    case 'el2n':
      if (s.el2n.some((v) => Number.isNaN(v))) throw new Error('baseline el2n: no EL2N');
      return oldBaselineSubset(s.pool, 'el2n', k, s, {});
    default:
      return oldBaselineSubset(s.pool, method, k, s, {});
  }
}
// ---------------------------------------------------------------------------------------------------------------

/** Phase-1-like records: a difficulty per example, coarse probabilities (ties), el2n kept or not. */
function records(next: () => number, R: number, E: number, n: number, withEl2n: boolean): RunRecord[] {
  const skill = Array.from({ length: n }, () => next());
  return Array.from({ length: R }, (_, r) => {
    const rec: RunRecord = {
      header: { run: r } as RunRecord['header'],
      correct: [],
      goldProb: [],
      loss: [],
      margin: [],
      ...(withEl2n ? { el2n: [] } : {}),
    };
    for (let e = 0; e < E; e++) {
      const q = (s: number) => Math.min(1, Math.max(0, s + 0.2 * (e / E) + 0.4 * (next() - 0.5)));
      const p = Float32Array.from(skill, (s) => Math.round(20 * q(s)) / 20);
      rec.goldProb.push(p);
      rec.correct.push(Uint8Array.from(p, (q) => (q > 0.5 ? 1 : 0)));
      rec.margin.push(Float32Array.from(p, (q) => Math.round(8 * (q - 0.5)) / 2));
      rec.loss.push(Float32Array.from(p, (q) => -Math.log(Math.max(q, 1e-6))));
      rec.el2n?.push(Float32Array.from(p, (q) => Math.SQRT2 * (1 - q) + (next() < 0.3 ? 0.01 : 0)));
    }
    return rec;
  });
}

test('the registry draws the old subsets and score columns from the same records (120 random record sets)', () => {
  const next = rng(2026);
  let compared = 0;
  for (let trial = 0; trial < 120; trial++) {
    const n = 1 + Math.floor(next() * 300);
    const Rall = 1 + Math.floor(next() * 6);
    const Eall = 1 + Math.floor(next() * 4);
    const R = 1 + Math.floor(next() * Rall);
    const E = 1 + Math.floor(next() * Eall);
    const numClasses = 2 + Math.floor(next() * 3);
    const all = records(next, Rall, Eall, n, next() < 0.6);
    const used = all.slice(0, R);
    const ids = Array.from({ length: n }, (_, i) => `${Math.floor(next() * 1e9).toString(16)}-${i}`);
    const classes = Int32Array.from(ids, () => Math.floor(next() * numClasses));
    const seed = Math.floor(next() * 10000);
    // as scores.ts did: the cartography of the used runs and epochs, the rest from the used runs
    const carto = cartography(
      used.map((r) => r.goldProb.slice(0, E)),
      used.map((r) => r.correct.slice(0, E)),
    );
    const old = oldExampleScores(ids, classes, numClasses, used, carto, R, E);
    // the app passes the used runs; passing every run with runsUsed must give the same
    for (const runs of [used, all]) {
      const records = { runs, runsUsed: R, epochsUsed: E, numClasses };
      const ctx = selectionContext({ pool: idPool(ids), classes, seed, records });
      const { forgetting: f, el2n: e, aum: a } = old;
      const oldColumns: Record<string, Float32Array> = { ...carto, forgetting: f, el2n: e, aum: a };
      // the columns and methods of the code before the registry (the newer ones have their own tests)
      for (const c of scoreColumns().filter((x) => x.name in oldColumns)) {
        const v = scoreOf(ctx, c);
        assert.ok(v instanceof Float32Array, c.name);
        const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
        assert.deepEqual(bytes(v), bytes(oldColumns[c.name]!), `${c.name}, trial ${trial}`);
      }
      for (const k of [0, n, Math.floor(next() * (n + 1)), Math.floor(next() * (n + 1))]) {
        for (const name of SELECTION_METHOD_NAMES.filter((x) => LEGACY.includes(x))) {
          let want: string[] | Error;
          try {
            want = oldPick(name, old, k, seed);
          } catch (e) {
            want = e as Error;
          }
          if (want instanceof Error) {
            assert.throws(() => selectIds(ctx, selectionMethod(name), k), /hold no EL2N/, `${name}: refused before`);
            continue;
          }
          assert.deepEqual(selectIds(ctx, selectionMethod(name), k), want, `${name}, k = ${k}, trial ${trial}`);
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 120 * 2 * 4 * 7, `only ${compared} subsets compared`);
});
