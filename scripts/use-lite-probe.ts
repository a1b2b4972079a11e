// USE-Lite on SST-2: a linear probe on its frozen sentence embeddings vs fine-tuning the whole encoder, both on the
// same N training sentences (seeded subsample), accuracy on the full dev set (872).
// Usage: npm run probe:use-lite -- [--n 5000] [--epochs 2] [--lr 1e-4] [--batch 32] [--warmup 0] [--seed 1]
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { encodeExamples, findRepoRoot, loadTaskSplit, subsample, type Example } from '@prunelab/datasets';
import { loadTokenizer } from '@prunelab/tokenizers';
import {
  chooseBackend,
  evaluate,
  loadModel,
  train,
  useLiteEmbed,
  type EncodedSet,
  type UseLiteConfig,
} from '@prunelab/finetune';
import { makeFamilyFolder } from '../apps/experiments/src/tiny-model.ts';

const { values } = parseArgs({
  options: {
    n: { type: 'string' },
    epochs: { type: 'string' },
    lr: { type: 'string' },
    batch: { type: 'string' },
    seed: { type: 'string' },
    model: { type: 'string' },
    warmup: { type: 'string' },
  },
});
const N = Number(values.n ?? 5000);
const epochs = Number(values.epochs ?? 2);
const lr = Number(values.lr ?? 1e-4);
const batch = Number(values.batch ?? 32);
const seed = Number(values.seed ?? 1);
const warmupSteps = Number(values.warmup ?? 0);
const root = findRepoRoot();
const dir = values.model ?? join(root, '.cache/models/use-lite');

const backend = await chooseBackend();
if (!existsSync(join(dir, 'config.json'))) await makeFamilyFolder(dir, 'use-lite');
const tok = loadTokenizer(dir);
// SST-2 through the task registry: the shared copy, PRUNELAB_DATA or the download cache, as the experiments read it
const sst2 = async (split: string) =>
  (await loadTaskSplit('sst2', split, { cacheDir: join(root, '.cache', 'data') })).examples as Example[];
const trainEx = subsample(await sst2('train'), N, seed);
const devEx = await sst2('dev');
const trainSet = encodeExamples(tok, trainEx, 64) as EncodedSet;
const devSet = encodeExamples(tok, devEx, 64) as EncodedSet;
console.log(
  `SST-2: ${trainSet.n} training sentences (seed ${seed}), ${devSet.n} dev; backend ${backend.name}; model ${dir}`,
);

/** The package's embedding (L2-normalised pooled features) of every row, in batches: [n, 512]. */
function embedAll(m: ReturnType<typeof loadModel>, set: EncodedSet): tf.Tensor2D {
  const L = set.maxLength;
  const parts: tf.Tensor2D[] = [];
  for (let s = 0; s < set.n; s += 128) {
    const e = Math.min(set.n, s + 128);
    parts.push(
      tf.tidy(() =>
        useLiteEmbed(m.params, m.config as UseLiteConfig, {
          inputIds: tf.tensor2d(set.inputIds.subarray(s * L, e * L), [e - s, L], 'int32'),
          attentionMask: tf.tensor2d(set.attentionMask.subarray(s * L, e * L), [e - s, L], 'int32'),
        }),
      ),
    );
  }
  const all = tf.concat(parts) as tf.Tensor2D;
  tf.dispose(parts);
  return all;
}

// 1. Linear probe: logistic regression (full batch, Adam, weight decay 1e-4) on frozen embeddings.
let t0 = performance.now();
const frozen = loadModel(dir, { numLabels: 2, seed });
const xTrain = embedAll(frozen, trainSet);
const xDev = embedAll(frozen, devSet);
const yTrain = tf.oneHot(tf.tensor1d(trainSet.labels, 'int32'), 2);
const w = tf.variable(tf.zeros([512, 2]));
const b = tf.variable(tf.zeros([2]));
const opt = tf.train.adam(0.05);
for (let step = 0; step < 300; step++) {
  opt.minimize(
    () =>
      tf.add(
        tf.losses.softmaxCrossEntropy(yTrain, tf.add(tf.matMul(xTrain, w), b)),
        tf.mul(1e-4, tf.sum(tf.square(w))),
      ) as tf.Scalar,
  );
}
const pred = tf.tidy(() => tf.argMax(tf.add(tf.matMul(xDev, w), b), 1).dataSync());
const probe = devSet.labels.reduce((a, y, i) => a + (pred[i] === y ? 1 : 0), 0) / devSet.n;
console.log(
  `linear probe on frozen embeddings: dev accuracy ${(100 * probe).toFixed(2)}% ` +
    `(${((performance.now() - t0) / 1000).toFixed(0)} s)`,
);
for (const p of frozen.params.values()) p.dispose();

// 2. Fine-tuning the whole encoder with a fresh classifier (AdamW, linear decay, as the grid trains).
t0 = performance.now();
const model = loadModel(dir, { numLabels: 2, seed });
await train(model, trainSet, {
  epochs,
  batchSize: batch,
  lr,
  seed,
  maxGradNorm: 1,
  warmupSteps,
  onEpochEnd: async (e) => {
    const r = await evaluate(model, devSet);
    console.log(
      `fine-tuning epoch ${e.epoch}: train loss ${e.loss.toFixed(4)}, ${e.examplesPerSecond.toFixed(1)} ex/s; dev ` +
        `accuracy ${(100 * r.accuracy).toFixed(2)}%`,
    );
  },
});
const final = await evaluate(model, devSet);
console.log(
  `fine-tuned: dev accuracy ${(100 * final.accuracy).toFixed(2)}% vs probe ${(100 * probe).toFixed(2)}% ` +
    `(${((performance.now() - t0) / 1000).toFixed(0)} s, lr ${lr}, ${epochs} epochs, batch ${batch}, warmup ` +
    `${warmupSteps} steps)`,
);
