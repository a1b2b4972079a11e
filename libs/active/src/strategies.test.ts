// Every query strategy on hand-built probability and embedding matrices whose answers follow from the definitions.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { badgeEmbedding, badgeFactors } from './strategies/badge.ts';
import { STRATEGY_NAMES, strategy } from './strategies/index.ts';
import { checkStrategyOptions, type Outputs, type StrategyInput } from './strategy.ts';

const f32 = (rows: number[][]) => Float32Array.from(rows.flat());
const out = (probs: number[][], emb?: number[][], mc?: number[][][], bias = false): Outputs => ({
  n: probs.length,
  numClasses: probs[0]!.length,
  probs: f32(probs),
  ...(emb && { embedding: { dim: emb[0]!.length, data: f32(emb), bias } }),
  ...(mc && { mc: mc.map(f32) }),
});
const ids = (n: number, prefix = 'p') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);
function run(name: string, pool: Outputs, k: number, more: Partial<StrategyInput> = {}): string[] {
  const s = strategy(name);
  const poolIds = more.pool?.ids ?? ids(pool.n);
  const labelled = more.labelled ?? {
    ids: [],
    out: { n: 0, numClasses: pool.numClasses, probs: new Float32Array() },
    labels: new Int32Array(),
  };
  const picked = s.select({
    pool: { ids: poolIds, out: pool },
    labelled,
    k,
    seed: more.seed ?? 1,
    options: checkStrategyOptions(s, more.options, `al.strategy_options.${name}`),
  });
  return Array.from(picked, (i) => poolIds[i]!);
}

// p0 is sure, p1 split two ways, p2 split three ways (most uncertain), p3 leaning, p4 a tie with p1's margin
const P = [
  [0.98, 0.01, 0.01],
  [0.5, 0.5, 0.0],
  [0.34, 0.33, 0.33],
  [0.7, 0.2, 0.1],
  [0.45, 0.45, 0.1],
];

test('the table: own strategies, then the label-free pruning methods not already named', () => {
  assert.deepEqual(STRATEGY_NAMES, [
    'random',
    'least_confidence',
    'margin',
    'entropy',
    'mc_entropy',
    'bald',
    'coreset',
    'badge',
    'dal',
    'cal',
    'semdedup',
  ]);
  assert.throws(() => strategy('entropyy'), /unknown; choose one of random, /);
});

test('least confidence, margin and entropy rank by their formulas; ties keep the smaller id', () => {
  // 1 - max: p2 .66, p1 .5, p4 .55, p3 .3, p0 .02
  assert.deepEqual(run('least_confidence', out(P), 5), ['p2', 'p4', 'p1', 'p3', 'p0']);
  // margins: p1 0, p4 0 (tie: p1 first), p2 .01, p3 .5, p0 .97
  assert.deepEqual(run('margin', out(P), 5), ['p1', 'p4', 'p2', 'p3', 'p0']);
  // entropies: p2 ln3-ish 1.0986, p4 .948, p3 .802, p1 .693, p0 .112
  assert.deepEqual(run('entropy', out(P), 3), ['p2', 'p4', 'p3']);
  // the ids, not the input order, break ties
  const rev = ['z', 'a', 'm', 'b', 'c'];
  assert.deepEqual(run('margin', out(P), 2, { pool: { ids: rev, out: out(P) } }), ['a', 'c']);
});

test('MC dropout: entropy of the mean and BALD separate disagreeing passes from uniformly unsure ones', () => {
  // x0: every pass says 50/50 (unsure, no disagreement); x1: passes flip between sure answers (disagreement);
  // x2: every pass sure of class 0
  const passes = [
    [
      [0.5, 0.5],
      [0.99, 0.01],
      [0.99, 0.01],
    ],
    [
      [0.5, 0.5],
      [0.01, 0.99],
      [0.99, 0.01],
    ],
  ];
  const o = out(
    [
      [0.5, 0.5],
      [0.5, 0.5],
      [0.99, 0.01],
    ],
    undefined,
    passes,
  );
  // mean of x0 and x1 is 50/50 for both: equal total entropy, the smaller id first
  assert.deepEqual(run('mc_entropy', o, 2), ['p0', 'p1']);
  // BALD: x0 has expected entropy ln 2 (mutual information 0), x1 about 0.056 (MI ~0.64)
  assert.deepEqual(run('bald', o, 1), ['p1']);
  assert.throws(() => run('bald', out(P), 1), /needs MC dropout passes/);
});

test('core-set: the greedy k-centre over the labelled set and what it chose', () => {
  const pool = out(
    [
      [1, 0],
      [1, 0],
      [1, 0],
      [1, 0],
    ],
    [
      [0, 0],
      [10, 0],
      [9, 0],
      [0, 5],
    ],
  );
  const labelled = { ids: ['l0'], out: out([[1, 0]], [[1, 0]]), labels: Int32Array.of(0) };
  // distances to l0: p0 1, p1 81, p2 64, p3 26 -> p1; then to {l0, p1}: p2 1, p3 26 -> p3; then p0 (1) vs p2 (1): p0
  assert.deepEqual(run('coreset', pool, 3, { labelled }), ['p1', 'p3', 'p0']);
});

