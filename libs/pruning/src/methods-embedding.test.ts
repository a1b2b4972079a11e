// The embedding methods on hand-built embeddings with known answers: D2 on two well-separated clusters picks from
// both when a pick down-weights its neighbours strongly (and from one when it does not), moderate keeps the
// examples at the median distance of their class, SemDeDup removes an exact duplicate; the k-NN graph is the brute
// force one (exact) or close to it (inverted file), and k-means is seeded and independent of the input order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 as rng } from '@prunelab/core';
import { idPool, idRanks } from './id-pool.ts';
import { knnGraph } from './knn.ts';
import { selectionMethod } from './methods/index.ts';
import { scoreOf, selectIds, selectionContext, type SelectionInput } from './methods/method.ts';
import { duplicates } from './methods/semdedup.ts';
import { record } from './testing/records.ts';
import { kMeans, normalizeRows } from './vectors.ts';

type Input = Omit<SelectionInput, 'pool'> & { ids: string[] };
const ctxOf = (input: Input) => selectionContext({ ...input, pool: idPool(input.ids) });
const withEmbedding = (rows: number[][], extra: Parameters<typeof record>[0] = {}) => {
  const dim = rows[0]!.length;
  const run = record({ ...extra, embedding: { dim, epoch: 2, data: Float32Array.from(rows.flat()) } });
  return { runs: [run], runsUsed: 1, epochsUsed: 1, numClasses: 2 };
};

test('d2: two well-separated clusters; a strong down-weighting picks from both, none picks the harder cluster', () => {
  // cluster A near (1, 0, 0): forgetting 5..9 (hard); cluster B near (0, 1, 0): forgetting 0..4
  const rows: number[][] = [];
  const forgetting: number[] = [];
  for (let j = 0; j < 5; j++) {
    rows.push([1, 0.01 * j, 0.02]);
    forgetting.push(5 + j);
  }
  for (let j = 0; j < 5; j++) {
    rows.push([0.01 * j, 1, 0.03]);
    forgetting.push(j);
  }
  const ids = rows.map((_, i) => `${i < 5 ? 'a' : 'b'}${i % 5}`);
  const pick = (gamma_r: number, k: number, gamma_f = 1) =>
    selectIds(
      ctxOf({
        ids,
        records: withEmbedding(rows),
        scores: { forgetting },
        options: { d2: { neighbours: 4, gamma_r, gamma_f } },
      }),
      selectionMethod('d2'),
      k,
    );
  // exp(-0 d) = 1: a pick takes its whole score off each neighbour (its whole cluster here)
  assert.deepEqual(
    pick(0, 2).map((id) => id[0]),
    ['a', 'b'],
  );
  // without forward passing (gamma_f huge: exp(-gamma_f d) = 0) the picks are the hardest of A, then of B
  assert.deepEqual(pick(0, 2, 1e6), ['a4', 'b4']);
  const none = pick(1e6, 3); // exp(-1e6 d) = 0: no down-weighting, the three hardest (all in A)
  assert.ok(
    none.every((id) => id.startsWith('a')),
    `${none}`,
  );
  // the d2 column is the forward-passed difficulty: A's scores exceed B's
  const ctx = ctxOf({ ids, records: withEmbedding(rows), scores: { forgetting } });
  const passed = scoreOf(ctx, selectionMethod('d2').columns[0]!);
  assert.ok(Math.min(...Array.from(passed).slice(0, 5)) > Math.max(...Array.from(passed).slice(5)));
});

test('moderate: per class, the examples whose distance to the class mean is nearest the median', () => {
  // class 0 on a line: -5 -3 -1 1 3 5 (mean 0, distances 5 3 1 1 3 5, median 3): +-3 are moderate
  // class 1: 10 11 12 13 14 (mean 12, distances 2 1 0 1 2, median 1): 11 and 13
  const xs = [-5, -3, -1, 1, 3, 5, 10, 11, 12, 13, 14];
  const classes = xs.map((_, i) => (i < 6 ? 0 : 1));
  const ids = xs.map((x) => `p${x + 10}`.padStart(4, '0'));
  const ctx = ctxOf({ ids, classes, records: withEmbedding(xs.map((x) => [x, 0])) });
  const got = scoreOf(ctx, selectionMethod('moderate').columns[0]!);
  assert.deepEqual(Array.from(got), [2, 0, 2, 2, 0, 2, 1, 0, 1, 0, 1]);
  // k = 4 over classes of 6 and 5: quotas 2 + 2 (classQuotas), the zeros of each class
  const kept = selectIds(ctx, selectionMethod('moderate'), 4);
  assert.deepEqual(
    kept.map((id) => xs[ids.indexOf(id)]).sort((a, b) => a! - b!),
    [-3, 3, 11, 13],
  );
});

