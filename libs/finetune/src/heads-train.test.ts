// Training every head: QA and multiple choice learn a synthetic task, the QA loss is HF's, gradient accumulation
// equals one big batch, and a seed fixes every result (data order and dropout masks).
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { chooseBackend } from './backend.ts';
import { disposeParams, initParams } from './checkpoint.ts';
import type { EncodedSet } from './encoded.ts';
import { evaluate } from './evaluate.ts';
import { qaLoss } from './losses.ts';
import { parseModelConfig, type HeadKind, type ModelConfig } from './model-config.ts';
import { permutation } from '@prunelab/core';
import { stepGradients, train, type BatchReport } from './train.ts';

const tiny = { vocab_size: 40, hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2, num_labels: 2 };
function roberta(dropout = 0): ModelConfig {
  return parseModelConfig({
    ...tiny,
    model_type: 'roberta',
    intermediate_size: 32,
    max_position_embeddings: 16,
    type_vocab_size: 1,
    hidden_dropout_prob: dropout,
    attention_probs_dropout_prob: dropout,
  });
}
function opt(dropout = 0): ModelConfig {
  return parseModelConfig({
    ...tiny,
    model_type: 'opt',
    ffn_dim: 32,
    max_position_embeddings: 14,
    dropout,
    attention_dropout: dropout,
  });
}

/** n rows of random filler tokens 8..37 (BOS 2 first, pads 1 after a random length 5..10). */
function rows(
  n: number,
  L: number,
  seed: number,
): { ids: Int32Array; mask: Int32Array; lens: number[]; r: Int32Array } {
  const r = permutation(n * L * 4, seed);
  const ids = new Int32Array(n * L).fill(1);
  const mask = new Int32Array(n * L);
  const lens: number[] = [];
  for (let i = 0; i < n; i++) {
    const len = 5 + (r[i]! % 6);
    lens.push(len);
    for (let t = 0; t < len; t++) {
      ids[i * L + t] = t === 0 ? 2 : 8 + (r[n + i * L + t]! % 30);
      mask[i * L + t] = 1;
    }
  }
  return { ids, mask, lens, r };
}

/** QA: the answer starts at the token 5 and ends at the token 6 (somewhere after it). */
function qaTask(n: number, seed: number): EncodedSet {
  const L = 12;
  const { ids, mask, lens, r } = rows(n, L, seed);
  const start = new Int32Array(n);
  const end = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    start[i] = 1 + (r[3 * n + i]! % (lens[i]! - 2));
    end[i] = start[i]! + 1 + (r[2 * n + i]! % (lens[i]! - 1 - start[i]!));
    ids[i * L + start[i]!] = 5;
    ids[i * L + end[i]!] = 6;
  }
  return {
    inputIds: ids,
    attentionMask: mask,
    tokenTypeIds: new Int32Array(n * L),
    labels: new Int32Array(n),
    n,
    maxLength: L,
    startPositions: start,
    endPositions: end,
  };
}

/** Multiple choice: 3 choices per example, the right one holds the token 7. */
function mcTask(n: number, seed: number): EncodedSet {
  const L = 12;
  const C = 3;
  const { ids, mask, lens, r } = rows(n * C, L, seed);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = r[i]! % C;
    const row = i * C + labels[i]!;
    ids[row * L + 1 + (r[n + i]! % (lens[row]! - 1))] = 7;
  }
  return {
    inputIds: ids,
    attentionMask: mask,
    tokenTypeIds: new Int32Array(n * C * L),
    labels,
    n,
    maxLength: L,
    numChoices: C,
  };
}

/** Sequence classification: label 1 iff the token 7 occurs. */
function keywordTask(n: number, seed: number): EncodedSet {
  const L = 12;
  const { ids, mask, lens, r } = rows(n, L, seed);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = r[2 * n + i]! % 2;
    if (labels[i]) ids[i * L + 1 + (r[3 * n + i]! % (lens[i]! - 1))] = 7;
  }
  return { inputIds: ids, attentionMask: mask, tokenTypeIds: new Int32Array(n * L), labels, n, maxLength: L };
}

