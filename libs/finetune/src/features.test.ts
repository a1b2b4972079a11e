// The classifier's input handed back by the training forward pass (ForwardContext.features, train()'s `features`
// option): for every family and its seqcls and mc heads it is the pooled representation a manual forward computes
// (evaluation mode), and in training mode (dropout on) it is exactly what the last linear layer multiplies: the
// logits follow from it. Asking for it changes nothing in training; not asking hands nothing back.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { permutation } from '@prunelab/core';
import { chooseBackend } from './backend.ts';
import { randomRows } from './testing/random-rows.ts';
import type { BertConfig } from './bert-config.ts';
import { firstToken, pooled } from './bert.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import type { EncodedSet } from './encoded.ts';
import { FAMILY_NAMES, familyOf, tinyConfig } from './families/index.ts';
import { forward, headSpecs } from './heads.ts';
import { EVAL, linear, type ForwardContext } from './layers.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import { param, type Params } from './params.ts';
import { train, type BatchReport } from './train.ts';
import { useLitePooled } from './use-lite.ts';
import type { UseLiteConfig } from './use-lite-config.ts';

before(async () => {
  await chooseBackend();
});

const B = 3;
const C = 2; // choices of the mc batches
const T = 7;

function inputs(c: ModelConfig, rows: number, shape: number[], seed: number) {
  const { ids, mask } = randomRows(c, rows, T, seed);
  return { inputIds: tf.tensor(ids, shape, 'int32'), attentionMask: tf.tensor(mask, shape, 'int32'), mask };
}

/** The head's last linear layer: the last `.weight` of its specs, and its bias if it has one. */
function lastLayer(c: ModelConfig, head: 'seqcls' | 'mc', params: Params): { w: tf.Tensor; b?: tf.Tensor } {
  const name = headSpecs(c, head)
    .map((s) => s.name)
    .filter((n) => n.endsWith('.weight'))
    .at(-1)!;
  const bias = name.replace(/weight$/, 'bias');
  return { w: param(params, name), ...(params.has(bias) && { b: param(params, bias) }) };
}

/** The pooled representation by hand, from the body's hidden states (evaluation mode: no dropout). */
function manualPooled(
  c: ModelConfig,
  head: 'seqcls' | 'mc',
  params: Params,
  hidden: tf.Tensor3D,
  attentionMask: tf.Tensor,
  mask: Int32Array,
): tf.Tensor2D {
  switch (c.model_type) {
    case 'bert':
      return pooled(params, c as BertConfig, hidden);
    case 'roberta':
      if (head === 'mc') return pooled(params, c as BertConfig, hidden);
      return tf.tanh(
        linear(firstToken(hidden), param(params, 'classifier.dense.weight'), param(params, 'classifier.dense.bias')),
      ) as tf.Tensor2D;
    case 'opt': {
      // the state at the last real token of each row
      const [N, L, D] = hidden.shape;
      const at = Array.from(
        { length: N },
        (_, r) => r * L + mask.subarray(r * L, (r + 1) * L).reduce((a, x) => a + x, 0) - 1,
      );
      return tf.gather(hidden.reshape([N * L, D]), tf.tensor1d(at, 'int32')) as tf.Tensor2D;
    }
    case 'use-lite':
      return useLitePooled(params, c as UseLiteConfig, hidden, attentionMask);
  }
  throw new Error(`no manual pooling for ${c.model_type}`);
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]!);

