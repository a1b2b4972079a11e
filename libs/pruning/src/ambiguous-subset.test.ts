import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ambiguousSubset, topK } from './ambiguous-subset.ts';

test('topK ranks by score and breaks ties by id', () => {
  const ids = ['d', 'b', 'a', 'c', 'e'];
  const score = [0.5, 0.9, 0.5, 0.1, 0.5];
  assert.deepEqual(topK(ids, score, 5, 'desc'), ['b', 'a', 'd', 'e', 'c']); // 0.9, then the 0.5 tie a < d < e
  assert.deepEqual(topK(ids, score, 2, 'desc'), ['b', 'a']);
  assert.deepEqual(topK(ids, score, 3, 'asc'), ['c', 'a', 'd']); // 0.1, then the tie a < d
  assert.deepEqual(topK(ids, score, 0, 'asc'), []);
  // independent of input order
  assert.deepEqual(topK([...ids].reverse(), [...score].reverse(), 4, 'desc'), ['b', 'a', 'd', 'e']);
});

test('ambiguousSubset keeps the most variable examples; errors', () => {
  assert.deepEqual(ambiguousSubset(['x', 'y', 'z'], Float32Array.from([0.1, 0.3, 0.2]), 2), ['y', 'z']);
  assert.throws(() => topK(['a'], [1, 2], 1, 'desc'), /1 ids but 2 scores/);
  assert.throws(() => topK(['a', 'b'], [1, 2], 3, 'desc'), /k = 3 is out of range/);
  assert.throws(() => topK(['a', 'b'], [1, NaN], 1, 'desc'), /score of id "b" is NaN/);
});
