// Multiple choice (RACE): each example is numChoices rows (article, question + option), the mc head scores each
// choice, correct = the top-scored choice is the gold one; metric accuracy.
import { classCorrect, HEAD_OF_KIND } from '@prunelab/core';
import { encodeMultipleChoice } from '../race-prepare.ts';
import type { ChoiceExample } from '../types.ts';
import type { TaskKindSpec } from './kind-spec.ts';

export const multipleChoice: TaskKindSpec = {
  kind: 'multiple-choice',
  head: HEAD_OF_KIND['multiple-choice'],
  numLabels: () => 0,
  // the gold choice is the class of a row for balanced baselines (A, B, C, D)
  classes: (task) => task.labels,
  encodeTrain: (tok, examples, opts) => encodeMultipleChoice(tok, examples as ChoiceExample[], opts.maxLength),
  encodeEval: (tok, examples, opts) => ({ set: multipleChoice.encodeTrain(tok, examples, opts) }),
  correct: (logits, width, i, data, row) => classCorrect(logits, i * width, width, data.labels[row]!),
  stats: 'classes',
  metrics: (_task, _ev, out) => ({ metrics: { accuracy: out.accuracy }, accuracy: out.accuracy }),
};
