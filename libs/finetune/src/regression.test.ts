// Regression (HF problem_type "regression": a sequence-classification head with num_labels 1): the loss is the mean
// squared error against float targets, "correct" means within REGRESSION_TOLERANCE, and training learns a score.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import { REGRESSION_TOLERANCE, type EncodedSet } from '@prunelab/core';
import { batchTensors } from './encoded.ts';
import { evaluate } from './evaluate.ts';
import { headLoss } from './losses.ts';
import { parseModelConfig } from './model-config.ts';
import { permutation } from '@prunelab/core';
import { isCorrect, train } from './train.ts';

before(async () => {
  await chooseBackend('cpu');
});

const config = () =>
  parseModelConfig({
    model_type: 'bert',
    vocab_size: 40,
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 16,
    num_labels: 1,
    hidden_dropout_prob: 0,
    attention_probs_dropout_prob: 0,
  });

/** Rows of 8 tokens (CLS 2 first); the target is 5 x the share of the 6 body tokens that are token 5: 0..5 like STS-B. */
function scoreTask(n: number, seed: number): EncodedSet {
  const L = 8;
  const r = permutation(n * L * 2, seed);
  const ids = new Int32Array(n * L);
  const targets = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    ids[i * L] = 2;
    let fives = 0;
    for (let t = 1; t < 7; t++) {
      const five = r[i * L + t]! % 2 === 0;
      ids[i * L + t] = five ? 5 : 8 + (r[n * L + i * L + t]! % 20);
      if (five) fives++;
    }
    ids[i * L + 7] = 3;
    targets[i] = (5 * fives) / 6;
  }
  return {
    inputIds: ids,
    attentionMask: new Int32Array(n * L).fill(1),
    tokenTypeIds: new Int32Array(n * L),
    labels: new Int32Array(n).fill(-1),
    n,
    maxLength: L,
    targets,
  };
}

test('regression loss is the mean squared error against the targets (worked by hand)', () => {
  const data = scoreTask(3, 1);
  data.targets = Float32Array.from([1, 2.5, 4]);
  const batch = batchTensors(data, Int32Array.from([0, 1, 2]));
  const logits = tf.tensor2d([[1.5], [2.5], [2]]);
  // errors 0.5, 0, -2 -> (0.25 + 0 + 4) / 3
  const loss = headLoss({ head: 'seqcls', logits }, batch);
  assert.ok(Math.abs(loss.dataSync()[0]! - 4.25 / 3) < 1e-6);
  tf.dispose([
    logits,
    loss,
    batch.inputs.inputIds,
    batch.inputs.attentionMask,
    batch.inputs.tokenTypeIds!,
    batch.labels,
    batch.targets!,
  ]);
  // correct = within the tolerance (0.5 inclusive): rows 0 and 1, not row 2
  assert.equal(REGRESSION_TOLERANCE, 0.5);
  const flat = Float32Array.from([1.5, 2.5, 2]);
  assert.deepEqual(
    [0, 1, 2].map((i) => isCorrect(flat, 1, i, data, i)),
    [true, true, false],
  );
});

test('a num_labels 1 model without targets is refused', async () => {
  const c = config();
  const model = { config: c, params: initParams(c, 1) };
  const { targets: _t, ...noTargets } = scoreTask(8, 2);
  await assert.rejects(train(model, noTargets, { epochs: 1, batchSize: 4, lr: 1e-3, seed: 1 }), /regresses.*targets/);
  disposeParams(model.params);
});

test('regression training lowers the dev MSE and evaluate reports it with the within-tolerance share', async () => {
  const c = config();
  const model = { config: c, params: initParams(c, 3) };
  const dev = scoreTask(64, 9);
  const before = await evaluate(model, dev);
  assert.equal(before.numClasses, 1);
  assert.equal(before.logits.length, 64);
  let mse = 0;
  let within = 0;
  for (let i = 0; i < 64; i++) {
    const e = before.logits[i]! - dev.targets![i]!;
    mse += e * e;
    if (Math.abs(e) <= REGRESSION_TOLERANCE) within++;
  }
  assert.ok(Math.abs(before.loss - mse / 64) < 1e-3 * Math.max(1, mse / 64), `${before.loss} vs ${mse / 64}`);
  assert.equal(before.accuracy, within / 64);
  await train(model, scoreTask(192, 4), { epochs: 10, batchSize: 16, lr: 1e-2, seed: 5 });
  const after = await evaluate(model, dev);
  assert.ok(after.loss < before.loss / 2, `dev MSE ${before.loss} -> ${after.loss}`);
  assert.ok(after.loss < 0.5, `dev MSE after training ${after.loss}`);
  disposeParams(model.params);
});
