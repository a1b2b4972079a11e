// Multiple choice (RACE): each example is numChoices rows (article, question + option), the mc head scores each
// choice, correct = the top-scored choice is the gold one; metric accuracy.
import { KIND_RULES } from '@prunelab/core';
import { encodeMultipleChoice } from '../race-prepare.ts';
import type { ChoiceExample } from '../types.ts';
import type { TaskKindSpec } from './kind-spec.ts';

export const multipleChoice: TaskKindSpec = {
  kind: 'multiple-choice',
  ...KIND_RULES['multiple-choice'], // head and rule for correct
  numLabels: () => 0,
  // the gold choice is the class of a row for balanced baselines (A, B, C, D)
  classes: (task) => task.labels,
  encodeTrain: (tok, examples, opts) => encodeMultipleChoice(tok, examples as ChoiceExample[], opts.maxLength),
  encodeEval: (tok, examples, opts) => ({ set: multipleChoice.encodeTrain(tok, examples, opts) }),
  stats: 'classes',
  metrics: (_task, _ev, out) => ({ metrics: { accuracy: out.accuracy }, accuracy: out.accuracy }),
};
