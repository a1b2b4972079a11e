// Evaluation: dropout off, no gradients; returns accuracy, mean loss and the logits for later analysis.
import * as tf from '@tensorflow/tfjs';
import { rowsPerExample, type EncodedSet } from '@prunelab/core';
import { batchTensors, disposeBatch } from './encoded.ts';
import { forward } from './heads.ts';
import { EVAL, type ForwardContext } from './layers.ts';
import { activeHooks } from './peft/attach.ts';
import { headLoss } from './losses.ts';
import { isCorrect, outputData, type Model } from './train.ts';
import { checkWebgpu } from './backend-webgpu.ts';

/**
 * accuracy: right class (seqcls), right choice (mc), both answer positions exactly (qa), or within
 * REGRESSION_TOLERANCE of the target (seqcls with num_labels 1: loss is the mean squared error, logits [n, 1]).
 * logits: seqcls [n, numClasses]; mc [n, numChoices]; qa [n, 2, maxLength] (start then end logits per example).
 */
export interface EvalResult {
  accuracy: number;
  loss: number;
  logits: Float32Array;
  n: number;
  numClasses: number;
}

export async function evaluate(model: Model, data: EncodedSet, batchSize = 64): Promise<EvalResult> {
  const head = model.head ?? 'seqcls';
  if ((head === 'mc') !== (data.numChoices !== undefined)) {
    throw new Error(`the model's head is ${head} but the encoded set ${data.numChoices ? 'has' : 'lacks'} numChoices`);
  }
  const C = head === 'qa' ? data.maxLength : head === 'mc' ? rowsPerExample(data) : model.config.num_labels;
  const width = head === 'qa' ? 2 * C : C;
  const logits = new Float32Array(data.n * width);
  let lossSum = 0;
  let correct = 0;
  const ctx: ForwardContext = { ...EVAL, peft: activeHooks(model) };
  for (let start = 0; start < data.n; start += batchSize) {
    const rows = new Int32Array(Math.min(batchSize, data.n - start)).map((_, i) => start + i);
    const batch = batchTensors(data, rows, head !== 'qa');
    const { out, loss } = tf.tidy(() => {
      const o = forward(model.params, model.config, head, batch.inputs, ctx);
      const canScore = head === 'qa' ? batch.startPositions !== undefined : C !== 1 || batch.targets !== undefined;
      return { out: o, loss: canScore ? headLoss(o, batch) : tf.scalar(NaN) };
    });
    const values = await outputData(out);
    logits.set(values.logits, start * width);
    lossSum += (await loss.data())[0]! * rows.length;
    for (let i = 0; i < rows.length; i++)
      if (isCorrect(values.logits, values.numClasses, i, data, start + i)) correct++;
    tf.dispose([loss, ...(out.head === 'qa' ? [out.startLogits, out.endLogits] : [out.logits])]);
    disposeBatch(batch);
  }
  checkWebgpu();
  return {
    accuracy: data.n ? correct / data.n : NaN,
    loss: data.n ? lossSum / data.n : NaN,
    logits,
    n: data.n,
    numClasses: C,
  };
}
