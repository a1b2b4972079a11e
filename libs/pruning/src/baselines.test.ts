import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BASELINES, baselineIndices, baselineRanking, baselineSubset, baselineTop, takeK, type BaselineScores } from './baselines.ts';
import { idPool } from './id-pool.ts';
import { randomSubset } from './random-subset.ts';
import { classCounts, classQuotas } from './rank.ts';
import { matchedK } from './matched-size.ts';
import { mulberry32 as rng } from '@prunelab/core';


const ids = ['f', 'c', 'a', 'e', 'b', 'd'];
const classes = [0, 1, 0, 1, 0, 1]; // f a b | c e d
const scores: BaselineScores = {
  variability: [0.1, 0.4, 0.4, 0.0, 0.2, 0.3],
  confidence: [0.9, 0.5, 0.2, 0.95, 0.6, 0.1],
  forgetting: [0, 3, 1, 0, 1, 1],
  el2n: [0.2, 0.9, 1.1, 0.05, 0.7, 1.3],
};

test('each baseline by hand (k = 3), ties to the smaller id', () => {
  const pool = idPool(ids);
  const pick = (m: (typeof BASELINES)[number]) => baselineSubset(pool, m, 3, scores, { seed: 7 });
  assert.deepEqual(pick('ambiguous'), ['a', 'c', 'd']); // 0.4 (a, c tie), 0.3
  assert.deepEqual(pick('forgetting'), ['c', 'a', 'b']); // 3, then the 1s a, b (d left out)
  assert.deepEqual(pick('el2n'), ['d', 'a', 'c']); // 1.3, 1.1, 0.9
  assert.deepEqual(pick('easy'), ['e', 'f', 'b']); // confidence 0.95, 0.9, 0.6
  assert.deepEqual(pick('hard'), ['d', 'a', 'c']); // confidence 0.1, 0.2, 0.5
  assert.deepEqual(pick('random'), randomSubset(ids, 3, 7)); // the first k of the seeded permutation
});

test('class-balanced variants by hand: quotas 2 + 1 for classes of 3 + 3', () => {
  const pool = idPool(ids);
  const pick = (m: (typeof BASELINES)[number]) => baselineSubset(pool, m, 3, scores, { seed: 7, classes });
  assert.deepEqual(pick('ambiguous'), ['a', 'c', 'b']); // ranking a c d b f e: d skipped (class 1 full)
  assert.deepEqual(pick('easy'), ['e', 'f', 'b']);
  assert.deepEqual(pick('hard'), ['d', 'a', 'b']); // ranking d a c b ...: c skipped
  const r = pick('random');
  assert.equal(r.filter((id) => 'fab'.includes(id)).length, 2);
});

test('every baseline returns exactly k distinct ids, deterministic, independent of input order (200 random sets)', () => {
  const next = rng(99);
  for (let trial = 0; trial < 200; trial++) {
    const n = Math.floor(next() * 80);
    const ids = Array.from({ length: n }, (_, i) => `x${Math.floor(next() * 1e6)}-${i}`);
    const C = 1 + Math.floor(next() * 4);
    const cls = Int32Array.from(ids, () => Math.floor(next() * C));
    const sc: Required<BaselineScores> = {
      variability: Float32Array.from(ids, () => Math.floor(next() * 5) / 10), // coarse: many ties
      confidence: Float32Array.from(ids, () => next()),
      forgetting: Float32Array.from(ids, () => Math.floor(next() * 3)),
      el2n: Float32Array.from(ids, () => next() * 1.4),
    };
    const k = Math.floor(next() * (n + 1));
    const seed = Math.floor(next() * 1000);
    // the same examples in reverse order
    const rev = <T extends ArrayLike<number>>(a: T) => Array.from(a).reverse();
    const revPool = idPool([...ids].reverse());
    const revScores = { variability: rev(sc.variability), confidence: rev(sc.confidence), forgetting: rev(sc.forgetting), el2n: rev(sc.el2n) };
    const pool = idPool(ids);
    for (const m of BASELINES) {
      for (const balanced of [false, true]) {
        const opts = { seed, ...(balanced ? { classes: cls } : {}) };
        const a = baselineSubset(pool, m, k, sc, opts);
        // the cheap prefix ranking gives what the full ranking gives
        assert.deepEqual(Array.from(baselineIndices(pool, m, k, sc, opts)), Array.from(takeK(baselineRanking(pool, m, sc, opts), k, opts.classes)));
        assert.equal(a.length, k);
        assert.equal(new Set(a).size, k);
        assert.deepEqual(baselineSubset(pool, m, k, sc, opts), a);
        const b = baselineSubset(revPool, m, k, revScores, { seed, ...(balanced ? { classes: rev(cls) } : {}) });
        assert.deepEqual(b, a, `${m} balanced=${balanced} depends on input order`);
        if (balanced && n > 0) {
          const got = classCounts(Array.from(baselineIndices(pool, m, k, sc, opts), (i) => cls[i]!));
          const want = classQuotas(classCounts(cls), k);
          want.forEach((q, c) => assert.equal(got[c] ?? 0, q, `${m}: class ${c}`));
        }
      }
    }
  }
});

