// Grafting on a tiny BERT fine-tuned for a few steps: the endpoints are the models themselves bit for bit, the
// hand-written mask gradient is the loss's derivative (finite differences), top-k takes exactly k, and a rounded mask
// applied to the pretrained model through the graft file gives the in-memory grafted model's logits.
import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { mulberry32 } from '@prunelab/core';
import { chooseBackend } from './backend.ts';
import { parseBertConfig } from './bert-config.ts';
import { initParams } from './checkpoint.ts';
import { evaluate } from './evaluate.ts';
import {
  applyGraftFile,
  basePatch,
  fisherScores,
  gammaOf,
  graftValues,
  initialS,
  jaccard,
  jaccardFiles,
  readGraftMasks,
  learnMask,
  lossGrad,
  maskCount,
  maskGradient,
  packBits,
  randomMask,
  readGraftFile,
  scopeNames,
  setGraft,
  startGraft,
  topK,
  unpackBits,
  writeGraftFile,
  type Graft,
} from './graft/index.ts';
import { train, type Model } from './train.ts';
import { keywordTask } from './testing/keyword-task.ts';

const config = parseBertConfig({
  vocab_size: 40,
  hidden_size: 16,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  intermediate_size: 32,
  max_position_embeddings: 16,
  num_labels: 2,
});

const data = keywordTask(32, 1);
const dev = keywordTask(16, 2);
let ftModel: Model;

before(async () => {
  await chooseBackend('cpu');
  ftModel = { config, params: initParams(config, 3) };
  await train(ftModel, data, { epochs: 3, batchSize: 8, lr: 3e-3, seed: 5 });
});

/** A graft of the fine-tuned model onto a fresh copy of the pretrained one (same init seed). */
const newGraft = (scope: 'layers' | 'body' = 'layers'): Graft =>
  startGraft({ config, params: initParams(config, 3) }, ftModel, scope);
const values = (m: Model) => new Map([...m.params].map(([n, p]) => [n, new Float32Array(p.dataSync())]));
const logits = async (m: Model) => (await evaluate(m, dev)).logits;

test('the layers scope is the transformer layers; body adds the embeddings; neither holds the head', () => {
  const m: Model = { config, params: initParams(config, 3) };
  const layers = scopeNames(m, 'layers');
  const body = scopeNames(m, 'body');
  assert.ok(layers.length > 0 && layers.every((n) => /encoder\.layer\.\d+\./.test(n)));
  assert.ok(body.some((n) => n.includes('embeddings')) && layers.every((n) => body.includes(n)));
  assert.ok(![...layers, ...body].some((n) => n.startsWith('classifier') || n.includes('pooler')));
  tf.dispose([...m.params.values()]);
});

test('gamma = 1 everywhere is the fine-tuned model and gamma = 0 the pretrained one, bit for bit', async () => {
  const g = newGraft('body');
  const pre = values({ config, params: initParams(config, 3) });
  const ft = values(ftModel);
  setGraft(g, 1);
  for (const [n, v] of values(g.model)) assert.deepEqual(v, ft.get(n), n); // the head is always the fine-tuned one
  assert.deepEqual(await logits(g.model), await logits(ftModel));
  setGraft(g, 0);
  const head = new Set(['classifier.weight', 'classifier.bias', 'bert.pooler.dense.weight', 'bert.pooler.dense.bias']);
  for (const [n, v] of values(g.model)) assert.deepEqual(v, head.has(n) ? ft.get(n) : pre.get(n), n);
  // a gamma array of ones and zeros takes the endpoints too
  assert.deepEqual(
    graftValues(
      g,
      g.sizes.map((n) => new Float32Array(n).fill(1)),
    ),
    g.ft,
  );
  assert.deepEqual(
    graftValues(
      g,
      g.sizes.map((n) => new Uint8Array(n)),
    ),
    g.pre,
  );
  tf.dispose([...g.model.params.values()]);
});

