// Exactness against Hugging Face: the tiny BERT checkpoint saved by transformers 4.31, its logits, and one AdamW step.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { AdamW } from './adamw.ts';
import { chooseBackend } from './backend.ts';
import { bertSequenceClassifier } from './bert.ts';
import { loadModel } from './checkpoint.ts';
import { crossEntropy } from './encoded.ts';
import { EVAL } from './layers.ts';
import { HF_TINY } from './test-helpers.ts';

interface Batch { name: string; inputs: { input_ids: number[][]; attention_mask: number[][]; token_type_ids: number[][] }; outputs: { logits: number[][] } }

const dir = join(HF_TINY, 'bert-seqcls');
const fixture = JSON.parse(readFileSync(join(dir, 'fixture.json'), 'utf8'));

function inputsOf(b: Batch['inputs']) {
  return {
    inputIds: tf.tensor2d(b.input_ids, undefined, 'int32'),
    attentionMask: tf.tensor2d(b.attention_mask, undefined, 'int32'),
    tokenTypeIds: tf.tensor2d(b.token_type_ids, undefined, 'int32'),
  };
}

function maxAbsDiff(a: number[][], b: number[][]): number {
  return Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));
}

describe('BERT sequence classification matches Hugging Face', () => {
  before(async () => { await chooseBackend(); });

  test('logits of every fixture batch within 1e-4', () => {
    const model = loadModel(dir);
    assert.deepEqual(model.newlyInitialised, []);
    for (const b of fixture.batches as Batch[]) {
      const logits = tf.tidy(() => bertSequenceClassifier(model.params, model.config, inputsOf(b.inputs), EVAL).arraySync());
      const diff = maxAbsDiff(logits, b.outputs.logits);
      assert.ok(diff < 1e-4, `${b.name}: max |diff| ${diff}`);
    }
  });

  test('loss and logits after one AdamW step within 1e-4', () => {
    const ts = fixture.train_step;
    const model = loadModel(dir);
    const inputs = inputsOf(ts.inputs);
    const labels = tf.tensor1d(ts.labels, 'int32');
    const ctx = { training: true, nextSeed: () => 0 }; // every dropout is 0 in this config
    const lossOf = () => crossEntropy(bertSequenceClassifier(model.params, model.config, inputs, ctx), labels);
    const { value, grads } = tf.variableGrads(lossOf);
    assert.ok(Math.abs(value.dataSync()[0]! - ts.loss_before) < 1e-4);
    const opt = new AdamW(model.params, { lr: ts.optimizer.lr, betas: ts.optimizer.betas, eps: ts.optimizer.eps, weightDecay: ts.optimizer.weight_decay });
    const norm = opt.apply(grads);
    assert.ok(Math.abs(norm - ts.grad_global_l2_norm) < 1e-3, `grad norm ${norm} vs ${ts.grad_global_l2_norm}`);
    const after = tf.tidy(() => lossOf().dataSync()[0]!);
    assert.ok(Math.abs(after - ts.loss_after) < 1e-4, `loss after ${after} vs ${ts.loss_after}`);
    const logitsAfter = tf.tidy(() => bertSequenceClassifier(model.params, model.config, inputs, EVAL).arraySync());
    assert.ok(maxAbsDiff(logitsAfter, ts.logits_after) < 1e-4);
  });

  test('a missing tensor is named in the error', () => {
    assert.throws(() => loadModel(join(HF_TINY, 'roberta-seqcls')), /model_type 'roberta' is not supported/);
  });
});
