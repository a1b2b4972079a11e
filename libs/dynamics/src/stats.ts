// Per-example quantities taken from logits the training forward pass already computed (method.md section 1).
// "correct" is @prunelab/core's rule for the task kind; the other quantities are this lib's.
import { classCorrect, regressionCorrect, REGRESSION_TOLERANCE } from '@prunelab/core';

/** Numerically stable softmax: shift by the max so exp never overflows. */
export function softmax(logits: ArrayLike<number>): Float64Array {
  const n = logits.length;
  if (n === 0) throw new Error('softmax: empty logits; pass at least one class score');
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, logits[i]!);
  const out = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += out[i] = Math.exp(logits[i]! - max);
  for (let i = 0; i < n; i++) out[i]! /= sum;
  return out;
}

export interface ExampleStats {
  /** argmax(logits) === gold (first index wins ties, like tf.argMax) */
  correct: boolean;
  /** softmax(logits)[gold] */
  goldProb: number;
  /** cross-entropy -log softmax(logits)[gold], via log-sum-exp so logits like 1000 stay finite */
  loss: number;
  /** logit[gold] - max other logit: the margin of AUM (Pleiss et al. 2020); > 0 iff strictly correct */
  margin: number;
  /** EL2N (Paul et al. 2021): || softmax(logits) - onehot(gold) ||_2, exact for any number of classes */
  el2n: number;
}

/** Stats of one example from its C class logits, read from `logits[offset .. offset+C)`. */
function statsAt(
  logits: ArrayLike<number>,
  offset: number,
  C: number,
  gold: number,
  what = 'gold label',
): ExampleStats {
  if (!Number.isInteger(gold) || gold < 0 || gold >= C) {
    throw new Error(
      `exampleStats: ${what} ${gold} is not an index in 0..${C - 1}; check the label mapping of the dataset`,
    );
  }
  let max = -Infinity;
  let maxOther = -Infinity;
  for (let c = 0; c < C; c++) {
    const v = logits[offset + c]!;
    if (Number.isNaN(v))
      throw new Error(`exampleStats: logit ${c} is NaN; training diverged (lower the learning rate)`);
    if (v > max) max = v;
    if (c !== gold && v > maxOther) maxOther = v;
  }
  let sumExp = 0;
  for (let c = 0; c < C; c++) sumExp += Math.exp(logits[offset + c]! - max);
  const logSumExp = max + Math.log(sumExp);
  const g = logits[offset + gold]!;
  const loss = logSumExp - g;
  const goldProb = Math.exp(-loss);
  // ||p - e_gold||^2 = (1 - p_gold)^2 + sum over the other classes of p_c^2
  let sq = (1 - goldProb) * (1 - goldProb);
  for (let c = 0; c < C; c++) {
    if (c === gold) continue;
    const p = Math.exp(logits[offset + c]! - logSumExp);
    sq += p * p;
  }
  return { correct: classCorrect(logits, offset, C, gold), goldProb, loss, margin: g - maxOther, el2n: Math.sqrt(sq) };
}

export function exampleStats(logits: ArrayLike<number>, gold: number): ExampleStats {
  if (logits.length < 2)
    throw new Error(`exampleStats: got ${logits.length} logits; a classifier needs at least 2 classes`);
  return statsAt(logits, 0, logits.length, gold);
}

export interface BatchStats {
  correct: Uint8Array;
  goldProb: Float32Array;
  loss: Float32Array;
  margin: Float32Array;
  el2n: Float32Array;
  /** softmax rows [B, numClasses] (batchStats / mcBatchStats with `probs`) */
  probs?: Float32Array;
  /** GraNd per row (batchStats / mcBatchStats with `features` and `grand`) */
  grand?: Float32Array;
  /** the features as given, [B, dim] (batchStats with `features` and `embedding`) */
  embedding?: Float32Array;
}

/** The input h of the classifier's last linear layer for each row of a batch (libs/finetune BatchReport.features). */
export interface Features {
  /** row-major [B, dim] (multiple choice: [B * numChoices, dim], one row per choice) */
  data: Float32Array;
  dim: number;
  /** whether the layer has a bias (a constant input 1 that enters the gradient's norm) */
  bias: boolean;
}

/** Which optional quantities batchStats / mcBatchStats add; grand and embedding need `features`. */
export interface ExtraStats {
  probs?: boolean;
  grand?: boolean;
  embedding?: boolean;
  features?: Features;
}

function emptyBatch(B: number): BatchStats {
  return {
    correct: new Uint8Array(B),
    goldProb: new Float32Array(B),
    loss: new Float32Array(B),
    margin: new Float32Array(B),
    el2n: new Float32Array(B),
  };
}

function put(out: BatchStats, b: number, s: ExampleStats): void {
  out.correct[b] = s.correct ? 1 : 0;
  out.goldProb[b] = s.goldProb;
  out.loss[b] = s.loss;
  out.margin[b] = s.margin;
  out.el2n[b] = s.el2n;
}

/**
 * Stats for a batch: `logits` is row-major [B * numClasses], `labels` holds B gold class indices. `extra` adds the
 * opt-in quantities: probs (softmax rows), grand (grandOf, from `features`) and embedding (`features` as given).
 */