async function snapshot(params: Map<string, tf.Variable>): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [k, v] of params) out.set(k, (await v.data()) as Float32Array);
  return out;
}

before(async () => {
  await chooseBackend();
});

test('the QA loss is the mean of start and end cross-entropy; positions outside the sequence are ignored (HF)', () => {
  const loss = tf.tidy(
    () =>
      qaLoss(
        tf.tensor2d([
          [0, 0, 0, 0],
          [0, 0, 0, 0],
        ]),
        tf.tensor2d([
          [1, 0, 0, 0],
          [0, 0, 0, 0],
        ]),
        tf.tensor1d([1, 9], 'int32'),
        tf.tensor1d([0, 2], 'int32'),
      ).dataSync()[0]!,
  );
  const start = Math.log(4); // only row 0: position 9 is clamped to T = 4, the ignore index
  const end = (-Math.log(Math.E / (Math.E + 3)) + Math.log(4)) / 2;
  assert.ok(Math.abs(loss - (start + end) / 2) < 1e-6, `${loss}`);
});

for (const [arch, make] of [
  ['RoBERTa', roberta],
  ['OPT', opt],
] as const) {
  test(`${arch} QA learns to point at the answer span; onBatch gets start and end logits`, async () => {
    const model = { config: make(), params: initParams(make(), 2, 'qa'), head: 'qa' as HeadKind };
    let seen = 0;
    await train(model, qaTask(240, 1), {
      epochs: 3,
      batchSize: 24,
      lr: 1e-2,
      seed: 3,
      onBatch: (b: BatchReport) => {
        assert.equal(b.seqLength, 12);
        assert.equal(b.logits.length, b.rows.length * 2 * 12);
        assert.deepEqual(b.startLogits!.subarray(0, 12), b.logits.subarray(0, 12));
        assert.deepEqual(b.endLogits!.subarray(0, 12), b.logits.subarray(12, 24));
        seen += b.rows.length;
      },
    });
    assert.equal(seen, 3 * 240);
    const r = await evaluate(model, qaTask(100, 2));
    assert.equal(r.logits.length, 100 * 2 * 12);
    assert.ok(r.accuracy > 0.8, `exact span accuracy ${r.accuracy}`);
    disposeParams(model.params);
  });

  test(`${arch} multiple choice learns to pick the right choice; logits are [rows, choices]`, async () => {
    const model = { config: make(), params: initParams(make(), 4, 'mc'), head: 'mc' as HeadKind };
    await train(model, mcTask(240, 3), {
      epochs: 3,
      batchSize: 24,
      lr: 1e-2,
      seed: 5,
      onBatch: (b: BatchReport) => assert.equal(b.logits.length, b.rows.length * 3),
    });
    const r = await evaluate(model, mcTask(100, 4));
    assert.equal(r.numClasses, 3);
    assert.ok(r.accuracy > 0.8, `choice accuracy ${r.accuracy}`);
    disposeParams(model.params);
  });
}

test("gradient accumulation: micro-batch gradients sum to the big batch's, for uneven splits too", async () => {
  const ctx = { training: false, nextSeed: () => 0 };
  for (const [make, head, data] of [
    [opt, 'seqcls', keywordTask(11, 7)],
    [roberta, 'mc', mcTask(11, 8)],
    [roberta, 'qa', qaTask(11, 9)],
  ] as const) {
    const model = { config: make(), params: initParams(make(), 1, head), head: head as HeadKind };
    const stepRows = permutation(11, 3);
    const big = await stepGradients(model, data, stepRows, 11, ctx);
    for (const micro of [4, 1]) {
      // 4 + 4 + 3 rows, and 11 single rows
      const passes: number[] = [];
      const small = await stepGradients(model, data, stepRows, micro, ctx, undefined, (p) =>
        passes.push(p.rows.length),
      );
      assert.deepEqual(passes, micro === 4 ? [4, 4, 3] : Array(11).fill(1));
      const vars = [...model.params.values()];
      assert.equal(Object.keys(small).length, vars.length, 'every parameter gets a gradient');
      for (const v of vars) {
        const a = big[v.name]!.dataSync();
        const b = small[v.name]!.dataSync();
        let worst = 0;
        let scale = 0;
        for (let i = 0; i < a.length; i++) {
          worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
          scale = Math.max(scale, Math.abs(a[i]!));
        }
        assert.ok(
          worst <= 1e-5 * Math.max(1, scale),
          `${head} micro ${micro}: ${v.name} gradient differs by ${worst} (scale ${scale})`,
        );
      }
      tf.dispose(Object.values(small));
    }
    tf.dispose(Object.values(big));
    disposeParams(model.params);
  }
});

