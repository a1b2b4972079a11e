// The newer selection methods on hand-built records with known answers: CCS fills its strata evenly, TDDS of a flat
// trajectory is 0 (and matches the formula written out with Math.log), GraNd ranks by the recorded field; every
// method returns exactly k distinct ids for several k, independent of the input order; ties go to the smaller id;
// a method without its record field says which config line records it; options are checked by key.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mulberry32 as rng } from '@prunelab/core';
import { idPool } from './id-pool.ts';
import { allocate } from './methods/ccs.ts';
import { SELECTION_METHODS, selectionMethod } from './methods/index.ts';
import { checkOptions, selectIds, selectIndices, selectionContext, type SelectionInput } from './methods/method.ts';
import { lnClamped, tddsScore } from './methods/tdds.ts';
import { seededPermutation } from './random-subset.ts';
import { fullRecords, record } from './testing/records.ts';

type Input = Omit<SelectionInput, 'pool'> & { ids: string[] };
const ctxOf = (input: Input) => selectionContext({ ...input, pool: idPool(input.ids) });

test('ccs: the budget is spread over the strata evenly, smallest stratum first', () => {
  // allocate: each stratum min(size, floor(left / strata left)), smallest first
  assert.deepEqual(allocate([10, 2, 5, 3], 8), [2, 2, 2, 2]);
  assert.deepEqual(allocate([10, 2, 5, 3], 14), [5, 2, 4, 3]); // 2 -> 2 (of 3), 3 -> 3 (of 4), 5 -> 4, 10 -> 5
  assert.deepEqual(allocate([0, 4, 4], 5), [0, 2, 3]); // empty strata take nothing; equal sizes: the lower first
  const next = rng(3);
  for (let t = 0; t < 300; t++) {
    const sizes = Array.from({ length: 1 + Math.floor(next() * 8) }, () => Math.floor(next() * 9));
    const total = sizes.reduce((a, b) => a + b, 0);
    const k = Math.floor(next() * (total + 1));
    const q = allocate(sizes, k);
    assert.equal(
      q.reduce((a, b) => a + b, 0),
      k,
      `sizes ${sizes} k ${k}: exactly k`,
    );
    q.forEach((x, s) => assert.ok(x <= sizes[s]!));
  }
  // aum (low = hard) over 0..4 with strata of width 1: sizes 2, 3, 5, 10
  const aum = [0, 0.5, 1.1, 1.2, 1.3, 2.1, 2.2, 2.3, 2.4, 2.5, 3.05, 3.1, 3.2, 3.3, 3.4, 3.5, 3.6, 3.7, 3.8, 4];
  const ids = aum.map((_, i) => `e${String(i).padStart(2, '0')}`);
  const stratumOf = (id: string) => Math.min(3, Math.floor(aum[ids.indexOf(id)]!));
  const counts = (picked: string[]) => [0, 1, 2, 3].map((s) => picked.filter((id) => stratumOf(id) === s).length);
  const ctx = ctxOf({ ids, seed: 5, scores: { aum }, options: { ccs: { beta: 0, strata: 4 } } });
  const ccs = selectionMethod('ccs');
  assert.deepEqual(counts(selectIds(ctx, ccs, 8)), [2, 2, 2, 2]);
  assert.deepEqual(counts(selectIds(ctx, ccs, 14)), [2, 3, 4, 5]);
  // random within a stratum: the first of the seeded permutation
  const perm = seededPermutation(ids, 5);
  const picked = new Set(selectIds(ctx, ccs, 8));
  for (const s of [0, 1, 2, 3]) {
    const want = perm.filter((id) => stratumOf(id) === s).slice(0, 2);
    assert.deepEqual(
      want.filter((id) => picked.has(id)),
      want,
      `stratum ${s}`,
    );
  }
  // beta 0.1 drops the 2 hardest (lowest aum: e00, e01); the strata are then cut over 1.1..4
  const dropped = ctxOf({ ids, seed: 5, scores: { aum }, options: { ccs: { beta: 0.1, strata: 4 } } });
  for (const k of [1, 5, 10, 18]) {
    const got = selectIds(dropped, ccs, k);
    assert.equal(got.length, k);
    assert.ok(!got.includes('e00') && !got.includes('e01'), `k ${k}: the hardest are dropped`);
  }
  // k above what is left after dropping: fewer are dropped (19 of 20: only e00)
  const all19 = selectIds(dropped, ccs, 19);
  assert.deepEqual([...all19].sort(), ids.slice(1));
  // h: low H is hard
  const hctx = ctxOf({ ids, seed: 5, scores: { h: aum.map((a) => Math.floor(a)) }, options: { ccs: { score: 'h' } } });
  assert.ok(!selectIds(hctx, ccs, 17).some((id) => stratumOf(id) === 0), 'H 0 dropped (beta 0.1 of 20 = 2)');
});

