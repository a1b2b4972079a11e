// Extractive QA (SQuAD v2): a question and its context in windows of maxLength tokens; the qa head gives start and
// end logits per position; correct = both argmaxes are the gold positions (core's spanCorrect). Training keeps
// ONE window per question (trainWindows), evaluation every window, and answers come back per question through
// postprocessSquad before SQuAD v2 F1/EM.
import { type EncodedSet, KIND_RULES } from '@prunelab/core';
import type { Tokenizer } from '@prunelab/tokenizers';
import { forEachSquadFeature, packSquadFeatures, type SquadFeature } from '../squad-prepare.ts';
import { postprocessSquad } from '../squad-postprocess.ts';
import { squadV2Metrics } from '../squad-metric.ts';
import type { QaExample } from '../types.ts';
import type { EvalSet, KindEncodeOptions, TaskKindSpec } from './kind-spec.ts';

/** Questions fall in two classes for balanced baselines and subset summaries. */
export const QA_CLASSES = ['unanswerable', 'answerable'];

/** SQuAD windows: data.doc_stride (HF 128) and questions cut at 64 tokens at 384, both capped at a third of a
 * short window so that every window still holds new context. */
export function squadWindowOptions(maxLength: number, docStride: number) {
  const third = Math.floor(maxLength / 3);
  return { maxLength, stride: Math.min(docStride, third), maxQueryLength: Math.min(64, third) };
}

function windowOptions(opts: KindEncodeOptions) {
  const windows = squadWindowOptions(opts.maxLength, opts.docStride);
  // said once, when the training windows are built
  if (windows.stride < opts.docStride && opts.split === 'train') {
    const why = `a third of the ${opts.maxLength}-token window`;
    opts.log(`${opts.task}: doc_stride ${opts.docStride} capped at ${windows.stride} (${why})`);
  }
  return windows;
}

/**
 * The one training window of a question: the first window holding the whole answer; an unanswerable question (or
 * an answer no window holds whole) trains on its first window, pointing at [CLS]. HF trains on every window (the
 * others pointing at [CLS]); one window per question keeps the paper's "one record per training example" exact,
 * and with 384-token windows almost every SQuAD question has a single window anyway. Rows are written straight
 * into the typed arrays (row = question index): no window objects are kept for the 130k training questions.
 */
export function trainWindows(
  tok: Tokenizer,
  examples: QaExample[],
  opts: ReturnType<typeof squadWindowOptions>,
): { set: EncodedSet; inWindow: number } {
  const n = examples.length;
  const L = opts.maxLength;
  const set: EncodedSet = {
    inputIds: new Int32Array(n * L),
    attentionMask: new Int32Array(n * L),
    tokenTypeIds: new Int32Array(n * L),
    labels: new Int32Array(n),
    startPositions: new Int32Array(n),
    endPositions: new Int32Array(n),
    n,
    maxLength: L,
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
  const set = { ...packed, labels: new Int32Array(packed.n), maxLength: opts.maxLength };
  return { set, squad: { examples, features } };
}

export const extractiveQa: TaskKindSpec = {
  kind: 'extractive-qa',
  ...KIND_RULES['extractive-qa'], // head and rule for correct
  numLabels: () => 0,
  classes: () => QA_CLASSES,
  encodeTrain(tok, examples, opts) {
    const qa = examples as QaExample[];
    const { set, inWindow } = trainWindows(tok, qa, windowOptions(opts));
    const unanswerable = qa.filter((e) => e.answers.length > 0).length - inWindow;
    const L = opts.maxLength;
    opts.log(
      `data ${opts.task}: ${set.n} training questions, one ${L}-token window each (${inWindow} with the answer in it)`,
    );
    if (unanswerable > 0) {
      opts.log(
        `warning: ${opts.task}: ${unanswerable} answerable training question(s) have no ${L}-token window ` +
          'holding the whole answer; they train as unanswerable',
      );
    }
    return set;
  },
  encodeEval(tok, examples, opts) {
    const ev = squadSet(tok, examples as QaExample[], windowOptions(opts));
    opts.log(`data ${opts.task}: ${examples.length} ${opts.split} questions in ${ev.set.n} windows`);
    return ev;
  },
  stats: 'span',
  metrics(_task, ev, out) {
    // logits: [windows, 2, T] (start then end per window); one answer per question, then F1/EM over its text
    const T = ev.set.maxLength;
    const start = Array.from({ length: out.n }, (_, i) => out.logits.subarray(i * 2 * T, (i * 2 + 1) * T));
    const end = Array.from({ length: out.n }, (_, i) => out.logits.subarray((i * 2 + 1) * T, (i * 2 + 2) * T));
    const { predictions } = postprocessSquad(ev.squad!.examples, ev.squad!.features, start, end);
    const s = squadV2Metrics(ev.squad!.examples, predictions);
    // the share "correct" here is exact match of the answer text (the training rule judges one window's span)
    return { metrics: { f1: s.f1 / 100, exact_match: s.exact / 100 }, accuracy: s.exact / 100 };
  },
};
