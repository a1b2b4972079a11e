// Classification (GLUE, SNLI, IMDB, TREC, CB, AG News, SentEval): one row per sentence or pair, a seqcls head
// over the task's labels, correct = argmax is the gold class, metrics from the registry row (accuracy, F1, MCC).
import { argmax, KIND_RULES } from '@prunelab/core';
import { encodeExamples } from '../encode-examples.ts';
import { taskMetrics } from '../metrics.ts';
import type { Example } from '../types.ts';
import type { TaskKindSpec } from './kind-spec.ts';

export const classification: TaskKindSpec = {
  kind: 'classification',
  ...KIND_RULES.classification, // head and rule for correct
  numLabels: (task) => task.labels.length,
  classes: (task) => task.labels,
  encodeTrain: (tok, examples, opts) => encodeExamples(tok, examples as Example[], opts.maxLength),
  encodeEval: (tok, examples, opts) => ({ set: encodeExamples(tok, examples as Example[], opts.maxLength) }),
  stats: 'classes',
  metrics(task, ev, out) {
    const pred = Int32Array.from({ length: out.n }, (_, i) => argmax(out.logits, i * out.numClasses, out.numClasses));
    return { metrics: { accuracy: out.accuracy, ...taskMetrics(task, pred, ev.set.labels) }, accuracy: out.accuracy };
  },
};