export function batchStats(
  logits: Float32Array,
  numClasses: number,
  labels: ArrayLike<number>,
  extra?: ExtraStats,
): BatchStats {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`batchStats: numClasses = ${numClasses}; a classifier needs an integer >= 2`);
  }
  const B = labels.length;
  if (logits.length !== B * numClasses) {
    throw new Error(
      `batchStats: logits has ${logits.length} values but labels.length * numClasses = ${B} * ${numClasses} = ` +
        `${B * numClasses}; pass logits of shape [batch, numClasses]`,
    );
  }
  const out = emptyBatch(B);
  for (let b = 0; b < B; b++) put(out, b, statsAt(logits, b * numClasses, numClasses, labels[b]!));
  if (extra) addExtras('batchStats', out, logits, numClasses, labels, extra, 1);
  return out;
}

/** Softmax of every row of a row-major [B, C] array, in float32. */
function softmaxRows(logits: Float32Array, C: number, B: number): Float32Array {
  const probs = new Float32Array(B * C);
  for (let b = 0; b < B; b++) probs.set(softmax(logits.subarray(b * C, (b + 1) * C)), b * C);
  return probs;
}

/**
 * GraNd (Paul et al. 2021) restricted to the classifier's last linear layer z = W^T h + b (W: [dim, C]), exactly:
 * with p = softmax(z) and y = onehot(gold), the example's cross-entropy L has dL/dz = p - y, so
 *   dL/dW = h (p - y)^T   (an outer product: ||u v^T||_F = ||u||_2 ||v||_2)   and   dL/db = p - y,
 *   ||(dL/dW, dL/db)||_F = sqrt(||h||^2 ||p - y||^2 + ||p - y||^2) = ||p - y||_2 * sqrt(||h||_2^2 + 1)
 * (without the +1 when the layer has no bias). ||p - y||_2 is EL2N, so GraNd = EL2N * sqrt(||h||^2 + [bias]).
 * The gradient is of the example's own loss (the batch mean's 1/B left out), so it does not depend on the batch.
 * apps/experiments grand.test.ts checks it against tf.grad.
 */
export function grandOf(el2n: number, h: ArrayLike<number>, offset: number, dim: number, bias: boolean): number {
  let hh = bias ? 1 : 0;
  for (let k = 0; k < dim; k++) hh += h[offset + k]! * h[offset + k]!;
  return el2n * Math.sqrt(hh);
}

/**
 * Multiple choice scores each choice c with the same layer, z_c = w . h_c + b (one output), so
 *   dL/dw = sum_c (p_c - y_c) h_c   and   dL/db = sum_c (p_c - y_c) = 0,
 * and GraNd = || sum_c (p_c - y_c) h_c ||_2 (the bias adds nothing whether or not the layer has one).
 */
export function mcGrandOf(
  probs: ArrayLike<number>,
  gold: number,
  h: ArrayLike<number>,
  b: number,
  C: number,
  dim: number,
): number {
  let sq = 0;
  for (let k = 0; k < dim; k++) {
    let g = 0;
    for (let c = 0; c < C; c++) g += (probs[b * C + c]! - (c === gold ? 1 : 0)) * h[(b * C + c) * dim + k]!;
    sq += g * g;
  }
  return Math.sqrt(sq);
}

/** probs / grand / embedding of a batch whose base stats are in `out`; `rowsPer`: feature rows per example. */
function addExtras(
  where: string,
  out: BatchStats,
  logits: Float32Array,
  C: number,
  labels: ArrayLike<number>,
  extra: ExtraStats,
  rowsPer: number,
): void {
  const B = labels.length;
  const f = extra.features;
  if ((extra.grand || extra.embedding) && !f)
    throw new Error(
      `${where}: grand and embedding need the classifier's input features; train with the \`features\` option and ` +
        `pass BatchReport.features`,
    );
  if (f && (!Number.isInteger(f.dim) || f.dim < 1 || f.data.length !== B * rowsPer * f.dim))
    throw new Error(
      `${where}: features have ${f.data.length} values but the batch needs ${B}${rowsPer > 1 ? ` * ${rowsPer}` : ''} ` +
        `rows of dim ${f.dim}; pass BatchReport.features with its featureDim`,
    );
  const probs = extra.probs || (extra.grand && rowsPer > 1) ? softmaxRows(logits, C, B) : undefined;
  if (extra.probs) out.probs = probs;
  if (extra.grand) {
    const g = new Float32Array(B);
    for (let b = 0; b < B; b++)
      g[b] =
        rowsPer > 1
          ? mcGrandOf(probs!, labels[b]!, f!.data, b, C, f!.dim)
          : grandOf(out.el2n[b]!, f!.data, b * f!.dim, f!.dim, f!.bias);
    out.grand = g;
  }
  if (extra.embedding) {
    if (rowsPer > 1)
      throw new Error(
        `${where}: multiple choice has one feature row per choice, no single embedding per example; record ` +
          `probs and grand only`,
      );
    out.embedding = f!.data;
  }
}

