// predict(): the dropout-off logits are evaluate()'s, the features reproduce them through the last linear layer,
// nothing depends on the batch size beyond rounding, the pooled layer representations end in the body's output,
// MC dropout passes are reproducible from their seed, a PEFT model predicts through its hooks, and no tensor leaks.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import type { EncodedSet } from '@prunelab/core';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams, loadModel } from './checkpoint.ts';
import { batchTensors, disposeBatch } from './encoded.ts';
import { evaluate } from './evaluate.ts';
import { familyOf, tinyConfig } from './families/index.ts';
import { headSpecs } from './heads.ts';
import { EVAL } from './layers.ts';
import { parseModelConfig, type ModelConfig } from './model-config.ts';
import { attachPeft, mergePeft } from './peft/attach.ts';
import { predict, type Prediction } from './predict.ts';
import { HF_TINY } from './testing/shared-paths.ts';
import { randomRows } from './testing/random-rows.ts';
import type { Model } from './train.ts';

before(async () => {
  await chooseBackend();
});

const T = 12;

/** n random rows (lengths T, T-2, T-3 in turn) as an encoded set. */
function encoded(c: ModelConfig, n: number, seed: number): EncodedSet {
  const { ids, mask } = randomRows(c, n, T, seed);
  const labels = Int32Array.from({ length: n }, (_, i) => i % c.num_labels);
  return { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(n * T), labels, n, maxLength: T };
}

/** A tiny random seqcls model of a family (small vocabulary: faster to build; dropout as the family's tiny). */
function tiny(name: 'bert' | 'opt' | 'use-lite', seed = 5): Model {
  const raw = tinyConfig(name);
  if (name !== 'use-lite') raw.vocab_size = 500;
  const config = parseModelConfig(raw);
  return { config, params: initParams(config, seed), head: 'seqcls' };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
};

function assertRowsSumToOne(p: Float32Array, C: number, what: string) {
  for (let i = 0; i < p.length / C; i++) {
    const s = p.subarray(i * C, (i + 1) * C).reduce((a, x) => a + x, 0);
    assert.ok(Math.abs(s - 1) < 1e-6, `${what}: row ${i} sums to ${s}`);
  }
}

/** features W (+ b) with the head's last linear layer, computed apart. */
function logitsFromFeatures(model: Model, f: NonNullable<Prediction['features']>, n: number): Float32Array {
  const name = headSpecs(model.config, 'seqcls')
    .map((s) => s.name)
    .filter((s) => s.endsWith('.weight'))
    .at(-1)!;
  const bias = model.params.get(name.replace(/weight$/, 'bias'));
  assert.equal(f.bias, bias !== undefined, `${name}: bias flag`);
  return tf.tidy(() => {
    const y = tf.matMul(tf.tensor2d(f.data, [n, f.dim]), model.params.get(name)!);
    return (bias ? tf.add(y, bias) : y).dataSync() as Float32Array;
  });
}

describe('predict on the hf-tiny sequence classifiers', () => {
  for (const name of ['bert-seqcls', 'roberta-seqcls', 'opt-seqcls']) {
    test(`${name}: logits are evaluate()'s, probs sum to 1, the features give the logits, no leak`, async () => {
      const model = loadModel(join(HF_TINY, name));
      const data = encoded(model.config, 23, 3);
      const tensors = tf.memory().numTensors;
      const got = await predict(model, data, { batchSize: 8, features: true, layers: true });
      assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
      const ev = await evaluate(model, data, 8);
      assert.equal(got.numClasses, ev.numClasses);
      assert.deepEqual(got.logits, ev.logits, 'bit for bit, hooks and all');
      assertRowsSumToOne(got.probs, got.numClasses, name);
      assert.ok(maxDiff(logitsFromFeatures(model, got.features!, data.n), got.logits) < 1e-5);
      disposeParams(model.params);
    });
  }

  test('features, probs and layers do not depend on the batch size (1, 7, 64)', async (t) => {
    // measured on 64 rows: wasm (fused kernels) probs <= 3.3e-7, features <= 1.5e-6, layers <= 7.2e-7; cpu: all 0
    for (const name of ['bert-seqcls', 'roberta-seqcls', 'opt-seqcls']) {
      const model = loadModel(join(HF_TINY, name));
      const data = encoded(model.config, 64, 4);
      const opts = { features: true, layers: true };
      const a = await predict(model, data, { ...opts, batchSize: 1 });
      const b = await predict(model, data, { ...opts, batchSize: 7 });
      const c = await predict(model, data, { ...opts, batchSize: 64 });
      const worst = { probs: 0, features: 0, layers: 0 };
      for (const o of [b, c]) {
        worst.probs = Math.max(worst.probs, maxDiff(a.probs, o.probs));
        worst.features = Math.max(worst.features, maxDiff(a.features!.data, o.features!.data));
        o.layers!.forEach((l, i) => (worst.layers = Math.max(worst.layers, maxDiff(a.layers![i]!.data, l.data))));
      }
      t.diagnostic(`${name}: max |diff| probs ${worst.probs}, features ${worst.features}, layers ${worst.layers}`);
      assert.ok(
        worst.probs < 1e-6 && worst.features < 1e-5 && worst.layers < 1e-5,
        `${name}: ${JSON.stringify(worst)}`,
      );
      disposeParams(model.params);
    }
  });

  test('only classifiers: a QA model, a multiple-choice set and a bad batch size are refused', async () => {
    const qa = loadModel(join(HF_TINY, 'bert-qa'));
    await assert.rejects(
      predict(qa, encoded(qa.config, 2, 1)),
      /sequence-classification \(seqcls\) model; this one is qa/,
    );
    disposeParams(qa.params);
    const model = tiny('bert');
    const data = encoded(model.config, 4, 1);
    await assert.rejects(predict(model, { ...data, n: 2, numChoices: 2 }), /numChoices/);
    await assert.rejects(predict(model, data, { batchSize: 0 }), /batchSize/);
    await assert.rejects(predict(model, data, { mc: { passes: 0, seed: 1 } }), /passes/);
    disposeParams(model.params);
  });
});

