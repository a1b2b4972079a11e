// The peft-tiny fixtures' input batches as engine inputs, and the comparison their tests share.
import * as tf from '@tensorflow/tfjs';

type Ints = number[][];
export interface FixtureInputs {
  input_ids: Ints;
  attention_mask: Ints;
  token_type_ids?: Ints;
}

export function inputsOf(b: FixtureInputs) {
  const t = (x: Ints) => tf.tensor2d(x, undefined, 'int32');
  return {
    inputIds: t(b.input_ids),
    attentionMask: t(b.attention_mask),
    ...(b.token_type_ids ? { tokenTypeIds: t(b.token_type_ids) } : {}),
  };
}

export function maxAbsDiff(a: number[][], b: number[][]): number {
  let worst = 0;
  a.forEach((row, i) => row.forEach((v, j) => (worst = Math.max(worst, Math.abs(v - b[i]![j]!)))));
  return worst;
}