test('tdds: a flat trajectory scores 0; the score is the formula written out with Math.log', () => {
  // one example per row: C = 2, E = 3, two runs alike
  const flat = [0.7, 0.3];
  const moving = [
    [0.5, 0.5],
    [0.8, 0.2],
    [0.8, 0.2],
  ];
  const probs = (rows: number[][]) => rows.map((_, e) => Float32Array.from([...flat, ...rows[e]!]));
  const run = record({ probs: probs(moving) });
  const ctx = ctxOf({
    ids: ['flat', 'moving'],
    records: { runs: [run, run], runsUsed: 2, epochsUsed: 3, numClasses: 2 },
  });
  const s = tddsScore(ctx);
  assert.equal(s[0], 0);
  const f = Math.fround;
  const g1 = f(0.8) * Math.abs(Math.log(f(0.8)) - Math.log(0.5)) + f(0.2) * Math.abs(Math.log(f(0.2)) - Math.log(0.5));
  // one window of 3 epochs: the std of (g1, 0) is g1 / 2, weighted by beta = 0.9
  assert.ok(Math.abs(s[1]! - (0.9 * g1) / 2) < 1e-6, `${s[1]} vs ${(0.9 * g1) / 2}`);
  assert.deepEqual(selectIds(ctx, selectionMethod('tdds'), 1), ['moving']);
  // random trajectories, E = 5, window 3 (3 windows), decay 0.6: against a direct Math.log implementation
  const next = rng(8);
  const n = 50;
  const C = 3;
  const E = 5;
  const runs = Array.from({ length: 2 }, () =>
    record({
      probs: Array.from({ length: E }, () => {
        const p = new Float32Array(n * C);
        for (let i = 0; i < n; i++) {
          const raw = [next(), next() ** 4, next() < 0.1 ? 0 : next()];
          const z = raw.reduce((a, b) => a + b, 0);
          raw.forEach((r, c) => (p[i * C + c] = r / z));
        }
        return p;
      }),
    }),
  );
  const ids = Array.from({ length: n }, (_, i) => `r${i}`);
  const c2 = ctxOf({
    ids,
    records: { runs, runsUsed: 2, epochsUsed: E, numClasses: C },
    options: { tdds: { window: 3, decay: 0.6 } },
  });
  const got = tddsScore(c2);
  const ln = (p: number) => Math.log(Math.max(p, Math.fround(1e-8)));
  for (let i = 0; i < n; i++) {
    let want = 0;
    for (const r of runs) {
      const g = [1, 2, 3, 4].map((t) => {
        let s = 0;
        for (let c = 0; c < C; c++) {
          const p = r.probs![t]![i * C + c]!;
          s += p * Math.abs(ln(p) - ln(r.probs![t - 1]![i * C + c]!));
        }
        return s;
      });
      for (let w = 0; w <= 2; w++) {
        const win = g.slice(w, w + 2);
        const mean = (win[0]! + win[1]!) / 2;
        const std = Math.sqrt(((win[0]! - mean) ** 2 + (win[1]! - mean) ** 2) / 2);
        want += 0.6 * 0.4 ** (2 - w) * std;
      }
    }
    want /= 2;
    assert.ok(Math.abs(got[i]! - want) < 1e-6, `example ${i}: ${got[i]} vs ${want}`);
  }
});

test('tdds: the table logarithm is within 1e-8 of Math.log, clamps at 1e-8 and keeps NaN', () => {
  const next = rng(2);
  const p = Float32Array.from({ length: 20000 }, (_, i) => (i % 3 ? next() : next() ** 12));
  p[0] = 0;
  p[1] = 1;
  p[2] = 1e-12;
  p[3] = NaN;
  const out = new Float64Array(p.length);
  lnClamped(p, out);
  for (let i = 4; i < p.length; i++) {
    const want = Math.log(Math.max(p[i]!, Math.fround(1e-8)));
    assert.ok(Math.abs(out[i]! - want) < 1e-8, `ln ${p[i]}: ${out[i]} vs ${want}`);
  }
  assert.ok(Math.abs(out[0]! - Math.log(Math.fround(1e-8))) < 1e-8);
  assert.equal(out[1], 0);
  assert.equal(out[2], out[0]);
  assert.ok(Number.isNaN(out[3]!));
});

