// Learning the graft's mask as the authors do: gamma = b + (1 - 2b) sigmoid(S - beta), b the top-k |delta| base
// patch, S uniform in [0, 1); plain steps on S with the hand-written gradient
//   dL/dS = (1 - 2b) * (dL/dtheta * delta) * sigmoid'(S - beta)
// (their learning rate multiplies the mean of dL/dtheta * delta before the chain rule). After each step the mask is
// rounded to {0, 1} and scored on the training and dev examples; the best rounded mask (train + dev accuracy, the
// first on ties) is kept. The step-0 base patch is not a candidate, as in their code.
import { mulberry32, permutation, type EncodedSet } from '@prunelab/core';
import { evaluate } from '../evaluate.ts';
import { lossGrad, setGraft, type Graft } from './graft.ts';
import { maskCount, topK, type Mask } from './mask.ts';

export interface LearnOptions {
  /** size of the base patch (entries of the top |delta|) */
  k: number;
  /** sigmoid bias: gamma starts within sigmoid(-beta) of the base patch */
  beta: number;
  lr: number;
  steps: number;
  batchSize: number;
  /** batches averaged per step; 0: every training example */
  batches: number;
  /** seed of S's initial values and of each step's batches */
  seed: number;
  /** basePatch(g, k) when the caller has it already (a sort of the whole scope) */
  base?: Mask;
}

export interface LearnStep {
  step: number;
  /** mean training loss at the step's (unrounded) gamma, before the step */
  loss: number;
  /** the rounded mask's size and accuracies */
  size: number;
  trainAccuracy: number;
  devAccuracy: number;
}

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

/** The top-k |delta| base patch. */
export const basePatch = (g: Graft, k: number): Mask =>
  topK(
    g.delta.map((d) => d.map(Math.abs)),
    k,
  );

/** gamma(S) = b + (1 - 2b) sigmoid(S - beta); rounded: 1 where gamma > 0.5 (0.5 rounds to 0, as torch.round). */
export function gammaOf(b: Mask, S: Float32Array[], beta: number, round = false): Float32Array[] {
  return S.map((s, t) =>
    s.map((x, i) => {
      const bi = b[t]![i]!;
      const v = bi + (1 - 2 * bi) * sigmoid(x - beta);
      return round ? (v > 0.5 ? 1 : 0) : v;
    }),
  );
}

/** The hand-written gradient of the loss with respect to S, from dL/dtheta at theta(gamma(S)). */
export function maskGradient(g: Graft, b: Mask, S: Float32Array[], beta: number, thetaGrad: Float32Array[]) {
  return S.map((s, t) =>
    s.map((x, i) => {
      const sg = sigmoid(x - beta);
      return (1 - 2 * b[t]![i]!) * thetaGrad[t]![i]! * g.delta[t]![i]! * sg * (1 - sg);
    }),
  );
}

/** Initial S: uniform in [0, 1) from the seed's stream, tensor by tensor. */
export function initialS(sizes: number[], seed: number): Float32Array[] {
  const rand = mulberry32(seed);
  return sizes.map((n) => new Float32Array(n).map(() => rand()));
}

export async function learnMask(
  g: Graft,
  train: EncodedSet,
  dev: EncodedSet,
  o: LearnOptions,
  onStep?: (s: LearnStep) => void,
): Promise<{ mask: Mask; best: LearnStep; history: LearnStep[] }> {
  const b = o.base ?? basePatch(g, o.k);
  const S = initialS(g.sizes, o.seed);
  const history: LearnStep[] = [];
  let best: { step: LearnStep; mask: Mask } | undefined;
  const take = o.batches === 0 ? train.n : Math.min(train.n, o.batches * o.batchSize);
  for (let step = 1; step <= o.steps; step++) {
    setGraft(g, gammaOf(b, S, o.beta));
    const rows = permutation(train.n, (o.seed + step * 0x9e3779b9) >>> 0).subarray(0, take);
    const { loss, grads } = await lossGrad(g, train, rows, o.batchSize);
    const dS = maskGradient(g, b, S, o.beta, grads);
    for (const [t, s] of S.entries()) for (let i = 0; i < s.length; i++) s[i]! -= o.lr * dS[t]![i]!;
    const mask = gammaOf(b, S, o.beta, true).map((x) => Uint8Array.from(x));
    setGraft(g, mask);
    const s: LearnStep = {
      step,
      loss,
      size: maskCount(mask),
      trainAccuracy: (await evaluate(g.model, train)).accuracy,
      devAccuracy: (await evaluate(g.model, dev)).accuracy,
    };
    history.push(s);
    onStep?.(s);
    if (!best || s.trainAccuracy + s.devAccuracy > best.step.trainAccuracy + best.step.devAccuracy)
      best = { step: s, mask };
  }
  if (!best) throw new Error('learnMask: steps must be at least 1');
  return { mask: best.mask, best: best.step, history };
}

/**
 * Diagonal empirical Fisher at the fine-tuned weights: the mean over `rows` of the squared gradient of each
 * example's own loss (one backward pass per example).
 */
export async function fisherScores(g: Graft, data: EncodedSet, rows: Int32Array): Promise<Float32Array[]> {
  setGraft(g, 1);
  const out = g.sizes.map((n) => new Float32Array(n));
  for (const r of rows) {
    const { grads } = await lossGrad(g, data, Int32Array.of(r), 1);
    for (const [t, d] of grads.entries()) {
      const acc = out[t]!;
      for (let i = 0; i < acc.length; i++) acc[i]! += (d[i]! * d[i]!) / rows.length;
    }
  }
  return out;
}
