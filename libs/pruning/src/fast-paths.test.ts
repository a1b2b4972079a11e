// The fast paths give what the general paths give: float32 keys from the bits vs the number path, byte H-scores
// without branches vs the plain loop, on random data with the awkward values (-0, infinities, subnormals).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mulberry32 as rng } from '@prunelab/core';
import { selectByHIndices } from './hscore-subsets.ts';
import { sortKeys } from './radix.ts';

test('sortKeys of a Float32Array (from the bits) equals sortKeys of the same numbers in a plain array', () => {
  const next = rng(5);
  const special = [0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3.4028234663852886e38, -3.4028234663852886e38, 0.5, -0.5];
  for (let trial = 0; trial < 20; trial++) {
    const n = 1 + Math.floor(next() * 3000);
    const v = Float32Array.from({ length: n }, () =>
      next() < 0.2 ? special[Math.floor(next() * special.length)]! : (next() - 0.5) * 10 ** Math.floor(next() * 8 - 4),
    );
    for (const order of ['asc', 'desc'] as const) {
      const fast = sortKeys(v, order, String);
      const plain = sortKeys(Array.from(v), order, String);
      assert.equal(fast.hi, undefined);
      assert.deepEqual(fast.lo, plain.lo, `trial ${trial} ${order}`);
    }
  }
  const withNaN = Float32Array.from([1, 2, NaN, 3]);
  assert.throws(() => sortKeys(withNaN, 'desc', (i) => `example ${i}`), /the score of example 2 is NaN/);
});

test('selectByHIndices of byte H-scores equals the plain loop over the same values', () => {
  const next = rng(9);
  for (let trial = 0; trial < 30; trial++) {
    const R = 1 + Math.floor(next() * 9);
    const n = Math.floor(next() * 5000);
    const h = Uint8Array.from({ length: n }, () => Math.floor(next() * (R + 1)));
    const removed = Array.from({ length: R + 1 }, (_, v) => v).filter(() => next() < 0.5);
    assert.deepEqual(selectByHIndices(h, removed), selectByHIndices(Array.from(h), removed), `trial ${trial}`);
  }
  assert.deepEqual(selectByHIndices(Uint8Array.from([3, 0, 6, 1]), [0, 6]), Uint32Array.from([0, 3]));
  assert.deepEqual(selectByHIndices(Uint8Array.from([0, 6]), [0, 6]), new Uint32Array(0));
});
