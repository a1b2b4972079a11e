// What a task kind is, in one record: the model head, how its examples become training and evaluation rows, the
// rule for "correct", which per-example dynamics stats apply, the classes balanced baselines draw from, and how
// evaluation outputs become the task's metrics. kinds/index.ts is the table of them.
import type { EncodedSet, KindRule, TaskKind } from '@prunelab/core';
import type { Tokenizer } from '@prunelab/tokenizers';
import type { SquadFeature } from '../squad-prepare.ts';
import type { TaskSpec } from '../tasks.ts';
import type { ChoiceExample, Example, QaExample } from '../types.ts';

export type AnyExample = Example | QaExample | ChoiceExample;

export interface KindEncodeOptions {
  maxLength: number;
  /** extractive QA: overlap of consecutive windows (HF doc_stride) */
  docStride: number;
  /** progress lines and warnings (prefixed 'warning: ') for the run log */
  log: (line: string) => void;
  /** the task and split named in log lines */
  task: string;
  split: string;
}

/** An evaluation split: its encoded rows and what the kind's metrics need beyond them. */
export interface EvalSet {
  set: EncodedSet;
  /** extractive QA: the questions and every window, to turn window logits into one answer per question */
  squad?: { examples: QaExample[]; features: SquadFeature[] };
  /** regression: gold scores per row */
  scores?: Float32Array;
}

/** What the model gave on an evaluation set (libs/finetune evaluate's result, in the engine's logits layout). */
export interface EvalOutput {
  logits: Float32Array;
  n: number;
  numClasses: number;
  /** share of rows right by the kind's rule for "correct" */
  accuracy: number;
}

/** The per-example training statistics that apply (libs/dynamics batchStats, qaBatchStats, regressionBatchStats). */
export type StatsKind = 'classes' | 'span' | 'regression';

/** head and correct: core's KIND_RULES row of the kind (spread into each kind's record) */
export interface TaskKindSpec extends KindRule {
  kind: TaskKind;
  /** outputs of a seqcls head (classes; 1 for regression); 0 for the QA and multiple-choice heads */
  numLabels(task: TaskSpec): number;
  /** names of the classes in the training rows' `labels`, for balanced baselines and subset summaries */
  classes(task: TaskSpec): string[];
  /** one training row per example (the H-score keeps one record per example) */
  encodeTrain(tok: Tokenizer, examples: readonly AnyExample[], opts: KindEncodeOptions): EncodedSet;
  encodeEval(tok: Tokenizer, examples: readonly AnyExample[], opts: KindEncodeOptions): EvalSet;
  stats: StatsKind;
  /** every metric of the task by name (fractions), after the kind's post-processing, and the share correct */
  metrics(task: TaskSpec, ev: EvalSet, out: EvalOutput): { metrics: Record<string, number>; accuracy: number };
}
