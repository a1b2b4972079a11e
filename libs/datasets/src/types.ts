// Plain data shapes shared by every loader. An Example's id is derived from its content (see
// example-id.ts) so per-example training dynamics can be keyed by it whatever the batch order.

export interface Example {
  id: string;
  text: string;
  /** Second segment of a sentence-pair task (absent for single-sentence tasks such as SST-2). */
  textB?: string;
  /** Index into the task's labels (regression: the float score). */
  label: number;
}

/** Where a split was read from: the config's data.root, PRUNELAB_DATA, ../shared/data, the download cache, or the
 * files a task defined in the config names (custom). */
export type DataSource = 'shared' | 'env' | 'config' | 'cache' | 'custom';

export type { TaskKind } from '@prunelab/core';

/** A SQuAD-style question over a context. `answers` is empty for an unanswerable question. */
export interface QaExample {
  id: string;
  /** The dataset's own question id (SQuAD's hex id), kept for the official evaluation files. */
  sourceId?: string;
  title?: string;
  context: string;
  question: string;
  /** Gold answers; `start` is a UTF-16 offset into `context`. */
  answers: { text: string; start: number }[];
}

/** A RACE-style question with options; `label` indexes `options` (-1 when unlabelled). */
export interface ChoiceExample {
  id: string;
  sourceId?: string;
  context: string;
  question: string;
  options: string[];
  label: number;
}

/** Label value of an example whose split carries no gold label (GLUE test files). */
export const UNLABELLED = -1;
