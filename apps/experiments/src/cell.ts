// One (task, model) cell of the grid, prepared once per process and shared by its jobs: the examples, the model
// folder and the encoded tensors. Every task kind becomes one training row per example id, so phase-1 records,
// subsets and phase-2 selections all speak of the same ids:
//   classification / regression: one row per example (regression: float targets, classes = rounded score);
//   multiple choice: one example of numChoices rows;
//   SQuAD v2: one window per QUESTION for training (trainWindow below), every window of every question for
//   evaluation (answers come back per question through postprocessSquad).
import { encodeExamples, encodeMultipleChoice, forEachSquadFeature, packSquadFeatures, type QaExample, type SquadFeature } from '@prunelab/datasets';
import { loadTokenizer, type Tokenizer } from '@prunelab/tokenizers';
import type { EncodedSet, HeadKind } from '@prunelab/finetune';
import { ensureModel } from './models.ts';
import type { DataCfg, ExperimentConfig, TaskName } from './schema.ts';
import { loadTaskData, TASK_META, type TaskData } from './tasks.ts';

/** An evaluation split: its encoded rows, and for SQuAD the questions and windows to turn logits into answers. */
export interface EvalSet {
  set: EncodedSet;
  squad?: { examples: QaExample[]; features: SquadFeature[] };
  /** regression: gold scores per row */
  scores?: Float32Array;
}

export interface Cell {
  task: TaskName;
  model: string;
  modelDir: string;
  data: TaskData;
  /** the model head the task trains */
  head: HeadKind;
  /** seqcls outputs (classes; 1 for regression), for loadModel */
  numLabels: number;
  /** classes of the training rows' `labels` (choices for multiple choice; score bins; answerable or not), for baselines */
  numClasses: number;
  train: EncodedSet;
  dev: EvalSet;
  trainIds: string[];
  /** further evaluation sets (MNLI mismatched), by split name */
  extraEval: { split: string; set: EvalSet }[];
  /** id -> row of `train` */
  rowOf: Map<string, number>;
}

/** SQuAD windows: data.doc_stride (HF 128) and questions cut at 64 tokens at 384, both capped at a third of a
 * short window so that every window still holds new context. */
export function squadWindowOptions(maxLength: number, docStride: number) {
  const third = Math.floor(maxLength / 3);
  return { maxLength, stride: Math.min(docStride, third), maxQueryLength: Math.min(64, third) };
}

/**
 * The one training window of a question: the first window holding the whole answer; an unanswerable question (or
 * an answer no window holds whole) trains on its first window, pointing at [CLS]. HF trains on every window (the
 * others pointing at [CLS]); one window per question keeps the paper's "one record per training example" exact,
 * and with 384-token windows almost every SQuAD question has a single window anyway. Rows are written straight
 * into the typed arrays (row = question index): no window objects are kept for the 130k training questions.
 */
function trainWindows(tok: Tokenizer, examples: QaExample[], opts: ReturnType<typeof squadWindowOptions>): { set: EncodedSet; inWindow: number } {
  const n = examples.length;
  const L = opts.maxLength;
  const set: EncodedSet = {
    inputIds: new Int32Array(n * L), attentionMask: new Int32Array(n * L), tokenTypeIds: new Int32Array(n * L),
    labels: new Int32Array(n), startPositions: new Int32Array(n), endPositions: new Int32Array(n), n, maxLength: L,
  };
  const seen = new Uint8Array(n);
  forEachSquadFeature(tok, examples, opts, (f) => {
    const i = f.exampleIndex;
    const holds = f.startPosition > 0;
    if (seen[i] && (!holds || set.labels[i])) return; // keep the first window, or the first one with the answer
    seen[i] = 1;
    set.inputIds.set(f.inputIds, i * L);
    set.attentionMask.set(f.attentionMask, i * L);
    set.tokenTypeIds.set(f.tokenTypeIds, i * L);
    set.startPositions![i] = f.startPosition;
    set.endPositions![i] = f.endPosition;
    set.labels[i] = holds ? 1 : 0; // answerable-in-window vs not: the classes of balanced baselines
  });
  const missing = seen.indexOf(0);
  if (missing >= 0) throw new Error(`SQuAD question ${examples[missing]!.id}: no window was built for it`);
  return { set, inWindow: set.labels.reduce((a, b) => a + b, 0) };
}