test('grand: ranks by the field of the chosen epoch, mean over the used runs', () => {
  const ids = ['a', 'b', 'c', 'd'];
  const runs = [
    record({ grand: [Float32Array.from([1, 4, 2, 3]), Float32Array.from([9, 0, 0, 0])] }),
    record({ grand: [Float32Array.from([1, 0, 4, 3]), Float32Array.from([9, 0, 0, 1])] }),
    record({ grand: [Float32Array.from([9, 9, 9, 0]), Float32Array.from([0, 0, 0, 0])] }), // not used
  ];
  const records = { runs, runsUsed: 2, epochsUsed: 2, numClasses: 2 };
  const grand = selectionMethod('grand');
  // epoch 0 means: a 1, b 2, c 3, d 3 (c and d tie: c first)
  assert.deepEqual(selectIds(ctxOf({ ids, records }), grand, 3), ['c', 'd', 'b']);
  assert.deepEqual(selectIds(ctxOf({ ids, records, options: { grand: { epoch: 1 } } }), grand, 2), ['a', 'd']);
  assert.throws(
    () => selectIds(ctxOf({ ids, records, options: { grand: { epoch: 2 } } }), grand, 1),
    /grand\.epoch = 2, but only 2 epochs are used; choose an epoch in 0\.\.1/,
  );
});

test('a method on records without its field names the field and the config line that records it', () => {
  const ids = ['a', 'b', 'c'];
  const bare = record({
    correct: [Uint8Array.from([1, 0, 1])],
    goldProb: [Float32Array.from([0.9, 0.2, 0.6])],
    margin: [Float32Array.from([1, -1, 0.5])],
  });
  const records = { runs: [bare, bare], runsUsed: 2, epochsUsed: 1, numClasses: 2 };
  const ctx = ctxOf({ ids, records, seed: 1, classes: [0, 1, 0] });
  const fix = (field: string) =>
    new RegExp(`add \`record: \\[${field}\\]\` under phase1 in the config and rerun phase 1`);
  assert.throws(() => selectIds(ctx, selectionMethod('grand'), 1), fix('grand'));
  for (const m of ['d2', 'moderate', 'semdedup'])
    assert.throws(() => selectIds(ctx, selectionMethod(m), 1), /hold no embeddings/, m);
  assert.throws(() => selectIds(ctx, selectionMethod('d2'), 1), fix('embedding'));
  const three = { runs: [bare, bare], runsUsed: 2, epochsUsed: 1, numClasses: 2 };
  assert.throws(
    () => selectIds(ctxOf({ ids, records: three }), selectionMethod('tdds'), 1),
    /1 epochs used; it needs at least 3/,
  );
  const withE = record({ ...bare, correct: [0, 1, 2].map(() => bare.correct[0]!) });
  const e3 = { runs: [withE], runsUsed: 1, epochsUsed: 3, numClasses: 2 };
  assert.throws(() => selectIds(ctxOf({ ids, records: e3 }), selectionMethod('tdds'), 1), fix('probs'));
  assert.throws(() => selectIds(ctxOf({ ids, seed: 1 }), selectionMethod('external'), 1), /external\.file is required/);
});

test('options: checked by key, with defaults; unknown method options and wrong types name the key and the fix', () => {
  const ccs = selectionMethod('ccs');
  assert.deepEqual(checkOptions(ccs, undefined), { score: 'aum', beta: 0.1, strata: 50 });
  assert.deepEqual(checkOptions(ccs, { score: 'el2n', beta: 0.2 }), { score: 'el2n', beta: 0.2, strata: 50 });
  assert.throws(
    () => checkOptions(ccs, { beta: 2 }),
    /pruning\.method_options\.ccs\.beta is 2; expected a number >= 0 <= 1/,
  );
  assert.throws(() => checkOptions(ccs, { strata: 2.5 }), /ccs\.strata is 2\.5; expected an integer >= 1/);
  assert.throws(
    () => checkOptions(ccs, { score: 'tdds' }),
    /ccs\.score is "tdds"; expected one of h, confidence, variability, correctness, forgetting, el2n, aum, grand/,
  );
  assert.throws(
    () => checkOptions(ccs, { betta: 1 }),
    /ccs\.betta: unknown option of method ccs; its options are score, beta, strata/,
  );
  assert.throws(
    () => checkOptions(selectionMethod('aum'), { x: 1 }),
    /aum\.x: unknown option of method aum; it takes no options/,
  );
  assert.throws(
    () => checkOptions(ccs, [1]),
    /pruning\.method_options\.ccs is \[1\]; expected a mapping of score, beta, strata/,
  );
  assert.throws(
    () => checkOptions(selectionMethod('tdds'), { decay: 0 }),
    /tdds\.decay is 0; expected a number > 0 <= 1/,
  );
});

