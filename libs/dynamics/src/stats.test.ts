import { test } from 'node:test';
import assert from 'node:assert/strict';
import { batchStats, exampleStats, mcBatchStats, qaBatchStats, qaExampleStats, softmax } from './stats.ts';

const close = (a: number, b: number, tol = 1e-6) => assert.ok(Math.abs(a - b) <= tol, `${a} != ${b}`);

test('exampleStats: margin, loss and gold probability by hand', () => {
  // logits [1, 3, 2]: logsumexp = 3 + log(e^-2 + 1 + e^-1) = 3 + log(1.5032140) = 3.4076059
  const s = exampleStats([1, 3, 2], 1);
  assert.equal(s.correct, true);
  close(s.margin, 1); // 3 - max(1, 2)
  close(s.loss, 0.4076059); // 3.4076059 - 3
  close(s.goldProb, 0.665241); // 1 / 1.5032140
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

test('EL2N = ||softmax - onehot||_2 by hand, and sqrt(2)(1 - p) for two classes', () => {
  // logits [1, 3, 2]: p = [0.0900306, 0.6652410, 0.2447285]; gold 1:
  // (1 - 0.6652410)^2 + 0.0900306^2 + 0.2447285^2 = 0.1800612, sqrt = 0.4243361
  close(exampleStats([1, 3, 2], 1).el2n, 0.4243361);
  // two classes, p_gold = 3/4: sqrt(0.25^2 + 0.25^2) = 0.3535534
  close(exampleStats([0, Math.log(3)], 1).el2n, Math.SQRT2 * 0.25);
  const s = batchStats(Float32Array.from([1, 3, 2, 0, 0, 0]), 3, [1, 2]);
  close(s.el2n[0]!, 0.4243361);
  close(s.el2n[1]!, Math.sqrt((2 / 3) ** 2 + 2 / 9), 1e-6); // uniform: (2/3)^2 + 2 * (1/3)^2
});

test('QA stats: both heads right = correct; span probability, mean loss, min margin by hand', () => {
  // start p = [1, 4, 3] / 8, end p = [2, 1, 5] / 8
  const start = [0, Math.log(4), Math.log(3)];
  const end = [Math.log(2), 0, Math.log(5)];
  const s = qaExampleStats(start, end, 1, 2);
  assert.equal(s.correct, true);
  close(s.goldProb, 0.5 * 0.625);
  close(s.loss, 0.5815754); // (ln 2 + ln 8/5) / 2
  close(s.margin, 0.2876821); // min(ln 4/3, ln 5/2)
  close(s.el2n, 0.5525423); // (sqrt(.40625) + sqrt(.21875)) / 2
  const w = qaExampleStats(start, end, 1, 0); // end head wrong: argmax 2, gold 0
  assert.equal(w.correct, false);
  close(w.margin, -0.9162907); // ln 2/5
  close(w.goldProb, 0.5 * 0.25);
  assert.equal(qaExampleStats(start, end, 2, 2).correct, false); // start head wrong
  const b = qaBatchStats(
    Float32Array.from([...start, ...start]),
    Float32Array.from([...end, ...end]),
    3,
    [1, 1],
    [2, 0],
  );
  assert.deepEqual(Array.from(b.correct), [1, 0]);
  close(b.margin[1]!, -0.9162907);
  close(b.el2n[0]!, 0.5525423);
  assert.throws(
    () => qaBatchStats(Float32Array.from(start), Float32Array.from(end), 3, [1], [3]),
    /gold end 3 is not an index in 0\.\.2/,
  );
  assert.throws(
    () => qaBatchStats(Float32Array.from(start), Float32Array.from(end), 3, [1, 1], [2, 2]),
    /start logits have 3 values but batch \* seqLen = 2 \* 3 = 6/,
  );
});

test('multiple choice: argmax over the choices == gold choice', () => {
  const s = mcBatchStats(Float32Array.from([0.1, 2, 0.3, -1, 1, 4, 4, -1]), 4, [1, 2]);
  assert.deepEqual(Array.from(s.correct), [1, 0]); // row 1: choices 1 and 2 tie at 4, the first wins
  close(s.margin[0]!, 2 - 0.3);
  close(s.margin[1]!, 0);
  assert.throws(() => mcBatchStats(Float32Array.from([1]), 1, [0]), /numChoices = 1/);
});
