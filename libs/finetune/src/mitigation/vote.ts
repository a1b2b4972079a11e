// The majority vote of an ensemble's members over their own logits: each member's argmax is one vote; ties go to
// the class with the higher mean probability (then the lower index). The vote's "logits" are the vote counts plus
// half the mean probability, so argmax gives the voted class and the task's metrics read it like any model's.
import { argmax } from '@prunelab/core';

function softmaxRow(logits: Float32Array, o: number, C: number, out: Float64Array): void {
  let max = -Infinity;
  for (let c = 0; c < C; c++) max = Math.max(max, logits[o + c]!);
  let sum = 0;
  for (let c = 0; c < C; c++) sum += out[c] = Math.exp(logits[o + c]! - max);
  for (let c = 0; c < C; c++) out[c]! /= sum;
}

export interface Vote {
  /** [n, C]: votes + mean probability / 2 */
  logits: Float32Array;
  /** mean over members of each example's probabilities [n, C] */
  meanProbs: Float32Array;
  /** mean negative log-likelihood of the mean probabilities, when labels are given */
  loss?: number;
}

export function majorityVote(members: Float32Array[], n: number, C: number, labels?: ArrayLike<number>): Vote {
  if (members.length === 0) throw new Error('majorityVote: no members');
  const logits = new Float32Array(n * C);
  const meanProbs = new Float32Array(n * C);
  const p = new Float64Array(C);
  let nll = 0;
  for (let i = 0; i < n; i++) {
    const mean = new Float64Array(C);
    for (const m of members) {
      logits[i * C + argmax(m, i * C, C)]! += 1;
      softmaxRow(m, i * C, C, p);
      for (let c = 0; c < C; c++) mean[c]! += p[c]! / members.length;
    }
    for (let c = 0; c < C; c++) {
      meanProbs[i * C + c] = mean[c]!;
      logits[i * C + c]! += mean[c]! / 2;
    }
    if (labels) nll -= Math.log(Math.max(mean[labels[i]!]!, 1e-12));
  }
  return { logits, meanProbs, ...(labels && { loss: nll / n }) };
}
