import { test } from 'node:test';
import assert from 'node:assert/strict';
import { idPool } from './id-pool.ts';
import { balancedTake, classCounts, classQuotas, rankIndices, topKIndices } from './rank.ts';
import { mulberry32 as rng } from '@prunelab/core';

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

function randomIds(next: () => number, n: number, trial: number): string[] {
  const alphabets = ['ab', '0123456789abcdef', '0123456789', 'xyz-é\u{1F600}', 'AbC_'];
  const alph = [...alphabets[trial % alphabets.length]!];
  const prefix = ['', 'mnli-train-', 'a'][trial % 3]!;
  const set = new Set<string>();
  const maxLen = trial % 2 ? 24 : 4;
  for (let tries = 0; set.size < n && tries < 20 * n; tries++) {
    // short ids over small alphabets: fewer than n may exist
    let s = prefix;
    const len = Math.floor(next() * maxLen);
    for (let j = 0; j < len; j++) s += alph[Math.floor(next() * alph.length)];
    set.add(s);
  }
  return [...set];
}

test(
  'idPool orders ids exactly like string comparison (300 random id sets, shared prefixes, unicode, prefixes of ' +
    'each other)',
  () => {
    const next = rng(11);
    for (let trial = 0; trial < 300; trial++) {
      const ids = randomIds(next, Math.floor(next() * 200), trial);
      const pool = idPool(ids);
      assert.deepEqual(
        Array.from(pool.byId, (i) => ids[i]),
        [...ids].sort(byId),
      );
    }
    assert.deepEqual(Array.from(idPool(['b', 'ab', 'a', '']).byId), [3, 2, 1, 0]);
    assert.throws(() => idPool(['x1', 'y', 'x1']), /id "x1" appears more than once/);
    // big groups that share long stretches (several 32-bit chunks deep), ids that are prefixes of each other
    const deep = Array.from({ length: 60 }, (_, i) => `x-${'shared-middle-part-'.repeat(3)}${(i * 7919) % 61}`);
    assert.deepEqual(
      Array.from(idPool(deep).byId, (i) => deep[i]),
      [...deep].sort(byId),
    );
    const prefixes = Array.from({ length: 40 }, (_, i) => 'a'.repeat(40 - i));
    assert.deepEqual(
      Array.from(idPool(prefixes).byId, (i) => prefixes[i]),
      [...prefixes].sort(byId),
    );
    assert.throws(
      () => idPool(Array.from({ length: 40 }, (_, i) => `p-${'z'.repeat(30)}${i % 20}`)),
      /appears more than once/,
    );
    assert.throws(() => idPool(Array.from({ length: 40 }, () => 'same')), /id "same" appears more than once/);
    assert.throws(() => idPool([...prefixes, 'a'.repeat(17)]), /id "aaaaaaaaaaaaaaaaa" appears more than once/);
    assert.equal(idPool([]).byId.length, 0);
  },
);

test('rankIndices equals a comparator sort by (score, id) for float32, float64, integer and special scores', () => {
  const next = rng(5);
  for (let trial = 0; trial < 300; trial++) {
    const ids = randomIds(next, Math.floor(next() * 150), trial);
    const kind = trial % 4;
    const score = ids.map(() => {
      if (kind === 0) return Math.floor(next() * 5) - 2; // many ties
      if (kind === 1) return Math.fround((next() - 0.5) * 10);
      if (kind === 2) return (next() - 0.5) * 1e6 * next(); // not float32-exact: 64-bit keys
      return [0, -0, Infinity, -Infinity, 1e-40, -1e-40, 0.1][Math.floor(next() * 7)]!;
    });
    const pool = idPool(ids);
    for (const order of ['asc', 'desc'] as const) {
      const want = ids
        .map((_, i) => i)
        .sort((a, b) => (order === 'asc' ? score[a]! - score[b]! : score[b]! - score[a]!) || byId(ids[a]!, ids[b]!));
      assert.deepEqual(Array.from(rankIndices(pool, score, order)), want, `trial ${trial} ${order}`);
      if (kind === 1) assert.deepEqual(Array.from(rankIndices(pool, Float32Array.from(score), order)), want);
    }
  }
});

test('topKIndices: ties at the cut go to the smaller ids; errors', () => {
  const pool = idPool(['e', 'a', 'd', 'b', 'c']);
  assert.deepEqual(Array.from(topKIndices(pool, [1, 1, 2, 1, 1], 3, 'desc')), [2, 1, 3]); // d, then a and b of the 1s
  assert.deepEqual(Array.from(topKIndices(pool, [1, 1, 2, 1, 1], 2, 'asc')), [1, 3]);
  assert.throws(
    () => topKIndices(pool, [1, 1, 2, 1, 1], 6, 'asc'),
    /k = 6 is out of range; choose an integer in 0\.\.5/,
  );
  assert.throws(() => topKIndices(pool, [1, 1, 2, NaN, 1], 1, 'asc'), /the score of id "b" is NaN/);
  assert.throws(() => rankIndices(pool, [1], 'asc'), /5 ids but 1 scores/);
});

test('classQuotas: proportional split, largest remainders, ties to the lower class', () => {
  // n = 10, k = 5: exact 2.5 / 1.5 / 1.0; floors 2 + 1 + 1 = 4; remainders 25 % 10 = 5, 15 % 10 = 5, 0: class 0 wins
  // the tie
  assert.deepEqual(classQuotas([5, 3, 2], 5), [3, 1, 1]);
  assert.deepEqual(classQuotas([5, 3, 2], 10), [5, 3, 2]);
  assert.deepEqual(classQuotas([5, 3, 2], 0), [0, 0, 0]);
  assert.deepEqual(classQuotas([1, 1, 1], 2), [1, 1, 0]);
  // n = 7, k = 3: exact 0.857 / 1.714 / 0.429 -> floors 0, 1, 0; remainders 6, 5, 3 -> classes 0 and 1 get one more
  assert.deepEqual(classQuotas([2, 4, 1], 3), [1, 2, 0]);
  const next = rng(3);
  for (let t = 0; t < 200; t++) {
    const counts = Array.from({ length: 1 + Math.floor(next() * 5) }, () => Math.floor(next() * 30));
    const n = counts.reduce((a, b) => a + b, 0);
    const k = Math.floor(next() * (n + 1));
    const q = classQuotas(counts, k);
    assert.equal(
      q.reduce((a, b) => a + b, 0),
      k,
    );
    q.forEach((qc, c) =>
      assert.ok(
        qc <= counts[c]! && (n === 0 ? qc === 0 : Math.abs(qc - (k * counts[c]!) / n) < 1),
        `counts ${counts} k ${k} quota ${q}`,
      ),
    );
  }
  assert.throws(() => classQuotas([1, 2], 4), /k = 4 is out of range/);
});

test('balancedTake walks the ranking and stops taking a class at its quota', () => {
  const classes = [0, 0, 0, 1, 1, 1, 1, 0]; // 4 and 4
  const ranking = Uint32Array.from([0, 1, 2, 7, 3, 4, 5, 6]); // all of class 0 first
  assert.deepEqual(Array.from(balancedTake(ranking, classes, 4)), [0, 1, 3, 4]);
  assert.deepEqual(Array.from(balancedTake(ranking, classes, 3)), [0, 1, 3]); // quotas 2, 1 (remainder tie to class 0)
  assert.deepEqual(classCounts(classes), [4, 4]);
  assert.throws(() => classCounts([0, -1]), /class of example 1 is -1/);
});
