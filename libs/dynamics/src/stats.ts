// Per-example quantities taken from logits the training forward pass already computed (method.md section 1).

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
}

/** Stats of one example from its C class logits, read from `logits[offset .. offset+C)`. */
function statsAt(logits: ArrayLike<number>, offset: number, C: number, gold: number): ExampleStats {
  if (!Number.isInteger(gold) || gold < 0 || gold >= C) {
    throw new Error(`exampleStats: gold label ${gold} is not a class index in 0..${C - 1}; check the label mapping of the dataset`);
  }
  let max = -Infinity;
  let argmax = 0;
  let maxOther = -Infinity;
  for (let c = 0; c < C; c++) {
    const v = logits[offset + c]!;
    if (Number.isNaN(v)) throw new Error(`exampleStats: logit ${c} is NaN; training diverged (lower the learning rate)`);
    if (v > max) { max = v; argmax = c; }
    if (c !== gold && v > maxOther) maxOther = v;
  }
  let sumExp = 0;
  for (let c = 0; c < C; c++) sumExp += Math.exp(logits[offset + c]! - max);
  const logSumExp = max + Math.log(sumExp);
  const g = logits[offset + gold]!;
  const loss = logSumExp - g;
  return { correct: argmax === gold, goldProb: Math.exp(-loss), loss, margin: g - maxOther };
}

export function exampleStats(logits: ArrayLike<number>, gold: number): ExampleStats {
  if (logits.length < 2) throw new Error(`exampleStats: got ${logits.length} logits; a classifier needs at least 2 classes`);
  return statsAt(logits, 0, logits.length, gold);
}

export interface BatchStats {
  correct: Uint8Array;
  goldProb: Float32Array;
  loss: Float32Array;
  margin: Float32Array;
}

/** Stats for a batch: `logits` is row-major [B * numClasses], `labels` holds B gold class indices. */
export function batchStats(logits: Float32Array, numClasses: number, labels: ArrayLike<number>): BatchStats {
  if (!Number.isInteger(numClasses) || numClasses < 2) {
    throw new Error(`batchStats: numClasses = ${numClasses}; a classifier needs an integer >= 2`);
  }
  const B = labels.length;
  if (logits.length !== B * numClasses) {
    throw new Error(`batchStats: logits has ${logits.length} values but labels.length * numClasses = ${B} * ${numClasses} = ${B * numClasses}; pass logits of shape [batch, numClasses]`);
  }
  const out: BatchStats = { correct: new Uint8Array(B), goldProb: new Float32Array(B), loss: new Float32Array(B), margin: new Float32Array(B) };
  for (let b = 0; b < B; b++) {
    const s = statsAt(logits, b * numClasses, numClasses, labels[b]!);
    out.correct[b] = s.correct ? 1 : 0;
    out.goldProb[b] = s.goldProb;
    out.loss[b] = s.loss;
    out.margin[b] = s.margin;
  }
  return out;
}
