// The rules for "correct" the task kinds are built from (task-kind.ts names which kind uses which): the one
// definition the H-score, forgetting, cartography and the training accuracy all count (method.md section 1).

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
export function spanCorrect(
  start: ArrayLike<number>,
  startAt: number,
  end: ArrayLike<number>,
  endAt: number,
  width: number,
  goldStart: number,
  goldEnd: number,
): boolean {
  return classCorrect(start, startAt, width, goldStart) && classCorrect(end, endAt, width, goldEnd);
}

/** Regression: within REGRESSION_TOLERANCE of the target. */
export function regressionCorrect(prediction: number, target: number, tolerance = REGRESSION_TOLERANCE): boolean {
  return Math.abs(prediction - target) <= tolerance;
}
