// Evaluation: dropout off, no gradients; returns accuracy, mean loss and the logits for later analysis.
import * as tf from '@tensorflow/tfjs';
import { bertSequenceClassifier } from './bert.ts';
import { batchTensors, countCorrect, crossEntropy, disposeBatch, type EncodedSet } from './encoded.ts';
import { EVAL } from './layers.ts';
import type { Model } from './train.ts';

export interface EvalResult { accuracy: number; loss: number; logits: Float32Array; n: number }

export async function evaluate(model: Model, data: EncodedSet, batchSize = 64): Promise<EvalResult> {
  const C = model.config.num_labels;
  const logits = new Float32Array(data.n * C);
  let lossSum = 0;
  let correct = 0;
  for (let start = 0; start < data.n; start += batchSize) {
    const rows = new Int32Array(Math.min(batchSize, data.n - start)).map((_, i) => start + i);
    const batch = batchTensors(data, rows);
    const [out, loss] = tf.tidy(() => {
      const l = bertSequenceClassifier(model.params, model.config, batch.inputs, EVAL);
      return [l, crossEntropy(l, batch.labels)] as const;
    });
    const values = (await out.data()) as Float32Array;
    logits.set(values, start * C);
    lossSum += (await loss.data())[0]! * rows.length;
    correct += countCorrect(values, C, (i) => data.labels[start + i]!);
    tf.dispose([out, loss]);
    disposeBatch(batch);
  }
  return { accuracy: data.n ? correct / data.n : NaN, loss: data.n ? lossSum / data.n : NaN, logits, n: data.n };
}