function squadSet(tok: Tokenizer, examples: QaExample[], opts: ReturnType<typeof squadWindowOptions>): EvalSet {
  const features: SquadFeature[] = [];
  forEachSquadFeature(tok, examples, opts, (f) => features.push(f));
  const packed = packSquadFeatures(features, opts.maxLength);
  return { set: { ...packed, labels: new Int32Array(packed.n), maxLength: opts.maxLength }, squad: { examples, features } };
}

function regressionSet(tok: Tokenizer, examples: TaskData['train'], maxLength: number): { set: EncodedSet; scores: Float32Array } {
  const e = encodeExamples(tok, examples as Parameters<typeof encodeExamples>[1], maxLength, { regression: true });
  const scores = e.scores!;
  // labels: the score rounded to 0..5, a class for balanced baselines only (the loss uses `targets`)
  const labels = Int32Array.from(scores, (s) => Math.max(0, Math.min(5, Math.round(s))));
  return { set: { inputIds: e.inputIds, attentionMask: e.attentionMask, tokenTypeIds: e.tokenTypeIds, labels, n: e.n, maxLength, targets: scores }, scores };
}

export async function prepareCell(cfg: ExperimentConfig, task: TaskName, model: string, data: DataCfg, log: (l: string) => void): Promise<Cell> {
  const loaded = await loadTaskData(task, data);
  log(`data ${task}: ${loaded.description}`);
  for (const w of loaded.warnings) log(`warning: ${w}`);
  const modelDir = await ensureModel(model, cfg.models[model]!, log);
  const tokenizer = loadTokenizer(modelDir); // WordPiece (BERT) or byte-level BPE (RoBERTa, OPT)
  const L = data.max_length;
  const trainIds = loaded.train.map((e) => e.id);
  const extraEval = loaded.extra.map((x) => ({ split: x.split, set: { set: encodeExamples(tokenizer, x.examples, L) as EncodedSet } }));
  const base = { task, model, modelDir, data: loaded, extraEval, trainIds, rowOf: new Map(trainIds.map((id, i) => [id, i])) };
  if (loaded.head === 'multiple-choice') {
    const train = encodeMultipleChoice(tokenizer, loaded.train, L);
    return { ...base, head: 'mc', numLabels: 0, numClasses: train.numChoices!, train, dev: { set: encodeMultipleChoice(tokenizer, loaded.dev, L) } };
  }
  if (loaded.head === 'qa') {
    const windows = squadWindowOptions(L, data.doc_stride);
    if (windows.stride < data.doc_stride) log(`${task}: doc_stride ${data.doc_stride} capped at ${windows.stride} (a third of the ${L}-token window)`);
    const { set: train, inWindow } = trainWindows(tokenizer, loaded.train, windows);
    const unanswerable = loaded.train.filter((e) => e.answers.length > 0).length - inWindow;
    const dev = squadSet(tokenizer, loaded.dev, windows);
    log(`data ${task}: ${train.n} training questions, one ${L}-token window each (${inWindow} with the answer in it); ` +
      `${loaded.dev.length} ${TASK_META[task].evalSplit} questions in ${dev.set.n} windows`);
    if (unanswerable > 0) log(`warning: ${task}: ${unanswerable} answerable training question(s) have no ${L}-token window holding the whole answer; they train as unanswerable`);
    return { ...base, head: 'qa', numLabels: 0, numClasses: 2, train, dev };
  }
  if (loaded.head === 'regression') {
    const train = regressionSet(tokenizer, loaded.train, L);
    return { ...base, head: 'seqcls', numLabels: 1, numClasses: 6, train: train.set, dev: regressionSet(tokenizer, loaded.dev, L) };
  }
  const train = encodeExamples(tokenizer, loaded.train, L);
  return { ...base, head: 'seqcls', numLabels: loaded.labels.length, numClasses: loaded.labels.length, train, dev: { set: encodeExamples(tokenizer, loaded.dev, L) } };
}
