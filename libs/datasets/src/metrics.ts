// Task metrics on plain arrays: accuracy, binary and macro F1, Matthews correlation (CoLA),
// Pearson and Spearman correlation (STS-B). SQuAD's EM/F1 are in squad-metric.ts.
import type { MetricName, TaskSpec } from './tasks.ts';

function checkLengths(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  if (a.length !== b.length) throw new Error(`${what}: ${a.length} predictions but ${b.length} labels`);
  if (a.length === 0) throw new Error(`${what}: no examples to score`);
}

export function accuracy(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths(pred, gold, 'accuracy');
  let ok = 0;
  for (let i = 0; i < pred.length; i++) if (pred[i] === gold[i]) ok++;
  return ok / pred.length;
}

/** F1 of one class (default: class 1, the "positive" class GLUE scores MRPC and QQP by). 0 when undefined. */
export function f1Score(pred: ArrayLike<number>, gold: ArrayLike<number>, positive = 1): number {
  checkLengths(pred, gold, 'f1');
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    if (pred[i] === positive && gold[i] === positive) tp++;
    else if (pred[i] === positive) fp++;
    else if (gold[i] === positive) fn++;
  }
  return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn);
}

/** Unweighted mean of per-class F1 (SuperGLUE's CB F1). */
export function macroF1(pred: ArrayLike<number>, gold: ArrayLike<number>, numClasses: number): number {
  let sum = 0;
  for (let c = 0; c < numClasses; c++) sum += f1Score(pred, gold, c);
  return sum / numClasses;
}

/**
 * Expected calibration error (Guo et al. 2017) of classification logits [n, C] against labels: the confidence is the
 * largest softmax probability; `bins` equal-width bins over [0, 1] (a confidence on an edge goes to the lower bin, as
 * (lo, hi]); ECE = sum over bins of |bin| / n * |accuracy - mean confidence|.
 */
export function expectedCalibrationError(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  numClasses: number,
  bins = 15,
): number {
  const n = labels.length;
  if (logits.length !== n * numClasses)
    throw new Error(`ece: ${logits.length} logits for ${n} examples x ${numClasses}`);
  if (n === 0) throw new Error('ece: no examples to score');
  const conf = new Float64Array(bins);
  const hit = new Float64Array(bins);
  const count = new Float64Array(bins);
  for (let i = 0; i < n; i++) {
    let best = 0;
    let max = -Infinity;
    for (let c = 0; c < numClasses; c++) {
      const v = logits[i * numClasses + c]!;
      if (v > max) [max, best] = [v, c];
    }
    let z = 0;
    for (let c = 0; c < numClasses; c++) z += Math.exp(logits[i * numClasses + c]! - max);
    const p = 1 / z;
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(p * bins) - 1));
    conf[b]! += p;
    hit[b]! += best === labels[i] ? 1 : 0;
    count[b]! += 1;
  }
  let ece = 0;
  for (let b = 0; b < bins; b++) if (count[b]) ece += Math.abs(hit[b]! - conf[b]!) / n;
  return ece;
}

/** Matthews correlation for binary labels; 0 when a marginal is empty (sklearn's convention). */
export function matthewsCorrelation(pred: ArrayLike<number>, gold: ArrayLike<number>): number {
  checkLengths(pred, gold, 'matthews');
  let tp = 0;
  let tn = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < pred.length; i++) {
    const p = pred[i] === 1;
    const g = gold[i] === 1;
    if (p && g) tp++;
    else if (!p && !g) tn++;
    else if (p) fp++;
    else fn++;
  }
  const den = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return den === 0 ? 0 : (tp * tn - fp * fn) / den;
}

export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkLengths(x, y, 'pearson');
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i] as number;
    my += y[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = (x[i] as number) - mx;
    const dy = (y[i] as number) - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx === 0 || syy === 0 ? 0 : sxy / Math.sqrt(sxx * syy);
}

/** Ranks starting at 1, ties get the mean of their ranks (as scipy's rankdata 'average'). */
export function averageRanks(x: ArrayLike<number>): number[] {
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => (x[a] as number) - (x[b] as number));
  const ranks = new Array<number>(x.length);
  for (let i = 0; i < idx.length; ) {
    let j = i;
    while (j + 1 < idx.length && x[idx[j + 1] as number] === x[idx[i] as number]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[idx[k] as number] = r;
    i = j + 1;
  }
  return ranks;
}

export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkLengths(x, y, 'spearman');
  return pearson(averageRanks(x), averageRanks(y));
}

/**
 * The task's metrics for class predictions (or scores for STS-B). Unlabelled rows (label -1) must be
 * removed by the caller: scoring a test split without labels is an error.
 */
export function taskMetrics(
  spec: TaskSpec,
  pred: ArrayLike<number>,
  gold: ArrayLike<number>,
): Partial<Record<MetricName, number>> {
  for (let i = 0; i < gold.length; i++) {
    if (gold[i] === -1 && spec.kind !== 'regression')
      throw new Error(`${spec.title}: label of example ${i} is -1 (unlabelled split); metrics need gold labels`);
  }
  const out: Partial<Record<MetricName, number>> = {};
  for (const m of spec.metrics) {
    if (m === 'accuracy') out.accuracy = accuracy(pred, gold);
    else if (m === 'f1')
      out.f1 = spec.labels.length > 2 ? macroF1(pred, gold, spec.labels.length) : f1Score(pred, gold, 1);
    else if (m === 'matthews') out.matthews = matthewsCorrelation(pred, gold);
    else if (m === 'pearson') out.pearson = pearson(pred, gold);
    else if (m === 'spearman') out.spearman = spearman(pred, gold);
    else throw new Error(`${spec.title}: metric ${m} needs answer texts; use squadV2Metrics`);
  }
  return out;
}