/**
 * Multiple choice (method.md section 1): `logits` is row-major [B * numChoices], one score per choice, and
 * correct means argmax over the choices == gold choice. The stats are those of a classifier over the choices.
 */
export function mcBatchStats(
  logits: Float32Array,
  numChoices: number,
  goldChoice: ArrayLike<number>,
  extra?: ExtraStats,
): BatchStats {
  if (!Number.isInteger(numChoices) || numChoices < 2)
    throw new Error(`mcBatchStats: numChoices = ${numChoices}; multiple choice needs an integer >= 2`);
  const out = batchStats(logits, numChoices, goldChoice);
  if (extra) addExtras('mcBatchStats', out, logits, numChoices, goldChoice, extra, numChoices);
  return out;
}

/**
 * Extractive QA stats of one example from its start and end logits over the L token positions.
 *   correct  = argmax(start) == goldStart AND argmax(end) == goldEnd (method.md section 1; each argmax on its own,
 *              first index wins ties, no span decoding), i.e. exact match of the predicted span with the gold span
 *   goldProb = p_start[goldStart] * p_end[goldEnd] (probability of the gold span under the two heads)
 *   loss     = (CE_start + CE_end) / 2, the loss Hugging Face QA heads train on
 *   margin   = min(margin_start, margin_end): > 0 iff both heads are strictly right, so AUM keeps its meaning
 *   el2n     = (EL2N_start + EL2N_end) / 2
 * Unanswerable SQuAD v2 features point both gold positions at the [CLS] token (position 0).
 */
export function qaExampleStats(
  start: ArrayLike<number>,
  end: ArrayLike<number>,
  goldStart: number,
  goldEnd: number,
): ExampleStats {
  if (start.length !== end.length || start.length < 2)
    throw new Error(
      `qaExampleStats: ${start.length} start and ${end.length} end logits; pass one of each per token position (at ` +
        `least 2)`,
    );
  return combineQa(
    statsAt(start, 0, start.length, goldStart, 'gold start'),
    statsAt(end, 0, end.length, goldEnd, 'gold end'),
  );
}

/** The two heads' stats as one example's: correct when both are (core's spanCorrect). */
function combineQa(s: ExampleStats, e: ExampleStats): ExampleStats {
  return {
    correct: s.correct && e.correct,
    goldProb: s.goldProb * e.goldProb,
    loss: (s.loss + e.loss) / 2,
    margin: Math.min(s.margin, e.margin),
    el2n: (s.el2n + e.el2n) / 2,
  };
}

/** qaExampleStats for a batch: `start` and `end` are row-major [B * seqLen]; gold positions are token indices. */
export function qaBatchStats(
  start: Float32Array,
  end: Float32Array,
  seqLen: number,
  goldStart: ArrayLike<number>,
  goldEnd: ArrayLike<number>,
): BatchStats {
  if (!Number.isInteger(seqLen) || seqLen < 2)
    throw new Error(`qaBatchStats: seqLen = ${seqLen}; pass the number of token positions (an integer >= 2)`);
  const B = goldStart.length;
  if (goldEnd.length !== B)
    throw new Error(`qaBatchStats: ${B} gold starts but ${goldEnd.length} gold ends; pass one of each per example`);
  for (const [name, a] of [
    ['start', start],
    ['end', end],
  ] as const) {
    if (a.length !== B * seqLen)
      throw new Error(
        `qaBatchStats: ${name} logits have ${a.length} values but batch * seqLen = ${B} * ${seqLen} = ${B * seqLen}; ` +
          `pass logits of shape [batch, seqLen]`,
      );
  }
  const out = emptyBatch(B);
  for (let b = 0; b < B; b++) {
    const o = b * seqLen;
    put(
      out,
      b,
      combineQa(
        statsAt(start, o, seqLen, goldStart[b]!, 'gold start'),
        statsAt(end, o, seqLen, goldEnd[b]!, 'gold end'),
      ),
    );
  }
  return out;
}

/**
 * Regression (STS-B, no classes): correct = core's regressionCorrect (|prediction - gold| <= tolerance);
 * goldProb surrogate = exp(-(error / tolerance)^2 / 2), a unit-height Gaussian around the prediction at the gold
 * score (1 when exact, 0.61 at the tolerance), so cartography's confidence/variability keep their meaning;
 * loss = squared error, margin = tolerance - |error| (> 0 iff correct, as AUM expects), el2n = |error|.
 */
export function regressionBatchStats(
  pred: ArrayLike<number>,
  gold: ArrayLike<number>,
  tolerance = REGRESSION_TOLERANCE,
): BatchStats {
  const B = gold.length;
  const out = emptyBatch(B);
  for (let i = 0; i < B; i++) {
    const err = Math.abs(pred[i]! - gold[i]!);
    out.correct[i] = regressionCorrect(pred[i]!, gold[i]!, tolerance) ? 1 : 0;
    out.goldProb[i] = Math.exp(-0.5 * (err / tolerance) ** 2);
    out.loss[i] = err * err;
    out.margin[i] = tolerance - err;
    out.el2n[i] = err;
  }
  return out;
}