test('the hand-written mask gradient matches finite differences (relative error < 1e-3)', async () => {
  // a fine-tuned model far from the pretrained one (pretrained + noise of std 0.5) and beta 0: the loss moves by far
  // more than float32's resolution over a finite-difference step
  const rand = mulberry32(11);
  const far: Model = {
    config,
    params: new Map(
      [...ftModel.params].map(([n, p]) => [
        n,
        tf.variable(
          tf.tensor(
            p.dataSync().map((x) => x + (rand() - 0.5) * Math.sqrt(3)),
            p.shape,
            'float32',
          ),
        ),
      ]),
    ),
  };
  const g = startGraft({ config, params: initParams(config, 3) }, far, 'layers');
  tf.dispose([...far.params.values()]);
  const beta = 0;
  const b = basePatch(g, Math.round(g.count * 0.05));
  const S = initialS(g.sizes, 7);
  const rows = Int32Array.from({ length: data.n }, (_, i) => i);
  const lossAt = async (s: Float32Array[]) => {
    setGraft(g, gammaOf(b, s, beta));
    return (await lossGrad(g, data, rows, 32)).loss;
  };
  setGraft(g, gammaOf(b, S, beta));
  const dS = maskGradient(g, b, S, beta, (await lossGrad(g, data, rows, 32)).grads);
  // along the gradient itself (the largest change), and along the largest single entries
  const norm = Math.sqrt(dS.reduce((a, t) => a + t.reduce((x, v) => x + v * v, 0), 0));
  const dir = dS.map((t) => t.map((v) => v / norm));
  const shifted = (h: number, d: Float32Array[]) => S.map((t, k) => t.map((v, i) => v + h * d[k]![i]!));
  const h = 0.05;
  const fd = ((await lossAt(shifted(h, dir))) - (await lossAt(shifted(-h, dir)))) / (2 * h);
  const rel = Math.abs(fd - norm) / norm;
  assert.ok(rel < 1e-3, `directional derivative: finite differences ${fd}, hand-written ${norm}, rel ${rel}`);
  const flat = dS.flatMap((t, k) => Array.from(t, (v, i) => ({ k, i, v })));
  for (const e of flat.sort((x, y) => Math.abs(y.v) - Math.abs(x.v)).slice(0, 3)) {
    const one = S.map((t, k) => t.map((_, i) => (k === e.k && i === e.i ? 1 : 0)));
    const H = 0.01;
    const f = ((await lossAt(shifted(H, one))) - (await lossAt(shifted(-H, one)))) / (2 * H);
    const r = Math.abs(f - e.v) / Math.abs(e.v);
    assert.ok(r < 1e-3, `entry ${e.k}/${e.i}: finite differences ${f}, hand-written ${e.v}, rel ${r}`);
  }
  tf.dispose([...g.model.params.values()]);
});

test('top-k takes exactly k entries, ties in flat order, NaN last', () => {
  const scores = [Float32Array.of(3, 1, 2, 2), Float32Array.of(2, NaN, 5, 2)];
  for (let k = 0; k <= 8; k++) {
    const m = topK(scores, k);
    assert.equal(maskCount(m), k);
    const chosen = m.flatMap((t, i) => Array.from(t, (x, j) => (x ? scores[i]![j]! : null)).filter((x) => x !== null));
    const rest = m.flatMap((t, i) => Array.from(t, (x, j) => (x ? null : scores[i]![j]!)).filter((x) => x !== null));
    const min = Math.min(...chosen.map((x) => (Number.isNaN(x) ? -Infinity : x)));
    assert.ok(
      rest.every((x) => Number.isNaN(x) || x <= min),
      `k ${k}`,
    );
  }
  // four entries tie at 2: k = 4 takes 5, 3 and the first two 2s (flat order)
  assert.deepEqual(
    topK(scores, 4).map((t) => [...t]),
    [
      [1, 0, 1, 1],
      [0, 0, 1, 0],
    ],
  );
  assert.throws(() => topK(scores, 9), /not within 0\.\.8/);
  const g = newGraft();
  for (const k of [1, 17, 250]) {
    assert.equal(maskCount(basePatch(g, k)), k);
    assert.equal(maskCount(randomMask(g.sizes, k, 4)), k);
  }
  assert.deepEqual(randomMask(g.sizes, 50, 4), randomMask(g.sizes, 50, 4));
  assert.ok(jaccard(randomMask(g.sizes, 50, 4), randomMask(g.sizes, 50, 5)) < 0.5);
  tf.dispose([...g.model.params.values()]);
});

