import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allScores } from './all-scores.ts';
import { aum } from './aum.ts';
import { cartography } from './cartography.ts';
import { el2nScore } from './el2n.ts';
import { forgetting } from './forgetting.ts';
import { hHistogram, hScore } from './hscore.ts';
import { mulberry32 as rng } from '@prunelab/core';

/** Random records; some correctness bytes are 2 or 255 (any non-zero byte means correct), some probabilities repeat. */
function records(R: number, E: number, n: number, seed: number) {
  const next = rng(seed);
  const mk = <T>(f: () => T) => Array.from({ length: R }, () => Array.from({ length: E }, f));
  const correct = mk(() =>
    Uint8Array.from({ length: n }, () => {
      const u = next();
      return u < 0.45 ? 0 : u < 0.9 ? 1 : u < 0.95 ? 2 : 255;
    }),
  );
  const goldProb = mk(() => Float32Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 0.5 : next())));
  const margin = mk(() => Float32Array.from({ length: n }, () => 8 * (next() - 0.5)));
  const el2n = mk(() => Float32Array.from({ length: n }, () => Math.SQRT2 * next()));
  return { correct, goldProb, margin, el2n };
}

const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

test('allScores equals every single-score function bit for bit (random records, blocks cut mid-way)', () => {
  for (const [R, E, n] of [
    [6, 3, 9000],
    [6, 3, 8199],
    [1, 1, 10],
    [3, 2, 4097],
    [4, 5, 5000],
    [2, 3, 1],
    [2, 3, 6],
    [5, 4, 300],
    [85, 3, 50],
  ] as const) {
    const rec = records(R, E, n, 1000 * R + E);
    for (const el2nEpoch of [0, E - 1]) {
      const all = allScores(rec, { el2nEpoch });
      const what = `R = ${R}, E = ${E}, n = ${n}, el2n epoch ${el2nEpoch}`;
      const h = hScore(rec.correct);
      assert.deepEqual(bytes(all.h), bytes(h), `h, ${what}`);
      assert.deepEqual(all.histogram, hHistogram(h, R), `histogram, ${what}`);
      const c = cartography(rec.goldProb, rec.correct);
      for (const k of ['confidence', 'variability', 'correctness'] as const)
        assert.deepEqual(bytes(all.cartography[k]), bytes(c[k]), `${k}, ${what}`);
      const f = forgetting(rec.correct);
      for (const k of ['events', 'neverLearned', 'score'] as const)
        assert.deepEqual(bytes(all.forgetting[k]), bytes(f[k]), `${k}, ${what}`);
      assert.deepEqual(bytes(all.el2n!), bytes(el2nScore(rec.el2n, el2nEpoch)), `el2n, ${what}`);
      assert.deepEqual(bytes(all.aum!), bytes(aum(rec.margin)), `aum, ${what}`);
    }
  }
});

test(
  'allScores on correctness bytes that do not start on a word boundary (views into a file buffer) equals the ' +
    'aligned result',
  () => {
    const rec = records(6, 3, 5003, 42);
    const shifted = rec.correct.map((run) =>
      run.map((a) => {
        const buf = new Uint8Array(a.length + 1);
        buf.set(a, 1);
        return buf.subarray(1);
      }),
    );
    const a = allScores(rec);
    const b = allScores({ ...rec, correct: shifted });
    assert.deepEqual(bytes(b.h), bytes(a.h));
    assert.deepEqual(bytes(b.forgetting.score), bytes(a.forgetting.score));
    assert.deepEqual(bytes(b.cartography.correctness), bytes(a.cartography.correctness));
    assert.deepEqual(bytes(b.h), bytes(hScore(shifted)));
  },
);

test('allScores by hand: 2 runs x 2 epochs x 2 examples; margin and el2n optional', () => {
  const f32 = (...v: number[]) => Float32Array.from(v);
  const u8 = (...v: number[]) => Uint8Array.from(v);
  // example 0: run 0 correct at both epochs, run 1 correct then wrong; example 1: never correct
  const all = allScores({
    correct: [
      [u8(1, 0), u8(1, 0)],
      [u8(1, 0), u8(0, 0)],
    ],
    goldProb: [
      [f32(0.2, 0.5), f32(0.4, 0.5)],
      [f32(0.6, 0.5), f32(0.8, 0.5)],
    ],
  });
  assert.deepEqual([...all.h], [1, 0]);
  assert.deepEqual(all.histogram, [1, 1, 0]);
  assert.deepEqual([...all.forgetting.events], [1, 0]);
  assert.deepEqual([...all.forgetting.neverLearned], [0, 2]);
  assert.deepEqual([...all.forgetting.score], [1, 6]); // weight = 2 * floor(2 / 2) + 1 = 3
  assert.deepEqual([...all.cartography.correctness], [0.75, 0]);
  assert.ok(Math.abs(all.cartography.variability[0]! - Math.sqrt(0.05)) < 1e-6);
  assert.equal(all.aum, undefined);
  assert.equal(all.el2n, undefined);
});

test('allScores refuses records that do not fit together', () => {
  const r = records(2, 3, 10, 7);
  assert.throws(() => allScores({ ...r, goldProb: r.goldProb.slice(0, 1) }), /1 goldProb runs but 2 correct runs/);
  assert.throws(
    () => allScores({ ...r, margin: r.margin.map((run) => run.slice(0, 2)) }),
    /margin has 2 epochs of 10 examples but correct has 3 of 10/,
  );
  assert.throws(() => allScores(r, { el2nEpoch: 3 }), /el2nEpoch = 3; choose a 0-based epoch in 0\.\.2/);
  assert.throws(
    () => allScores({ ...r, correct: [r.correct[0]!, r.correct[1]!.slice(0, 2)] }),
    /different epoch counts/,
  );
});

test('the counting scores equal their definitions written plainly (any non-zero byte = correct)', () => {
  for (const [R, E, n] of [
    [6, 3, 3001],
    [3, 4, 500],
    [2, 1, 77],
  ] as const) {
    const rec = records(R, E, n, 7 * R + E);
    const all = allScores(rec);
    const hPlain = new Uint8Array(n);
    const events = new Uint16Array(n);
    const never = new Uint8Array(n);
    const hits = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      for (let r = 0; r < R; r++) {
        const ok = rec.correct[r]!.map((a) => a[i] !== 0);
        if (ok.every(Boolean)) hPlain[i]!++;
        if (!ok.some(Boolean)) never[i]!++;
        for (let e = 0; e + 1 < E; e++) if (ok[e] && !ok[e + 1]) events[i]!++;
        hits[i]! += ok.filter(Boolean).length;
      }
      hits[i] = hits[i]! / (R * E);
    }
    const what = `R = ${R}, E = ${E}`;
    assert.deepEqual(all.h, hPlain, what);
    assert.deepEqual(hScore(rec.correct), hPlain, what);
    assert.deepEqual(all.forgetting.events, events, what);
    assert.deepEqual(all.forgetting.neverLearned, never, what);
    assert.deepEqual(forgetting(rec.correct).neverLearned, never, what);
    assert.deepEqual(all.cartography.correctness, hits, what);
    assert.deepEqual(cartography(rec.goldProb, rec.correct).correctness, hits, what);
  }
});
