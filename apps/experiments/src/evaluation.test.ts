// The task's metrics on an evaluation split: CoLA's main metric is Matthews correlation (accuracy beside it), MRPC's
// accuracy with F1 beside it, both computed by libs/datasets from the same predictions evaluate() gives.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { accuracy, f1Score, matthewsCorrelation } from '@prunelab/datasets';
import { argmax } from '@prunelab/core';
import {
  chooseBackend,
  disposeParams,
  evaluate,
  initParams,
  parseModelConfig,
  train,
  type EncodedSet,
} from '@prunelab/finetune';
import type { Cell } from './cell.ts';
import { scoreEval } from './evaluation.ts';

test('CoLA is scored by Matthews correlation, MRPC by accuracy with F1 beside it', async () => {
  await chooseBackend('cpu');
  const config = parseModelConfig({
    model_type: 'bert',
    vocab_size: 50,
    hidden_size: 16,
    num_hidden_layers: 1,
    num_attention_heads: 2,
    intermediate_size: 32,
    max_position_embeddings: 16,
    num_labels: 2,
  });
  const model = { config, params: initParams(config, 11) };
  const n = 40;
  const L = 6;
  const set: EncodedSet = {
    // class 1 rows (every third) hold token 7 everywhere after [CLS]; the others filler tokens
    inputIds: Int32Array.from({ length: n * L }, (_, i) =>
      i % L === 0 ? 2 : Math.floor(i / L) % 3 === 0 ? 7 : 10 + ((i * 7919) % 37),
    ),
    attentionMask: new Int32Array(n * L).fill(1),
    tokenTypeIds: new Int32Array(n * L),
    labels: Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1 : 0)),
    n,
    maxLength: L,
  };
  await train(model, set, { epochs: 8, batchSize: 8, lr: 1e-2, seed: 1 }); // a random model predicts one class: fit a little
  const r = await evaluate(model, set);
  const pred = Int32Array.from({ length: n }, (_, i) => argmax(r.logits, 2 * i, 2));
  assert.equal(new Set(pred).size, 2, 'the random model predicts both classes, so Matthews and F1 are not degenerate');
  for (const task of ['cola', 'mrpc'] as const) {
    const cell = { task, head: 'seqcls' } as Cell;
    const s = await scoreEval(cell, model, { set });
    assert.equal(s.metrics.accuracy, accuracy(pred, set.labels));
    assert.equal(s.accuracy, r.accuracy);
    // the per-class prediction counts the report's collapse check reads
    assert.deepEqual(s.predCounts, [pred.filter((p) => p === 0).length, pred.filter((p) => p === 1).length]);
    if (task === 'cola') {
      assert.equal(s.metrics.matthews, matthewsCorrelation(pred, set.labels));
      assert.equal(s.metric, s.metrics.matthews);
    } else {
      assert.equal(s.metrics.f1, f1Score(pred, set.labels, 1));
      assert.equal(s.metric, s.metrics.accuracy);
    }
  }
  disposeParams(model.params);
});
