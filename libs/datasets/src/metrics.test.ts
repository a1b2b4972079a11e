// Task metrics on small cases worked out by hand.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  expectedCalibrationError,
  accuracy,
  averageRanks,
  f1Score,
  macroF1,
  matthewsCorrelation,
  pearson,
  spearman,
  taskMetrics,
} from './metrics.ts';
import { getTask } from './tasks.ts';

const close = (a: number | undefined, b: number) =>
  assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${a} vs ${b}`);

test('accuracy and F1 of the positive class', () => {
  assert.equal(accuracy([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
  // pred [1,1,0,0,1] gold [1,0,1,0,1]: tp 2, fp 1, fn 1 -> 2tp / (2tp + fp + fn) = 4/6
  close(f1Score([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]), 2 / 3);
  assert.equal(f1Score([0, 0], [0, 0]), 0); // no positive anywhere: F1 undefined -> 0
  // 3 classes, pred [0,1,2,2] gold [0,1,1,2]: F1 class 0 = 1, class 1 = 2/3 (fn 1), class 2 = 2/3 (fp 1)
  close(macroF1([0, 1, 2, 2], [0, 1, 1, 2], 3), (1 + 2 / 3 + 2 / 3) / 3);
});

test('Matthews correlation', () => {
  // tp 2, tn 1, fp 1, fn 1: (2*1 - 1*1) / sqrt(3 * 3 * 2 * 2) = 1/6
  close(matthewsCorrelation([1, 1, 0, 0, 1], [1, 0, 1, 0, 1]), 1 / 6);
  assert.equal(matthewsCorrelation([1, 1, 1], [1, 0, 1]), 0); // constant prediction
  close(matthewsCorrelation([0, 1, 0, 1], [1, 0, 1, 0]), -1);
});

test('Pearson and Spearman (ties get average ranks)', () => {
  // x [1,2,3], y [2,4,7]: sxy 5, sxx 2, syy 114/9 -> 5 / sqrt(2 * 114/9)
  close(pearson([1, 2, 3], [2, 4, 7]), 5 / Math.sqrt((2 * 114) / 9));
  assert.deepEqual(averageRanks([1, 2, 2, 3]), [1, 2.5, 2.5, 4]);
  // ranks [1,2.5,2.5,4] vs [1,3,2,4]: sxy 4.5, sxx 4.5, syy 5 -> 4.5 / sqrt(22.5)
  close(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 4.5 / Math.sqrt(22.5));
  close(spearman([10, 20, 30], [1, 4, 9]), 1);
});

test("each task's metrics", () => {
  assert.deepEqual(Object.keys(taskMetrics(getTask('mrpc'), [1, 0], [1, 1])), ['accuracy', 'f1']);
  assert.deepEqual(Object.keys(taskMetrics(getTask('qqp'), [1, 0], [1, 1])), ['accuracy', 'f1']);
  close(taskMetrics(getTask('cola'), [1, 1, 0, 0, 1], [1, 0, 1, 0, 1]).matthews, 1 / 6);
  const sts = taskMetrics(getTask('stsb'), [1, 2, 3], [2, 4, 7]);
  close(sts.pearson, 5 / Math.sqrt((2 * 114) / 9));
  close(sts.spearman, 1);
  close(taskMetrics(getTask('cb'), [0, 1, 2, 2], [0, 1, 1, 2]).f1, 7 / 9); // SuperGLUE CB: macro-F1
  assert.deepEqual(taskMetrics(getTask('sst2'), [1, 0], [1, 1]), { accuracy: 0.5 });
  assert.throws(() => taskMetrics(getTask('rte'), [0], [-1]), /unlabelled split/);
  assert.throws(() => accuracy([1], [1, 0]), /1 predictions but 2 labels/);
});

test('expected calibration error over 15 equal-width bins, by hand', () => {
  // confidences 0.9 (right), 0.9 (wrong), 0.6 (right): bins (0.8667, 0.9333] and (0.5333, 0.6]
  const logit = (p: number) => Math.log(p / (1 - p)); // two classes: softmax of [0, logit(p)] puts p on class 1
  const logits = [0, logit(0.9), 0, logit(0.9), logit(0.6), 0];
  const labels = [1, 0, 0];
  const want = (2 / 3) * Math.abs(0.5 - 0.9) + (1 / 3) * Math.abs(1 - 0.6);
  assert.ok(Math.abs(expectedCalibrationError(logits, labels, 2) - want) < 1e-12);
  // perfectly calibrated and certain: 0; one bin: |accuracy - mean confidence|
  assert.equal(expectedCalibrationError([0, 50, 50, 0], [1, 0], 2), 0);
  const one = expectedCalibrationError(logits, labels, 2, 1);
  assert.ok(Math.abs(one - Math.abs(2 / 3 - (0.9 + 0.9 + 0.6) / 3)) < 1e-12);
  assert.throws(() => expectedCalibrationError([0, 1, 2], [0], 2), /3 logits for 1 examples/);
});
