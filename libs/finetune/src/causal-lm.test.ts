// The causal-LM objective: loss and perplexity agree with a plain log-softmax computed in JS (masked positions
// excluded), the NLL's hand-written gradient equals tfjs' own, and training lowers the loss on a repeated text.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { AdamW } from './adamw.ts';
import { chooseBackend } from './backend.ts';
import { lmLogits, lmLoss, nllSum, perplexity, saveCausalLm, streamBlocks } from './causal-lm.ts';
import { disposeParams, initParams, loadModel } from './checkpoint.ts';
import { parseOptConfig } from './opt-config.ts';
import type { Params } from './params.ts';

const c = parseOptConfig({
  vocab_size: 24,
  hidden_size: 16,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  ffn_dim: 32,
  max_position_embeddings: 16,
  dropout: 0,
});

function lmParams(seed: number): Params {
  const p = initParams(c, seed);
  p.get('score.weight')!.dispose();
  p.delete('score.weight');
  return p;
}

before(async () => {
  await chooseBackend('cpu');
});

test('nllSum equals -log softmax at the targets, masked positions excluded', () => {
  const logits = tf.tensor2d([
    [1, 2, 3],
    [0, 0, 0],
    [5, -1, 2],
    [0.5, 0.1, -3],
  ]);
  const targets = tf.tensor2d(
    [
      [2, 0],
      [1, 2],
    ],
    [2, 2],
    'int32',
  );
  const weights = tf.tensor2d([
    [1, 1],
    [0, 1],
  ]);
  const { sum, count } = nllSum(logits, targets, weights);
  const rows = logits.arraySync();
  const nll = (r: number[], t: number) => Math.log(r.reduce((s, x) => s + Math.exp(x), 0)) - r[t]!;
  const expected = nll(rows[0]!, 2) + nll(rows[1]!, 0) + nll(rows[3]!, 2);
  assert.ok(Math.abs(sum.dataSync()[0]! - expected) < 1e-5);
  assert.equal(count.dataSync()[0], 3);
});

test("the NLL's gradient equals tfjs' gradient of -logSoftmax picked by one-hot", () => {
  const logits = tf.randomNormal([6, 5], 0, 2, 'float32', 3) as tf.Tensor2D;
  const targets = tf.tensor2d(
    [
      [0, 4, 2],
      [1, 1, 3],
    ],
    [2, 3],
    'int32',
  );
  const ours = tf
    .grad((l: tf.Tensor) => nllSum(l as tf.Tensor2D, targets).sum)(logits)
    .arraySync() as number[][];
  const ref = tf
    .grad((l: tf.Tensor) => tf.neg(tf.sum(tf.mul(tf.logSoftmax(l), tf.oneHot(targets.reshape([-1]), 5)))))(logits)
    .arraySync() as number[][];
  ours.forEach((r, i) => r.forEach((x, j) => assert.ok(Math.abs(x - ref[i]![j]!) < 1e-5)));
});

test('perplexity is exp(mean NLL) of every next token of the stream', () => {
  const params = lmParams(1);
  const stream = Int32Array.from({ length: 33 }, (_, i) => (i * 7) % 24);
  const T = 8;
  const got = perplexity(params, c, stream, T, 3);
  let sum = 0;
  let n = 0;
  for (let b = 0; b < 4; b++) {
    const logp = tf.tidy(
      () =>
        tf
          .logSoftmax(lmLogits(params, c, tf.tensor2d(stream.subarray(b * T, b * T + T), [1, T], 'int32')))
          .arraySync() as number[][],
    );
    for (let t = 0; t < T; t++) {
      sum -= logp[t]![stream[b * T + t + 1]!]!;
      n++;
    }
  }
  assert.equal(got.tokens, 32);
  assert.ok(Math.abs(got.nll - sum / n) < 1e-4, `${got.nll} vs ${sum / n}`);
  assert.ok(Math.abs(got.ppl - Math.exp(sum / n)) / got.ppl < 1e-4);
  disposeParams(params);
});

test('training lowers the loss on a repeated text; the saved LM folder loads with a fresh score head', async () => {
  const params = lmParams(2);
  const text = [5, 9, 3, 12, 7, 7, 20, 4, 2];
  const stream = Int32Array.from({ length: 9 * 12 + 1 }, (_, i) => text[i % 9]!);
  const block = streamBlocks(stream, 8, [0, 1, 2, 3]);
  const opt = new AdamW(params, { lr: 1e-2 });
  const vars = [...params.values()];
  const first = lmLoss(params, c, block).dataSync()[0]!;
  for (let s = 0; s < 40; s++) {
    const { value, grads } = tf.variableGrads(() => lmLoss(params, c, block), vars);
    await opt.apply(grads);
    tf.dispose([value, ...Object.values(grads)]);
  }
  const last = lmLoss(params, c, block).dataSync()[0]!;
  assert.ok(last < first * 0.5, `loss ${first} -> ${last}`);
  const dir = join(mkdtempSync(join(tmpdir(), 'causal-lm-')), 'model');
  saveCausalLm(dir, c, params);
  const loaded = loadModel(dir);
  assert.deepEqual(loaded.newlyInitialised, ['score.weight']);
  assert.deepEqual(
    [...loaded.params.get('model.decoder.embed_tokens.weight')!.dataSync()],
    [...params.get('model.decoder.embed_tokens.weight')!.dataSync()],
  );
  disposeParams(loaded.params);
  opt.dispose();
  disposeParams(params);
});