test('semdedup: an exact duplicate is removed first; the one farther from the centre (or the smaller id) stays', () => {
  const rows = [
    [1, 0, 0, 0],
    [0, 1, 0, 0],
    [0, 0, 1, 0],
    [0.5, 0.5, 0.1, 0],
    [0, 0, 0, 1],
    [0, 0, 1, 0], // an exact copy of row 2
  ];
  const ids = ['u', 'v', 'w', 'x', 'y', 'z'];
  const ctx = ctxOf({ ids, seed: 3, records: withEmbedding(rows), options: { semdedup: { clusters: 2 } } });
  assert.deepEqual(Array.from(duplicates(ctx)), [0, 0, 0, 0, 0, 1]);
  const m = selectionMethod('semdedup');
  const five = selectIds(ctx, m, 5);
  assert.deepEqual([...five].sort(), ['u', 'v', 'w', 'x', 'y']);
  assert.equal(selectIds(ctx, m, 6).at(-1), 'z', 'duplicates come last');
  // a threshold of 0.6 makes the 0.5/0.5 row a near-duplicate of u or v (cosine 0.70) when they share a cluster
  const one = ctxOf({
    ids,
    seed: 3,
    records: withEmbedding(rows),
    options: { semdedup: { clusters: 1, threshold: 0.6 } },
  });
  assert.deepEqual(Array.from(duplicates(one)), [0, 0, 0, 1, 0, 1]);
});

test('knn: exact = brute force; the inverted file finds most neighbours of clustered data', () => {
  const next = rng(11);
  const dim = 8;
  const centres = Array.from({ length: 40 }, () => Array.from({ length: dim }, () => next() - 0.5));
  const make = (n: number) => {
    const data = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const c = centres[Math.floor(next() * centres.length)]!;
      for (let t = 0; t < dim; t++) data[i * dim + t] = c[t]! + 0.15 * (next() - 0.5);
    }
    return data;
  };
  const brute = (unit: Float32Array, n: number, i: number, k: number) => {
    const d = Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let t = 0; t < dim; t++) s += unit[i * dim + t]! * unit[j * dim + t]!;
      return { j, d: Math.fround(1 - Math.fround(s)) };
    });
    return d
      .filter((x) => x.j !== i)
      .sort((a, b) => a.d - b.d || a.j - b.j)
      .slice(0, k)
      .map((x) => x.j);
  };
  const n = 400;
  const unit = normalizeRows(make(n), n, dim);
  const pool = idPool(Array.from({ length: n }, (_, i) => `q${String(i).padStart(4, '0')}`)); // id order = index order
  const o = { k: 5, rank: idRanks(pool), byId: pool.byId, seed: 1, probe: 4, exactUpTo: 5000 };
  const exact = knnGraph(unit, n, dim, o);
  assert.equal(exact.how, 'exact');
  for (let i = 0; i < n; i += 37) {
    const want = new Set(brute(unit, n, i, 5));
    const got = Array.from(exact.neighbours.subarray(i * 5, i * 5 + 5));
    assert.equal(got.filter((j) => want.has(j)).length, 5, `row ${i}`);
  }
  const big = 8000;
  const unitBig = normalizeRows(make(big), big, dim);
  const poolBig = idPool(Array.from({ length: big }, (_, i) => `q${String(i).padStart(5, '0')}`));
  const ivf = knnGraph(unitBig, big, dim, { ...o, rank: idRanks(poolBig), byId: poolBig.byId });
  assert.equal(ivf.how, 'ivf');
  let found = 0;
  let asked = 0;
  for (let i = 0; i < big; i += 97) {
    const want = new Set(brute(unitBig, big, i, 5));
    found += Array.from(ivf.neighbours.subarray(i * 5, i * 5 + 5)).filter((j) => want.has(j)).length;
    asked += 5;
  }
  assert.ok(found / asked > 0.9, `recall ${found / asked}`);
});

test('kMeans: seeded; the same clusters for any input order', () => {
  const next = rng(5);
  const n = 300;
  const dim = 4;
  const data = normalizeRows(
    Float32Array.from({ length: n * dim }, () => next() - 0.5),
    n,
    dim,
  );
  const ids = Array.from({ length: n }, (_, i) => `k${Math.floor(next() * 1e6)}-${i}`);
  const a = kMeans(data, n, dim, { clusters: 6, iterations: 5, seed: 9, order: idPool(ids).byId });
  // reversed rows and ids
  const rev = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) rev.set(data.subarray(i * dim, i * dim + dim), (n - 1 - i) * dim);
  const b = kMeans(rev, n, dim, { clusters: 6, iterations: 5, seed: 9, order: idPool([...ids].reverse()).byId });
  assert.deepEqual(Array.from(b.assign).reverse(), Array.from(a.assign));
  const c = kMeans(data, n, dim, { clusters: 6, iterations: 5, seed: 10, order: idPool(ids).byId });
  assert.notDeepEqual(Array.from(c.centroids), Array.from(a.centroids), 'another seed, other centroids');
});
