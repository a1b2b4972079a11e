// predict(): the outputs the active-learning strategies and the CKA probe read. Logits are evaluate()'s; the
// classifier applied to the features gives the logits; nothing depends on the batch size beyond float rounding;
// the layers' pooled outputs are the body's; MC dropout passes are reproducible from their seed and differ from one
// another; a PEFT model predicts through its hooks. Tiny random models of three families.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { permutation } from '@prunelab/core';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import type { EncodedSet } from './encoded.ts';
import { evaluate } from './evaluate.ts';
import { tinyConfig } from './families/index.ts';
import { parseModelConfig } from './model-config.ts';
import { attachPeft } from './peft/attach.ts';
import { predict } from './predict.ts';
import type { Model } from './train.ts';
import { linear } from './layers.ts';

before(async () => {
  await chooseBackend('auto');
});

const FAMILIES = ['bert', 'opt', 'use-lite'] as const;

function modelOf(family: (typeof FAMILIES)[number], dropout = 0.1, labels = 3): Model {
  const raw: Record<string, unknown> = { ...tinyConfig(family), num_labels: labels };
  for (const k of ['hidden_dropout_prob', 'attention_probs_dropout_prob', 'dropout', 'attention_dropout'])
    if (k in raw) raw[k] = dropout;
  const config = parseModelConfig(raw);
  return { config, params: initParams(config, 7), head: 'seqcls' };
}

/** n rows of ids 5..(vocab-1) with lengths 3..L (pads 0 after), labels 0..2. */
function dataOf(n: number, L: number, vocab: number, pad: number): EncodedSet {
  const r = permutation(n * L * 2, 11);
  const inputIds = new Int32Array(n * L).fill(pad);
  const attentionMask = new Int32Array(n * L);
  for (let i = 0; i < n; i++) {
    const len = 3 + (r[i]! % (L - 2));
    for (let t = 0; t < len; t++) {
      inputIds[i * L + t] = 5 + (r[n + i * L + t]! % (vocab - 6));
      attentionMask[i * L + t] = 1;
    }
  }
  const labels = Int32Array.from({ length: n }, (_, i) => i % 3);
  return { inputIds, attentionMask, tokenTypeIds: new Int32Array(n * L), labels, n, maxLength: L };
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  assert.equal(a.length, b.length);
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
  return d;
};

for (const family of FAMILIES) {
  test(`${family}: logits equal evaluate(), probabilities sum to 1, the head applied to the features gives the logits`, async () => {
    const model = modelOf(family);
    const c = model.config as unknown as { vocab_size: number; pad_token_id?: number };
    const data = dataOf(13, 12, c.vocab_size, c.pad_token_id ?? 0);
    const before = tf.memory().numTensors;
    const p = await predict(model, data, { features: true, layers: true });
    assert.equal(tf.memory().numTensors, before, 'predict leaks no tensors');
    const ev = await evaluate(model, data);
    assert.ok(maxDiff(p.logits, ev.logits) < 1e-6);
    for (let i = 0; i < p.n; i++) {
      const s = p.probs[3 * i]! + p.probs[3 * i + 1]! + p.probs[3 * i + 2]!;
      assert.ok(Math.abs(s - 1) < 1e-6);
    }
    // the last linear layer of the classifier: its weight and bias are the head's last two parameters of that shape
    const f = p.features!;
    const w = [...model.params.entries()].find(
      ([n, v]) => n.endsWith('.weight') && v.shape[0] === f.dim && v.shape[1] === 3,
    );
    assert.ok(w, 'a [dim, 3] classifier weight');
    const b = f.bias ? model.params.get(w[0].replace(/weight$/, 'bias')) : undefined;
    const again = tf.tidy(() => linear(tf.tensor2d(f.data, [p.n, f.dim]), w[1], b).dataSync());
    assert.ok(maxDiff(again, p.logits) < 1e-5);
    assert.equal(p.layers!.length, (model.config as unknown as { num_hidden_layers: number }).num_hidden_layers + 1);
    disposeParams(model.params);
  });
}

test('features, probabilities and layers do not depend on the batch size (1, 7, 64: within 1e-5)', async () => {
  for (const family of FAMILIES) {
    const model = modelOf(family);
    const c = model.config as unknown as { vocab_size: number; pad_token_id?: number };
    const data = dataOf(20, 12, c.vocab_size, c.pad_token_id ?? 0);
    const all = await Promise.all(
      [1, 7, 64].map((batchSize) => predict(model, data, { batchSize, features: true, layers: true })),
    );
    for (const p of all.slice(1)) {
      assert.ok(maxDiff(p.probs, all[0]!.probs) < 1e-5, family);
      assert.ok(maxDiff(p.features!.data, all[0]!.features!.data) < 1e-5, family);
      for (const [i, l] of p.layers!.entries()) assert.ok(maxDiff(l.data, all[0]!.layers![i]!.data) < 1e-5, family);
    }
    disposeParams(model.params);
  }
});

test('MC dropout: the same seed gives the same passes, another seed others; passes differ; dropout-off outputs stay', async () => {
  const model = modelOf('bert', 0.3);
  const c = model.config as unknown as { vocab_size: number };
  const data = dataOf(10, 10, c.vocab_size, 0);
  const plain = await predict(model, data);
  const a = await predict(model, data, { mc: { passes: 3, seed: 5 } });
  const b = await predict(model, data, { mc: { passes: 3, seed: 5 } });
  const other = await predict(model, data, { mc: { passes: 3, seed: 6 } });
  assert.deepEqual(a.probs, plain.probs);
  assert.equal(a.mc!.length, 3);
  for (let t = 0; t < 3; t++) assert.deepEqual(a.mc![t], b.mc![t]);
  assert.ok(maxDiff(a.mc![0]!, other.mc![0]!) > 1e-4);
  assert.ok(maxDiff(a.mc![0]!, a.mc![1]!) > 1e-4);
  assert.ok(maxDiff(a.mc![0]!, plain.probs) > 1e-4);
  disposeParams(model.params);
});

test('a LoRA model predicts through its hooks; a model without dropout gives MC passes equal to the plain output', async () => {
  const model = modelOf('bert', 0);
  const c = model.config as unknown as { vocab_size: number };
  const data = dataOf(6, 10, c.vocab_size, 0);
  const plain = await predict(model, data);
  attachPeft(model, { method: 'lora', r: 2 }, 3);
  // peft starts B at zero (the LoRA model equals the plain one): give B values so the hooks show
  for (const [name, v] of model.params)
    if (name.includes('lora_B')) v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 1));
  const lora = await predict(model, data, { features: true, mc: { passes: 2, seed: 1 } });
  assert.ok(maxDiff(lora.logits, plain.logits) > 1e-6, 'random LoRA weights change the outputs');
  assert.ok(maxDiff(lora.logits, (await evaluate(model, data)).logits) < 1e-6);
  assert.ok(maxDiff(lora.mc![0]!, lora.probs) < 1e-6);
  disposeParams(model.params);
});