test('jaccard and the bitset', () => {
  const a = [Uint8Array.of(1, 1, 0, 0)];
  const b = [Uint8Array.of(0, 1, 1, 0)];
  assert.equal(jaccard(a, b), 1 / 3);
  assert.equal(jaccard(a, a), 1);
  assert.equal(jaccard([new Uint8Array(4)], [new Uint8Array(4)]), 1);
  assert.throws(() => jaccard(a, [new Uint8Array(3)]), /different parameters/);
  const bits = Uint8Array.from({ length: 70 }, (_, i) => (i % 3 === 0 || i === 69 ? 1 : 0));
  assert.deepEqual(unpackBits(packBits(bits), 70), bits);
});

test('a learned rounded mask applied to the pretrained model through the graft file gives the grafted logits', async () => {
  const g = newGraft();
  const k = Math.round(g.count * 0.02);
  const seen: number[] = [];
  const learned = await learnMask(
    g,
    data,
    dev,
    { k, beta: 3, lr: 1e4, steps: 4, batchSize: 8, batches: 2, seed: 1 },
    (s) => seen.push(s.step),
  );
  assert.deepEqual(seen, [1, 2, 3, 4]);
  assert.equal(maskCount(learned.mask), learned.best.size);
  assert.ok(learned.mask.every((t) => t.every((x) => x === 0 || x === 1)));
  setGraft(g, learned.mask);
  const inMemory = await logits(g.model);
  const file = join(mkdtempSync(join(tmpdir(), 'graft-')), 'graft.safetensors');
  const { entries } = writeGraftFile(file, g, learned.mask, { run: 'test' });
  assert.equal(entries, learned.best.size);
  const read = readGraftFile(file, config, 'seqcls');
  assert.equal(
    read.reduce((a, t) => a + t.value.length, 0),
    entries,
  );
  const plain: Model = { config, params: initParams(config, 3) };
  assert.equal(applyGraftFile(file, plain.params, config, 'seqcls'), entries);
  assert.deepEqual(await logits(plain), inMemory);
  // the overlap read from two files equals the in-memory masks' overlap (the file's HF layout permutes both alike)
  const other = randomMask(g.sizes, entries, 3);
  const file2 = join(file, '..', 'random.safetensors');
  writeGraftFile(file2, g, other, {});
  assert.equal(jaccardFiles(readGraftMasks(file), readGraftMasks(file2)), jaccard(learned.mask, other));
  assert.equal(jaccardFiles(readGraftMasks(file), readGraftMasks(file)), 1);
  // the same through the deltas: pre + delta per entry differs from the value by at most a rounding
  for (const t of read) for (let j = 0; j < t.delta.length; j++) assert.ok(Number.isFinite(t.delta[j]!));
  tf.dispose([...g.model.params.values(), ...plain.params.values()]);
});

test('the learned mask is seeded; Fisher scores are mean squared per-example gradients', async () => {
  const run = async () => {
    const g = newGraft();
    const r = await learnMask(g, data, dev, {
      k: 40,
      beta: 3,
      lr: 1e4,
      steps: 2,
      batchSize: 8,
      batches: 1,
      seed: 9,
    });
    tf.dispose([...g.model.params.values()]);
    return r;
  };
  const [a, b] = [await run(), await run()];
  assert.deepEqual(a.mask, b.mask);
  assert.deepEqual(a.history, b.history);
  const g = newGraft();
  const rows = Int32Array.of(0, 5, 9);
  const fisher = await fisherScores(g, data, rows);
  const by = await Promise.all([...rows].map((r) => lossGrad(g, data, Int32Array.of(r), 1)));
  const t = 0;
  for (let i = 0; i < 20; i++) {
    const want = by.reduce((s, x) => s + (x.grads[t]![i]! * x.grads[t]![i]!) / 3, 0);
    assert.ok(Math.abs(fisher[t]![i]! - want) <= 1e-6 * Math.abs(want) + 1e-12);
  }
  tf.dispose([...g.model.params.values()]);
});
