// Regression (STS-B): one row per pair with a float target, a seqcls head with one output (MSE), correct = within
// core's REGRESSION_TOLERANCE of the gold score; metrics Pearson/Spearman plus the within-tolerance share.
import { type EncodedSet, KIND_RULES } from '@prunelab/core';
import type { Tokenizer } from '@prunelab/tokenizers';
import { encodeExamples } from '../encode-examples.ts';
import { taskMetrics } from '../metrics.ts';
import type { Example } from '../types.ts';
import type { AnyExample, TaskKindSpec } from './kind-spec.ts';

/** Scores rounded to the nearest integer: classes for balanced baselines and subset summaries only. */
export const SCORE_BINS = ['0', '1', '2', '3', '4', '5'];

function encodeScores(tok: Tokenizer, examples: readonly AnyExample[], maxLength: number): EncodedSet {
  const e = encodeExamples(tok, examples as Example[], maxLength, { regression: true });
  const scores = e.scores!;
  // labels: the score rounded to 0..5, a class for balanced baselines only (the loss uses `targets`)
  const labels = Int32Array.from(scores, (s) => Math.max(0, Math.min(SCORE_BINS.length - 1, Math.round(s))));
  const { inputIds, attentionMask, tokenTypeIds, n } = e;
  return { inputIds, attentionMask, tokenTypeIds, labels, n, maxLength, targets: scores };
}

export const regression: TaskKindSpec = {
  kind: 'regression',
  ...KIND_RULES.regression, // head and rule for correct
  numLabels: () => 1,
  classes: () => SCORE_BINS,
  encodeTrain: (tok, examples, opts) => encodeScores(tok, examples, opts.maxLength),
  encodeEval(tok, examples, opts) {
    const set = encodeScores(tok, examples, opts.maxLength);
    return { set, scores: set.targets! };
  },
  stats: 'regression',
  metrics(task, ev, out) {
    // Pearson/Spearman are the task's metrics; the within-tolerance share is the H-score's "correct"
    const scores = ev.scores ?? ev.set.targets!;
    const metrics = { ...taskMetrics(task, out.logits, scores), within_tolerance: out.accuracy };
    return { metrics, accuracy: out.accuracy };
  },
};
