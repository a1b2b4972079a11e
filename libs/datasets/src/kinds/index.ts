// The task-kind table: one row per kind, each a file of this folder. A new kind is a new file and a row here
// (plus its head and rule for "correct" as a row of core's KIND_RULES); a task of a known kind is a row of tasks.ts
// only.
import type { TaskKind } from '@prunelab/core';
import { getTask } from '../tasks.ts';
import { classification } from './classification.ts';
import { extractiveQa } from './extractive-qa.ts';
import type { TaskKindSpec } from './kind-spec.ts';
import { multipleChoice } from './multiple-choice.ts';
import { regression } from './regression.ts';

export const KINDS: Record<TaskKind, TaskKindSpec> = {
  classification,
  regression,
  'extractive-qa': extractiveQa,
  'multiple-choice': multipleChoice,
};

/** The kind record a registered task trains as. */
export function kindOfTask(task: string): TaskKindSpec {
  return KINDS[getTask(task).kind];
}