test('random baseline: seeds differ, errors name what is missing', () => {
  const ids = Array.from({ length: 500 }, (_, i) => `id-${i}`);
  const pool = idPool(ids);
  const a = new Set(baselineSubset(pool, 'random', 100, {}, { seed: 1 }));
  const overlap = baselineSubset(pool, 'random', 100, {}, { seed: 2 }).filter((id) => a.has(id)).length;
  assert.ok(overlap < 45, `seeds 1 and 2 share ${overlap} of 100 ids (expected about 20)`);
  assert.throws(() => baselineSubset(pool, 'random', 1, {}), /no seed given/);
  assert.throws(() => baselineSubset(pool, 'el2n', 1, {}), /needs scores\.el2n/);
  assert.throws(() => baselineSubset(pool, 'easy', 501, {}), /k = 501 is out of range/);
  assert.throws(() => baselineSubset(pool, 'nope' as 'easy', 1, {}), /"nope" is unknown/);
});

test('matchedK: a given size, a fraction, or the size of a named H subset', () => {
  assert.equal(matchedK(10, { size: 4 }), 4);
  assert.equal(matchedK(10, { fraction: 0.25 }), 3); // 2.5 rounds up
  assert.equal(matchedK(10, { fraction: 0.24 }), 2);
  // H histogram for R = 6: [H=0: 3, 1: 1, 2: 2, 3: 0, 4: 1, 5: 1, 6: 2] (10 examples)
  const histogram = [3, 1, 2, 0, 1, 1, 2];
  assert.equal(matchedK(10, { hSubset: '06', histogram }), 5); // H in 1..5
  assert.equal(matchedK(10, { hSubset: '0126', histogram }), 2); // H in 3..5
  assert.equal(matchedK(10, { hSubset: '012356', histogram }), 1); // H = 4
  assert.throws(() => matchedK(11, { hSubset: '06', histogram }), /counts 10 examples but the set has 11/);
  assert.throws(() => matchedK(10, { fraction: 1.5 }), /fraction = 1\.5/);
  assert.throws(() => matchedK(10, { size: 11 }), /k = 11 is out of range/);
});

test('baselineTop at scale: a prefix of the full ranking that serves both the plain and the balanced k', () => {
  const next = rng(4);
  for (let trial = 0; trial < 6; trial++) {
    const n = 20000 + Math.floor(next() * 5000);
    const ids = Array.from({ length: n }, (_, i) => `s${i}`);
    const cls = Int32Array.from(ids, () => (next() < 0.8 ? 0 : 1 + Math.floor(next() * 3))); // one big class, three small
    const sc: Required<BaselineScores> = {
      variability: Float32Array.from(ids, () => Math.floor(next() * 50) / 100),
      confidence: Float32Array.from(ids, () => next() ** 3),
      forgetting: Float32Array.from(ids, () => Math.floor(next() * 4)),
      el2n: Array.from(ids, () => next() * 1.4), // float64 values: 64-bit keys
    };
    const pool = idPool(ids);
    const k = Math.floor(next() * n);
    for (const m of BASELINES) {
      const opts = { seed: trial, classes: cls };
      const full = baselineRanking(pool, m, sc, opts);
      const top = baselineTop(pool, m, k, sc, opts);
      assert.ok(top.length >= k && top.length <= n);
      assert.deepEqual(Array.from(top), Array.from(full.subarray(0, top.length)), `${m}: prefix`);
      assert.deepEqual(Array.from(takeK(top, k)), Array.from(full.subarray(0, k)));
      assert.deepEqual(Array.from(takeK(top, k, cls)), Array.from(takeK(full, k, cls)));
    }
  }
});