test('gradient accumulation in train(): 2 x 4 and 4 x 2 micro-batches train like batches of 8', async () => {
  const data = keywordTask(20, 7);
  const run = async (batchSize: number, accum: number) => {
    const model = { config: opt(), params: initParams(opt(), 1) };
    let steps = 0;
    const epochs = await train(model, data, {
      epochs: 2,
      batchSize,
      gradientAccumulationSteps: accum,
      lr: 3e-3,
      weightDecay: 0.01,
      seed: 2,
      onBatch: (b) => {
        steps = b.step + 1;
      },
    });
    const params = await snapshot(model.params);
    disposeParams(model.params);
    return { params, losses: epochs.map((e) => e.loss), steps };
  };
  const big = await run(8, 1);
  assert.equal(big.steps, 6); // 8 + 8 + 4 rows per epoch
  for (const [b, a] of [
    [4, 2],
    [2, 4],
  ] as const) {
    const small = await run(b, a);
    assert.equal(small.steps, big.steps);
    small.losses.forEach((l, i) =>
      assert.ok(Math.abs(l - big.losses[i]!) < 1e-5, `epoch ${i} loss ${l} vs ${big.losses[i]}`),
    );
    for (const [k, v] of big.params) {
      const w = small.params.get(k)!;
      let worst = 0;
      for (let i = 0; i < v.length; i++) worst = Math.max(worst, Math.abs(v[i]! - w[i]!));
      // Adam divides by |g|, so rounding-level gradient differences on near-zero components show magnified; a
      // wrong accumulation would be off by the order of lr (3e-3) after the first step.
      assert.ok(worst < 1e-4, `${b}x${a}: ${k} differs by ${worst}`);
    }
  }
});

test('same seed, same results with dropout on (OPT); another seed differs; evaluation is deterministic', async () => {
  const data = keywordTask(40, 9);
  const run = async (seed: number) => {
    const model = { config: opt(0.2), params: initParams(opt(0.2), 1) };
    const logits: number[] = [];
    await train(model, data, { epochs: 2, batchSize: 8, lr: 3e-3, seed, onBatch: (b) => logits.push(...b.logits) });
    const evalA = await evaluate(model, data);
    const evalB = await evaluate(model, data);
    assert.deepEqual(evalA.logits, evalB.logits, 'dropout is off in evaluation');
    disposeParams(model.params);
    return { logits, eval: [...evalA.logits] };
  };
  const a = await run(4);
  const b = await run(4);
  const c = await run(5);
  assert.deepEqual(a.logits, b.logits);
  assert.deepEqual(a.eval, b.eval);
  assert.notDeepEqual(a.logits, c.logits);
});

test('training and evaluation leak no tensors, for every head, with gradient accumulation', async () => {
  for (const [make, head, data] of [
    [opt, 'qa', qaTask(24, 1)],
    [roberta, 'mc', mcTask(24, 2)],
    [opt, 'seqcls', keywordTask(24, 3)],
  ] as const) {
    const model = { config: make(0.1), params: initParams(make(0.1), 1, head), head: head as HeadKind };
    const opts = { epochs: 1, batchSize: 5, gradientAccumulationSteps: 2, lr: 1e-3, seed: 1 };
    await train(model, data, opts);
    await evaluate(model, data, 7);
    const settled = tf.memory().numTensors;
    await train(model, data, { ...opts, epochs: 2 });
    await evaluate(model, data, 7);
    assert.equal(tf.memory().numTensors, settled, head);
    disposeParams(model.params);
  }
});