test('every method: exactly k distinct ids for several k, the same for any input order; ties to the smaller id', () => {
  const next = rng(21);
  const dir = mkdtempSync(join(tmpdir(), 'prunelab-methods-'));
  for (let trial = 0; trial < 6; trial++) {
    const n = 30 + Math.floor(next() * 50);
    const C = 2 + (trial % 3);
    const records = fullRecords(next, 2, 3 + (trial % 2), n, C, 6);
    const ids = Array.from({ length: n }, (_, i) => `x${Math.floor(next() * 1e6)}-${i}`);
    const classes = Int32Array.from(ids, (_, i) => i % C);
    const file = join(dir, `scores-${trial}.csv`);
    writeFileSync(file, `id,score\n${ids.map((id) => `${id},${Math.floor(next() * 5)}`).join('\n')}\n`);
    const options = { external: { file }, ccs: { strata: 5 }, d2: { neighbours: 4 }, semdedup: { clusters: 3 } };
    const ctx = ctxOf({ ids, records, seed: trial, classes, options });
    // the same examples in reverse order: records, classes and embeddings reversed with them
    const rev = <T extends ArrayLike<number>>(a: T, width = 1) => {
      const out = new (a.constructor as new (n: number) => Float32Array)(a.length);
      const rows = a.length / width;
      for (let i = 0; i < rows; i++)
        for (let t = 0; t < width; t++) out[(rows - 1 - i) * width + t] = a[i * width + t]!;
      return out;
    };
    const revRuns = records.runs.map((r) =>
      record({
        goldProb: r.goldProb.map((x) => rev(x)),
        correct: r.correct.map((x) => Uint8Array.from(rev(x))),
        margin: r.margin.map((x) => rev(x)),
        el2n: r.el2n!.map((x) => rev(x)),
        grand: r.grand!.map((x) => rev(x)),
        probs: r.probs!.map((x) => rev(x, C)),
        embedding: { ...r.embedding!, data: rev(r.embedding!.data, 6) },
      }),
    );
    const revCtx = ctxOf({
      ids: [...ids].reverse(),
      records: { ...records, runs: revRuns },
      seed: trial,
      classes: Int32Array.from(rev(classes)),
      options,
    });
    for (const m of SELECTION_METHODS) {
      for (const k of [0, 1, Math.floor(n / 3), n - 1, n]) {
        const got = selectIds(ctx, m, k);
        assert.equal(got.length, k, `${m.name} k ${k}`);
        assert.equal(new Set(got).size, k, `${m.name} k ${k}: distinct`);
        assert.equal(selectIndices(ctx, m, k).length, k);
        assert.deepEqual([...selectIds(revCtx, m, k)].sort(), [...got].sort(), `${m.name} k ${k}: input order`);
      }
    }
  }
  // ties: every score equal -> the smallest ids (ranking methods)
  const ids = ['d', 'b', 'e', 'a', 'c'];
  const same = (v: number) => ids.map(() => v);
  const flat = record({
    grand: [Float32Array.from(same(1))],
    probs: [0, 1, 2].map(() => Float32Array.from(ids.flatMap(() => [0.5, 0.5]))),
  });
  const ctx = ctxOf({ ids, records: { runs: [flat], runsUsed: 1, epochsUsed: 3, numClasses: 2 } });
  for (const name of ['grand', 'tdds'])
    assert.deepEqual(selectIds(ctx, selectionMethod(name), 3), ['a', 'b', 'c'], name);
  const file = join(dir, 'ties.jsonl');
  writeFileSync(file, ids.map((id) => JSON.stringify({ id, score: 2 })).join('\n'));
  assert.deepEqual(selectIds(ctxOf({ ids, options: { external: { file } } }), selectionMethod('external'), 2), [
    'a',
    'b',
  ]);
});