/** Mean of the body's last hidden states over real tokens, in JS, from one forward of every row. */
function pooledBodyOutput(model: Model, data: EncodedSet): { dim: number; data: Float32Array } {
  const batch = batchTensors(
    data,
    Int32Array.from({ length: data.n }, (_, i) => i),
  );
  const hidden = familyOf(model.config.model_type).body(model.params, model.config, batch.inputs, EVAL);
  const [B, L, H] = hidden.shape;
  const h = hidden.dataSync();
  const m = batch.inputs.attentionMask.dataSync();
  const out = new Float32Array(B * H);
  for (let r = 0; r < B; r++) {
    let count = 0;
    for (let t = 0; t < L; t++) {
      if (!m[r * L + t]) continue;
      count++;
      for (let k = 0; k < H; k++) out[r * H + k]! += h[(r * L + t) * H + k]!;
    }
    for (let k = 0; k < H; k++) out[r * H + k]! /= count;
  }
  hidden.dispose();
  disposeBatch(batch);
  return { dim: H, data: out };
}

describe('layers: mean-pooled representations of every layer', () => {
  for (const name of ['bert', 'opt', 'use-lite'] as const) {
    test(`${name}: L + 1 entries, the last is the body's output pooled over real tokens`, async () => {
      const model = tiny(name);
      const data = encoded(model.config, 10, 6);
      const got = await predict(model, data, { batchSize: 4, layers: true });
      const L = (model.config as { num_hidden_layers: number }).num_hidden_layers;
      assert.equal(got.layers!.length, L + 1);
      const want = pooledBodyOutput(model, data);
      assert.equal(got.layers![L]!.dim, want.dim);
      assert.ok(maxDiff(got.layers![L]!.data, want.data) < 1e-5);
      for (const l of got.layers!) assert.equal(l.data.length, data.n * l.dim);
      // no layer repeats another (each hook point is its own)
      for (let i = 1; i <= L; i++)
        assert.ok(
          got.layers![i]!.dim !== got.layers![i - 1]!.dim ||
            maxDiff(got.layers![i]!.data, got.layers![i - 1]!.data) > 1e-3,
        );
      if (name === 'use-lite') {
        // layer 0 is the embedding width; packed and padded bodies give the same representations
        assert.equal(got.layers![0]!.dim, (model.config as { embedding_size: number }).embedding_size);
        const was = process.env.PRUNELAB_PACK;
        process.env.PRUNELAB_PACK = '0';
        try {
          const padded = await predict(model, data, { batchSize: 4, layers: true });
          got.layers!.forEach((l, i) => assert.ok(maxDiff(l.data, padded.layers![i]!.data) < 1e-5, `layer ${i}`));
          assert.ok(maxDiff(got.logits, padded.logits) < 1e-5);
        } finally {
          if (was === undefined) delete process.env.PRUNELAB_PACK;
          else process.env.PRUNELAB_PACK = was;
        }
      }
      disposeParams(model.params);
    });
  }
});