for (const name of FAMILY_NAMES) {
  for (const head of (['seqcls', 'mc'] as const).filter((h) => familyOf(name).heads.includes(h))) {
    test(`${name} ${head}: the features hook gets the input of the last linear layer`, () => {
      const c = parseModelConfig({ ...tinyConfig(name), hidden_dropout_prob: 0.2 });
      const params = initParams(c, 13, head);
      const rows = head === 'mc' ? B * C : B;
      const x = inputs(c, rows, head === 'mc' ? [B, C, T] : [B, T], 3);
      const { w, b } = lastLayer(c, head, params);
      for (const training of [false, true]) {
        let seed = 5;
        let got: { h: tf.Tensor2D; bias: boolean } | undefined;
        const ctx: ForwardContext = {
          ...(training ? { training: true, nextSeed: () => seed++ } : EVAL),
          features: (h, bias) => {
            got = { h: tf.keep(h), bias };
          },
        };
        const out = forward(params, c, head, x, ctx);
        assert.ok(got, `${name} ${head}: the hook was called`);
        assert.equal(got.bias, b !== undefined, `${name} ${head}: bias flag`);
        assert.deepEqual(got.h.shape, [rows, w.shape[0]]);
        // the logits are h W (+ b): h is what the layer multiplies, dropout included
        const logits = tf.tidy(() => linear(got!.h, w, b).reshape([B, -1]));
        assert.ok(out.head !== 'qa');
        assert.ok(maxDiff(logits, out.logits) < 1e-5, `${name} ${head} training=${training}: logits from h`);
        if (!training) {
          const flat =
            head === 'mc'
              ? { inputIds: x.inputIds.reshape([rows, T]), attentionMask: x.attentionMask.reshape([rows, T]) }
              : x;
          const hidden = familyOf(name).body(params, c, flat, EVAL);
          const want = manualPooled(c, head, params, hidden, flat.attentionMask, x.mask);
          assert.ok(maxDiff(want, got.h) < 1e-5, `${name} ${head}: h is the pooled representation`);
          tf.dispose([hidden, want]);
        } else {
          // dropout made h differ from the evaluation pass's
          const ev = forward(params, c, head, x, EVAL);
          assert.ok(ev.head !== 'qa' && maxDiff(ev.logits, out.logits) > 0, `${name} ${head}: dropout was on`);
        }
        tf.dispose([got.h, logits]);
      }
      // no hook, no call: evaluation is unchanged
      const plain = forward(params, c, head, x, EVAL);
      assert.ok(plain.head !== 'qa');
      disposeParams(params);
      tf.dispose([x.inputIds, x.attentionMask]);
    });
  }
}

test('train() with `features`: each pass hands its classifier input, the logits follow from it; training is unchanged', async () => {
  const c = parseModelConfig({ ...tinyConfig('bert'), hidden_dropout_prob: 0.1, attention_probs_dropout_prob: 0.1 });
  const n = 24;
  const L = 8;
  const order = permutation(n * L, 3);
  const data: EncodedSet = {
    inputIds: Int32Array.from({ length: n * L }, (_, i) => 3 + (order[i]! % 500)),
    attentionMask: new Int32Array(n * L).fill(1),
    tokenTypeIds: new Int32Array(n * L),
    labels: Int32Array.from({ length: n }, (_, i) => order[i]! % 2),
    n,
    maxLength: L,
  };
  const run = async (features: boolean) => {
    const model = { config: c, params: initParams(c, 4) };
    const reports: BatchReport[] = [];
    await train(model, data, {
      epochs: 2,
      batchSize: 5,
      gradientAccumulationSteps: 2,
      lr: 1e-3,
      seed: 9,
      features,
      onBatch: (r) => {
        if (r.features) {
          // the weights are those of this pass (the step's update comes after its passes)
          const h = tf.tensor2d(r.features, [r.rows.length, r.featureDim!]);
          const z = tf.tidy(() =>
            linear(h, param(model.params, 'classifier.weight'), param(model.params, 'classifier.bias')),
          );
          assert.ok(maxDiff(z, tf.tensor2d(r.logits, [r.rows.length, r.numClasses])) < 1e-5, 'logits from features');
          tf.dispose([h, z]);
        }
        reports.push(r);
      },
    });
    disposeParams(model.params);
    return reports;
  };
  const on = await run(true);
  const off = await run(false);
  assert.equal(on.length, off.length);
  for (let i = 0; i < on.length; i++) {
    assert.deepEqual(on[i]!.logits, off[i]!.logits, 'asking for features changes no logit');
    assert.equal(on[i]!.featureDim, c.hidden_size);
    assert.equal(on[i]!.featureBias, true);
    assert.equal(on[i]!.features!.length, on[i]!.rows.length * c.hidden_size);
    assert.equal(off[i]!.features, undefined);
  }
});
