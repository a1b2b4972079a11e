// The fine-tuning loop. Each step hands the logits of its own (training-mode) forward pass to `onBatch`,
// so training dynamics are recorded with no extra forward pass, as the paper does.
import * as tf from '@tensorflow/tfjs';
import { AdamW, hfNoDecay, linearSchedule } from './adamw.ts';
import type { BertConfig } from './bert-config.ts';
import { bertSequenceClassifier, type Params } from './bert.ts';
import { batchTensors, countCorrect, crossEntropy, disposeBatch, type EncodedSet } from './encoded.ts';
import { permutation } from './rng.ts';

export interface TrainOptions {
  epochs: number;
  batchSize: number;
  lr: number;
  warmupSteps?: number;
  weightDecay?: number;
  maxGradNorm?: number;
  seed: number;
  /** Called after every step with the rows of `data` in the batch and their logits [rows.length, C]. */
  onBatch?: (b: { epoch: number; rows: Int32Array; logits: Float32Array; numClasses: number }) => void;
  /** Called after every epoch; awaited, so it can evaluate, write records or checkpoints. */
  onEpochEnd?: (e: EpochSummary) => void | Promise<void>;
}

export interface EpochSummary { epoch: number; loss: number; trainAccuracy: number; seconds: number; examplesPerSecond: number; steps: number }

export interface Model { config: BertConfig; params: Params }

export async function train(model: Model, data: EncodedSet, opts: TrainOptions): Promise<EpochSummary[]> {
  if (data.n === 0) throw new Error('cannot train on an empty training set');
  const stepsPerEpoch = Math.ceil(data.n / opts.batchSize);
  const schedule = linearSchedule(opts.lr, stepsPerEpoch * opts.epochs, opts.warmupSteps ?? 0);
  const optimizer = new AdamW(model.params, {
    lr: opts.lr, weightDecay: opts.weightDecay ?? 0, noDecay: hfNoDecay, maxGradNorm: opts.maxGradNorm ?? 1.0,
  });
  let dropoutSeed = opts.seed * 1_000_003; // advances every dropout call: same seed, same masks
  const ctx = { training: true, nextSeed: () => dropoutSeed++ };
  const summaries: EpochSummary[] = [];
  try {
    for (let epoch = 0; epoch < opts.epochs; epoch++) {
      const start = performance.now();
      const order = permutation(data.n, opts.seed * 7919 + epoch);
      let lossSum = 0;
      let correct = 0;
      for (let s = 0; s < stepsPerEpoch; s++) {
        const rows = order.subarray(s * opts.batchSize, Math.min(data.n, (s + 1) * opts.batchSize));
        const batch = batchTensors(data, rows);
        let logits: tf.Tensor2D | undefined;
        const { value, grads } = tf.variableGrads(() => {
          const out = bertSequenceClassifier(model.params, model.config, batch.inputs, ctx);
          logits = tf.keep(out);
          return crossEntropy(out, batch.labels);
        });
        optimizer.apply(grads, schedule(optimizer.step));
        const logitsData = (await logits!.data()) as Float32Array;
        lossSum += (await value.data())[0]! * rows.length;
        const C = model.config.num_labels;
        correct += countCorrect(logitsData, C, (i) => data.labels[rows[i]!]!);
        opts.onBatch?.({ epoch, rows, logits: logitsData, numClasses: C });
        tf.dispose([value, logits!, ...Object.values(grads)]);
        disposeBatch(batch);
      }
      const seconds = (performance.now() - start) / 1000;
      const summary = { epoch, loss: lossSum / data.n, trainAccuracy: correct / data.n, seconds, examplesPerSecond: data.n / seconds, steps: stepsPerEpoch };
      summaries.push(summary);
      await opts.onEpochEnd?.(summary);
    }
  } finally {
    optimizer.dispose();
  }
  return summaries;
}
