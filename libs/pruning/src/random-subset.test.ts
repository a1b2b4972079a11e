import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomSubset, seededPermutation } from './random-subset.ts';

const ids = Array.from({ length: 1000 }, (_, i) => `id-${i}`);

test('random subset has exactly k distinct ids from the input', () => {
  for (const k of [0, 1, 270, 1000]) {
    const s = randomSubset(ids, k, 42);
    assert.equal(s.length, k);
    assert.equal(new Set(s).size, k);
    for (const id of s) assert.ok(ids.includes(id));
  }
  assert.deepEqual([...seededPermutation(ids, 42)].sort(), [...ids].sort());
});

test('deterministic per seed, different across seeds, nested in k', () => {
  assert.deepEqual(randomSubset(ids, 100, 7), randomSubset(ids, 100, 7));
  const a = new Set(randomSubset(ids, 100, 7));
  const b = randomSubset(ids, 100, 8);
  const overlap = b.filter((id) => a.has(id)).length;
  assert.ok(overlap < 40, `seeds 7 and 8 share ${overlap} of 100 ids (expected about 10)`);
  assert.deepEqual(randomSubset(ids, 100, 7), randomSubset(ids, 101, 7).slice(0, 100));
});

test('independent of input order', () => {
  const reversed = [...ids].reverse();
  const shuffled = [...ids].sort((x, y) => x.length - y.length || (x < y ? 1 : -1));
  assert.deepEqual(randomSubset(reversed, 50, 3), randomSubset(ids, 50, 3));
  assert.deepEqual(seededPermutation(shuffled, 3), seededPermutation(ids, 3));
});

test('errors for k out of range and duplicate ids', () => {
  assert.throws(() => randomSubset(ids, 1001, 1), /k = 1001 is out of range; choose an integer in 0\.\.1000/);
  assert.throws(() => randomSubset(ids, -1, 1), /k = -1 is out of range/);
  assert.throws(() => randomSubset(ids, 2.5, 1), /k = 2\.5 is out of range/);
  assert.throws(() => seededPermutation(['a', 'b', 'a'], 1), /id "a" appears more than once/);
});
