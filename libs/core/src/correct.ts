// "Correct" for one training row, per task kind: the one definition the H-score, forgetting, cartography and the
// training accuracy all count (method.md section 1). Logits come in the engine's batch layout:
//   classification, multiple choice: [rows, width] class or choice scores;
//   extractive QA: [rows, 2, width] start logits then end logits of each row (width = sequence length);
//   regression: [rows, 1] predictions.
import type { EncodedSet } from './encoded.ts';
import type { TaskKind } from './task-kind.ts';

/** Regression: a prediction within this distance of its target counts as correct (STS-B's 0..5 scale). */
export const REGRESSION_TOLERANCE = 0.5;

/** Index of the largest of values[start .. start+n) (the first on ties, as torch.argmax). */
export function argmax(values: ArrayLike<number>, start: number, n: number): number {
  let best = 0;
  for (let c = 1; c < n; c++) if (values[start + c]! > values[start + best]!) best = c;
  return best;
}

/** Classification and multiple choice: the top score is the gold class (choice). */
export function classCorrect(logits: ArrayLike<number>, offset: number, width: number, gold: number): boolean {
  return argmax(logits, offset, width) === gold;
}

/** Extractive QA: argmax(start) and argmax(end) are both the gold positions (exact match of the span, no
 * span decoding); the start logits of the row are start[startAt ..], its end logits end[endAt ..]. */
export function spanCorrect(start: ArrayLike<number>, startAt: number, end: ArrayLike<number>, endAt: number, width: number,
  goldStart: number, goldEnd: number): boolean {
  return classCorrect(start, startAt, width, goldStart) && classCorrect(end, endAt, width, goldEnd);
}

/** Regression: within REGRESSION_TOLERANCE of the target. */
export function regressionCorrect(prediction: number, target: number, tolerance = REGRESSION_TOLERANCE): boolean {
  return Math.abs(prediction - target) <= tolerance;
}

/**
 * Whether batch row i (the training row `row` of `data`) is right, for a task of `kind`; `width` is the number of
 * classes, choices or (QA) sequence positions of the logits.
 */
export function rowCorrect(kind: TaskKind, logits: ArrayLike<number>, width: number, i: number, data: EncodedSet, row: number): boolean {
  if (kind === 'regression') return regressionCorrect(logits[i]!, data.targets![row]!);
  if (kind === 'extractive-qa') {
    return spanCorrect(logits, i * 2 * width, logits, (i * 2 + 1) * width, width, data.startPositions![row]!, data.endPositions![row]!);
  }
  return classCorrect(logits, i * width, width, data.labels[row]!);
}

/** The kind an encoded set trains as, read from its shape (what the engine knows without a task registry). */
export function kindOfSet(data: EncodedSet): TaskKind {
  if (data.numChoices) return 'multiple-choice';
  if (data.startPositions) return 'extractive-qa';
  if (data.targets) return 'regression';
  return 'classification';
}
