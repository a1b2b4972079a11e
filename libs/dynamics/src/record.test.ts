import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EpochRecorder } from './record.ts';

test('EpochRecorder puts shuffled batches back in header id order', () => {
  const r = new EpochRecorder(['a', 'b', 'c', 'd']);
  r.add(['c', 'a'], [true, false], [0.9, 0.1], [0.1, 2.3], [1.5, -2]);
  r.add(['d', 'b'], Uint8Array.from([0, 1]), [0.4, 0.75], [0.9, 0.3], [-0.5, 0.25]);
  const e = r.finish();
  assert.deepEqual(Array.from(e.correct), [0, 1, 1, 0]);
  assert.deepEqual(Array.from(e.goldProb), Array.from(Float32Array.from([0.1, 0.75, 0.9, 0.4])));
  assert.deepEqual(Array.from(e.loss), Array.from(Float32Array.from([2.3, 0.3, 0.1, 0.9])));
  assert.deepEqual(Array.from(e.margin), [-2, 0.25, 1.5, -0.5]);
  assert.throws(() => r.add(['a'], [1], [1], [0], [1]), /already finished/);
});

test('EpochRecorder errors: duplicate, unknown, missing ids', () => {
  const r = new EpochRecorder(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']);
  r.add(['b'], [1], [1], [0], [1]);
  assert.throws(() => r.add(['b'], [1], [1], [0], [1]), /id "b" seen twice in one epoch/);
  assert.throws(() => r.add(['zz'], [1], [1], [0], [1]), /unknown id "zz"/);
  assert.throws(() => r.add(['a', 'c'], [1], [1, 1], [0, 0], [1, 1]), /correct has 1 values for 2 ids/);
  // 7 of 8 never seen; the message lists the first five
  assert.throws(() => r.finish(), /7 of 8 ids were never seen this epoch \(e\.g\. "a", "c", "d", "e", "f"\)/);
  assert.throws(() => new EpochRecorder(['x', 'y', 'x']), /id "x" appears twice/);
});

test('EpochRecorder.addRows and addBatch; el2n kept when every batch has it', () => {
  const r = new EpochRecorder(['a', 'b', 'c']);
  r.addRows(Int32Array.from([2, 0]), {
    correct: [1, 0],
    goldProb: [0.9, 0.2],
    loss: [0.1, 1.6],
    margin: [2, -1],
    el2n: [0.14, 1.1],
  });
  r.addBatch(['b'], { correct: Uint8Array.from([1]), goldProb: [0.6], loss: [0.5], margin: [0.25], el2n: [0.5] });
  const e = r.finish();
  assert.deepEqual(Array.from(e.correct), [0, 1, 1]);
  assert.deepEqual(Array.from(e.margin), [-1, 0.25, 2]);
  assert.deepEqual(Array.from(e.el2n!), Array.from(Float32Array.from([1.1, 0.5, 0.14])));
  // without el2n the epoch has no el2n array
  const plain = new EpochRecorder(['a']);
  plain.add(['a'], [1], [1], [0], [1]);
  assert.equal(plain.finish().el2n, undefined);
});

test('EpochRecorder: el2n for some batches only, rows out of range', () => {
  const r = new EpochRecorder(['a', 'b']);
  r.add(['a'], [1], [1], [0], [1], [0]);
  assert.throws(() => r.add(['b'], [1], [1], [0], [1]), /el2n was given for earlier batches but is not for this one/);
  assert.throws(
    () => r.addRows([2], { correct: [1], goldProb: [1], loss: [0], margin: [1], el2n: [0] }),
    /row 2 is outside 0\.\.1/,
  );
  assert.throws(
    () => r.addRows([0], { correct: [1], goldProb: [1], loss: [0], margin: [1], el2n: [0] }),
    /id "a" seen twice/,
  );
});