test('BADGE: gradient embeddings (p - onehot(argmax)) ⊗ [h, 1], the largest first, then k-means++ draws', () => {
  const o = out(
    [
      [0.9, 0.1],
      [0.6, 0.4],
      [0.2, 0.8],
    ],
    [
      [1, 2],
      [3, 0],
      [0, 1],
    ],
    undefined,
    true,
  );
  const g = badgeEmbedding(o);
  // row 1: a = (0.6 - 1, 0.4) = (-0.4, 0.4), h = (3, 0, 1): class-major [-1.2, 0, -0.4, 1.2, 0, 0.4]
  const row1 = Array.from(g.subarray(6, 12));
  [-1.2, 0, -0.4, 1.2, 0, 0.4].forEach((v, i) => assert.ok(Math.abs(row1[i]! - v) < 1e-6));
  // the factored distance equals the written-out one
  const { a, h } = badgeFactors(o);
  const sq = (i: number) => g.subarray(i * 6, i * 6 + 6).reduce((s, v) => s + v * v, 0);
  assert.ok(Math.abs(sq(0) - (a[0]! ** 2 + a[1]! ** 2) * (h[0]! ** 2 + h[1]! ** 2 + h[2]! ** 2)) < 1e-9);
  // norms^2: p0 .02 * 6 = .12, p1 .32 * 10 = 3.2, p2 .08 * 2 = .16: p1 first
  assert.equal(run('badge', o, 1)[0], 'p1');
  // a draw is reproducible from the seed and never repeats
  const big = out(
    Array.from({ length: 30 }, (_, i) => [0.3 + (i % 7) / 20, 0.7 - (i % 7) / 20]),
    Array.from({ length: 30 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]),
  );
  const x = run('badge', big, 10, { seed: 4 });
  assert.deepEqual(run('badge', big, 10, { seed: 4 }), x);
  assert.equal(new Set(x).size, 10);
  assert.notDeepEqual(run('badge', big, 10, { seed: 5 }), x);
});

test('DAL: the pool examples least like the labelled ones; CAL: those whose neighbours predict otherwise', () => {
  const labelled = {
    ids: ['l0', 'l1'],
    out: out(
      [
        [0.9, 0.1],
        [0.8, 0.2],
      ],
      [
        [1, 0],
        [0.9, 0.1],
      ],
    ),
    labels: Int32Array.of(0, 0),
  };
  const pool = out(
    [
      [0.9, 0.1],
      [0.2, 0.8],
      [0.85, 0.15],
    ],
    [
      [1, 0.05],
      [0, 1],
      [0.95, 0],
    ],
  );
  assert.deepEqual(run('dal', pool, 1, { labelled }), ['p1']); // the one pointing elsewhere
  assert.deepEqual(run('dal', pool, 2, { labelled, options: { rounds: 2 } })[0], 'p1');
  // CAL with 2 neighbours (both labelled): KL from (.9,.1) and (.8,.2) to each candidate; p1 predicts the other class
  const cal = run('cal', pool, 3, { labelled, options: { neighbours: 2 } });
  assert.equal(cal[0], 'p1');
  const kl = (p: number[], q: number[]) => p.reduce((s, v, c) => s + v * Math.log(v / q[c]!), 0);
  const score = (q: number[]) => (kl([0.9, 0.1], q) + kl([0.8, 0.2], q)) / 2;
  assert.deepEqual(cal.slice(1), score([0.9, 0.1]) > score([0.85, 0.15]) ? ['p0', 'p2'] : ['p2', 'p0']);
  assert.throws(
    () => run('cal', pool, 1, { labelled, options: { neighbours: 0 } }),
    /neighbours is 0; expected an integer >= 1/,
  );
});

test('random is a seeded draw over the ids; semdedup (a label-free pruning method) runs on pool embeddings', () => {
  const o = out(P);
  const a = run('random', o, 3, { seed: 9 });
  assert.deepEqual(run('random', o, 3, { seed: 9 }), a);
  assert.equal(new Set(a).size, 3);
  const perm = ['p4', 'p3', 'p2', 'p1', 'p0'];
  const o2 = out([...P].reverse());
  assert.deepEqual(run('random', o2, 3, { seed: 9, pool: { ids: perm, out: o2 } }), a); // input order does not matter
  // two exact duplicates among four: semdedup keeps the non-duplicates first, so k = 3 holds one of the two copies
  const emb = out(P.slice(0, 4), [
    [1, 0],
    [1, 0],
    [0, 1],
    [-1, 0.2],
  ]);
  const kept = run('semdedup', emb, 3, { options: { clusters: 1 } });
  assert.equal(kept.filter((id) => id === 'p0' || id === 'p1').length, 1);
  assert.throws(() => run('semdedup', out(P), 2), /no embeddings/);
  assert.throws(() => run('entropy', o, 6), /k = 6, but the pool holds 5 examples/);
});
