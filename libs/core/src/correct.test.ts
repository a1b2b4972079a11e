import assert from 'node:assert/strict';
import { test } from 'node:test';
import { argmax, classCorrect, regressionCorrect, spanCorrect } from './correct.ts';
import { kindOfSet, rowCorrect } from './task-kind.ts';
import type { EncodedSet } from './encoded.ts';
import { mulberry32 } from './rng.ts';

const set = (extra: Partial<EncodedSet>): EncodedSet => ({
  inputIds: new Int32Array(0),
  attentionMask: new Int32Array(0),
  tokenTypeIds: new Int32Array(0),
  labels: new Int32Array(0),
  n: 0,
  maxLength: 4,
  ...extra,
});

test('argmax takes the first of equal maxima, as torch.argmax does', () => {
  assert.equal(argmax([1, 3, 3, 2], 0, 4), 1);
  assert.equal(argmax([9, 1, 3, 3, 2], 1, 4), 1);
  assert.equal(argmax([5, 5], 0, 2), 0);
});

test('every kind counts correct by its plain definition', () => {
  const rand = mulberry32(3);
  for (let trial = 0; trial < 200; trial++) {
    const C = 2 + Math.floor(rand() * 5);
    const logits = Float32Array.from({ length: 3 * C }, () => Math.round(rand() * 4));
    const labels = Int32Array.from({ length: 3 }, () => Math.floor(rand() * C));
    for (let i = 0; i < 3; i++) {
      const row = [...logits.subarray(i * C, (i + 1) * C)];
      const top = row.indexOf(Math.max(...row));
      assert.equal(classCorrect(logits, i * C, C, labels[i]!), top === labels[i]);
      assert.equal(rowCorrect('classification', logits, C, i, set({ labels }), i), top === labels[i]);
      assert.equal(rowCorrect('multiple-choice', logits, C, i, set({ labels, numChoices: C }), i), top === labels[i]);
    }
    // QA rows are [start logits, end logits] of width T
    const T = C;
    const qa = Float32Array.from({ length: 2 * 2 * T }, () => Math.round(rand() * 3));
    const starts = Int32Array.from({ length: 2 }, () => Math.floor(rand() * T));
    const ends = Int32Array.from({ length: 2 }, () => Math.floor(rand() * T));
    for (let i = 0; i < 2; i++) {
      const s = [...qa.subarray(2 * i * T, (2 * i + 1) * T)];
      const e = [...qa.subarray((2 * i + 1) * T, (2 * i + 2) * T)];
      const want = s.indexOf(Math.max(...s)) === starts[i] && e.indexOf(Math.max(...e)) === ends[i];
      assert.equal(rowCorrect('extractive-qa', qa, T, i, set({ startPositions: starts, endPositions: ends }), i), want);
      assert.equal(spanCorrect(s, 0, e, 0, T, starts[i]!, ends[i]!), want);
    }
  }
});

test('regression is correct within the tolerance, inclusive', () => {
  assert.equal(regressionCorrect(3, 3.5), true);
  assert.equal(regressionCorrect(3, 3.51), false);
  assert.equal(regressionCorrect(3, 2, 1), true);
  const targets = Float32Array.from([1, 2]);
  assert.deepEqual(
    [0, 1].map((i) => rowCorrect('regression', [1.4, 2.6], 1, i, set({ targets }), i)),
    [true, false],
  );
});

test('the kind of an encoded set is read from its shape', () => {
  assert.equal(kindOfSet(set({})), 'classification');
  assert.equal(kindOfSet(set({ numChoices: 4 })), 'multiple-choice');
  assert.equal(kindOfSet(set({ startPositions: new Int32Array(0), endPositions: new Int32Array(0) })), 'extractive-qa');
  assert.equal(kindOfSet(set({ targets: new Float32Array(0) })), 'regression');
});
