import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchStats, exampleStats, softmax } from './stats.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('exampleStats: margin, loss and gold probability by hand', () => {
  // logits [1, 3, 2]: logsumexp = 3 + log(e^-2 + 1 + e^-1) = 3 + log(1.5032140) = 3.4076059
  const s = exampleStats([1, 3, 2], 1);
  assert.equal(s.correct, true);
  close(s.margin, 1); // 3 - max(1, 2)
  close(s.loss, 0.4076059); // 3.4076059 - 3
  close(s.goldProb, 0.6652410); // 1 / 1.5032140
  const w = exampleStats([1, 3, 2], 0);
  assert.equal(w.correct, false);
  close(w.margin, -2); // 1 - 3
  close(w.loss, 2.4076059); // 3.4076059 - 1
  close(w.goldProb, 0.0900306); // e^-2.4076059
});

test('exampleStats: stable with logits like 1000', () => {
  const a = exampleStats([1000, 0], 1); // loss = 1000 + log(1 + e^-1000) = 1000
  assert.ok(Number.isFinite(a.loss));
  close(a.loss, 1000);
  close(a.margin, -1000);
  assert.equal(a.correct, false);
  const b = exampleStats([1000, 0], 0); // loss = log(1 + e^-1000) = 0
  close(b.loss, 0);
  close(b.goldProb, 1);
  const tie = exampleStats([1000, 1000], 0); // loss = log 2, first index wins the argmax tie
  close(tie.loss, Math.LN2);
  close(tie.goldProb, 0.5);
  assert.equal(tie.correct, true);
  assert.equal(exampleStats([1000, 1000], 1).correct, false);
  close(tie.margin, 0);
  const p = softmax([1000, 1000, -1000]);
  close(p[0]!, 0.5);
  close(p[2]!, 0);
});

test('batchStats agrees with exampleStats row by row and checks shapes', () => {
  const logits = Float32Array.from([1, 3, 2, 0.5, -1, 4, 7, 7, 7]);
  const labels = [1, 0, 2];
  const s = batchStats(logits, 3, labels);
  assert.deepEqual(Array.from(s.correct), [1, 0, 0]); // row 2 ties at 7: argmax is class 0
  for (let b = 0; b < 3; b++) {
    const e = exampleStats(logits.subarray(b * 3, b * 3 + 3), labels[b]!);
    close(s.goldProb[b]!, e.goldProb);
    close(s.loss[b]!, e.loss, 1e-5);
    close(s.margin[b]!, e.margin);
  }
  close(s.goldProb[2]!, 1 / 3);
  assert.throws(() => batchStats(logits, 3, [1, 0]), /logits has 9 values/);
  assert.throws(() => batchStats(logits, 3, [1, 0, 3]), /gold label 3/);
});
