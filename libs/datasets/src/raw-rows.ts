// What a format reader hands to the loader before ids are assigned: the text fields in the task's
// order, the label id (or a score for regression, UNLABELLED for test files) and where it came from.
import type { ChoiceExample, QaExample } from './types.ts';

export interface ClassRow {
  /** `file:line` (or `file: json path`) of the row, for later messages. */
  where: string;
  fields: string[];
  label: number;
  /** the file's own id (a task defined in the config with `id:`); else ids come from the content */
  id?: string;
}

export type QaRow = Omit<QaExample, 'id'> & { where: string };
export type ChoiceRow = Omit<ChoiceExample, 'id'> & { where: string };

/** Rows of one split as read from its files, before ids and count checks. */
export interface RawSplit<R> {
  files: string[];
  rows: R[];
  /** Rows left out by the task definition itself (SNLI's gold label "-"), not errors. */
  dropped: number;
  warnings: string[];
}
