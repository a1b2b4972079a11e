// What a task asks the model to do, one row per kind: the model head it trains and its rule for "correct" (the
// thing the H-score counts). libs/datasets adds each kind's encoders and metrics in a file per kind; a new kind is a
// row here and a file there. Logits come in the engine's batch layout:
//   seqcls, mc: [rows, width] class or choice scores (regression: width 1, the prediction);
//   qa: [rows, 2, width] start logits then end logits of each row (width = sequence length).
import { classCorrect, regressionCorrect, spanCorrect } from './correct.ts';
import type { EncodedSet } from './encoded.ts';

/** The model head on top of the body: sequence classification (also regression, one output), extractive QA,
 * multiple choice (one score per choice). */
export const HEADS = ['seqcls', 'qa', 'mc'] as const;
export type HeadKind = (typeof HEADS)[number];

/** Whether batch row i of `logits` (width classes, choices or positions) is right for training row `row`. */
export type RowRule = (logits: ArrayLike<number>, width: number, i: number, data: EncodedSet, row: number) => boolean;

export interface KindRule {
  head: HeadKind;
  correct: RowRule;
}

export const KIND_RULES = {
  classification: { head: 'seqcls', correct: (l, w, i, d, r) => classCorrect(l, i * w, w, d.labels[r]!) },
  regression: { head: 'seqcls', correct: (l, _w, i, d, r) => regressionCorrect(l[i]!, d.targets![r]!) },
  'extractive-qa': {
    head: 'qa',
    correct: (l, w, i, d, r) =>
      spanCorrect(l, i * 2 * w, l, (i * 2 + 1) * w, w, d.startPositions![r]!, d.endPositions![r]!),
  },
  'multiple-choice': { head: 'mc', correct: (l, w, i, d, r) => classCorrect(l, i * w, w, d.labels[r]!) },
} as const satisfies Record<string, KindRule>;

export type TaskKind = keyof typeof KIND_RULES;
export const TASK_KINDS = Object.keys(KIND_RULES) as TaskKind[];
export const HEAD_OF_KIND = Object.fromEntries(TASK_KINDS.map((k) => [k, KIND_RULES[k].head])) as Record<
  TaskKind,
  HeadKind
>;

/** Whether batch row i is right for a task of `kind` (see RowRule). */
export function rowCorrect(
  kind: TaskKind,
  logits: ArrayLike<number>,
  width: number,
  i: number,
  data: EncodedSet,
  row: number,
): boolean {
  return KIND_RULES[kind].correct(logits, width, i, data, row);
}

/** The kind an encoded set trains as, read from its shape: the engine's default when its caller names no kind. */
export function kindOfSet(data: EncodedSet): TaskKind {
  if (data.numChoices) return 'multiple-choice';
  if (data.startPositions) return 'extractive-qa';
  if (data.targets) return 'regression';
  return 'classification';
}