describe('MC dropout', () => {
  for (const name of ['bert', 'opt', 'use-lite'] as const) {
    test(`${name}: reproducible from its seed, passes differ, the dropout-off outputs unchanged`, async () => {
      const model = tiny(name);
      const data = encoded(model.config, 9, 2);
      const tensors = tf.memory().numTensors;
      const a = await predict(model, data, { batchSize: 4, mc: { passes: 3, seed: 7 } });
      assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
      const again = await predict(model, data, { batchSize: 4, mc: { passes: 3, seed: 7 } });
      const other = await predict(model, data, { batchSize: 4, mc: { passes: 3, seed: 8 } });
      const first = await predict(model, data, { batchSize: 4, mc: { passes: 1, seed: 7 } });
      const plain = await predict(model, data, { batchSize: 4 });
      assert.equal(a.mc!.length, 3);
      assert.deepEqual(again.mc, a.mc, 'same seed, same arrays');
      assert.deepEqual(first.mc![0], a.mc![0], 'a pass does not depend on the passes before or after it');
      assert.ok(maxDiff(other.mc![0]!, a.mc![0]!) > 1e-4, 'another seed, other masks');
      assert.ok(maxDiff(a.mc![0]!, a.mc![1]!) > 1e-4 && maxDiff(a.mc![1]!, a.mc![2]!) > 1e-4, 'passes differ');
      assert.ok(maxDiff(a.mc![0]!, a.probs) > 1e-4, 'dropout was on');
      for (const p of a.mc!) assertRowsSumToOne(p, a.numClasses, `${name} mc`);
      assert.deepEqual(a.probs, plain.probs, 'asking for mc leaves the dropout-off probs alone');
      assert.deepEqual(a.logits, plain.logits);
      assert.equal(plain.mc, undefined);
      disposeParams(model.params);
    });
  }
});

test('a LoRA model predicts through its hooks (features, layers, mc) and merged gives the same', async () => {
  const model = tiny('bert');
  const data = encoded(model.config, 11, 8);
  const base = await predict(model, data, { batchSize: 4 });
  const state = attachPeft(model, { method: 'lora', r: 4, lora_alpha: 8 }, 3);
  let k = 100;
  for (const n of state.added.filter((n) => n.endsWith('lora_B.weight'))) {
    const v = model.params.get(n)!;
    v.assign(tf.randomNormal(v.shape, 0, 0.2, 'float32', k++)); // B starts at 0: make the adapter matter
  }
  const tensors = tf.memory().numTensors;
  const opts = { batchSize: 4, features: true, layers: true, mc: { passes: 2, seed: 1 } };
  const got = await predict(model, data, opts);
  assert.equal(tf.memory().numTensors, tensors, 'no tensor left behind');
  assert.deepEqual(got.logits, (await evaluate(model, data, 4)).logits);
  assert.ok(maxDiff(got.logits, base.logits) > 1e-3, 'the adapter is applied');
  assert.ok(maxDiff(logitsFromFeatures(model, got.features!, data.n), got.logits) < 1e-5);
  assert.equal(got.layers!.length, 3);
  assert.equal(got.mc!.length, 2);
  mergePeft(model);
  const merged = await predict(model, data, { batchSize: 4 });
  assert.ok(maxDiff(merged.logits, got.logits) < 1e-4, 'merged weights: the same predictions');
  disposeParams(model.params);
});

test("prompt tuning: layers pool the example's own tokens, not the virtual ones before them", async () => {
  const model = tiny('bert');
  const data = encoded(model.config, 5, 9);
  attachPeft(model, { method: 'prompt', num_virtual_tokens: 5, prompt_tuning_init: 'RANDOM' }, 0);
  const got = await predict(model, data, { batchSize: 2, layers: true, features: true });
  assert.deepEqual(got.logits, (await evaluate(model, data, 2)).logits);
  // the body's output is [B, 5 + T, H]: pooling its last T positions over the mask is the last entry
  const batch = batchTensors(
    data,
    Int32Array.from({ length: data.n }, (_, i) => i),
  );
  const ctx = { ...EVAL, peft: model.peft!.hooks };
  const want = tf.tidy(() => {
    const hidden = familyOf('bert').body(model.params, model.config, batch.inputs, ctx);
    const [B, L, H] = hidden.shape;
    const T1 = batch.inputs.attentionMask.shape[1]!;
    const own = tf.slice(hidden, [0, L - T1, 0], [B, T1, H]);
    const m = tf.expandDims(tf.cast(batch.inputs.attentionMask, 'float32'), 2);
    return tf.div(tf.sum(tf.mul(own, m), 1), tf.sum(m, 1)).dataSync() as Float32Array;
  });
  disposeBatch(batch);
  assert.ok(maxDiff(got.layers!.at(-1)!.data, want) < 1e-5);
  assert.ok(maxDiff(logitsFromFeatures(model, got.features!, data.n), got.logits) < 1e-5);
  disposeParams(model.params);
});
