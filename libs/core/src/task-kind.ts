// What a task asks the model to do. The kind decides the example shape, the model head and the rule for
// "correct" (correct.ts) that the H-score counts.

export const TASK_KINDS = ['classification', 'regression', 'extractive-qa', 'multiple-choice'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

/** The model head on top of the body: sequence classification (also regression, one output), extractive QA,
 * multiple choice (one score per choice). */
export const HEADS = ['seqcls', 'qa', 'mc'] as const;
export type HeadKind = (typeof HEADS)[number];

export const HEAD_OF_KIND: Record<TaskKind, HeadKind> = {
  classification: 'seqcls',
  regression: 'seqcls',
  'extractive-qa': 'qa',
  'multiple-choice': 'mc',
};
