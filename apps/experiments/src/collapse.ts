// Degenerate runs: a classifier whose evaluation predictions collapsed onto one class (a random or diverged model
// predicting the majority class) scores the majority share with no spread over seeds, which reads like a result.
// Definition used everywhere (console, report): the most predicted class holds at least COLLAPSE_SHARE of the
// evaluation split's predictions (all of them is the usual case).

/** Share of the predictions in one class from which a run counts as collapsed. */
export const COLLAPSE_SHARE = 0.99;

export interface Collapse {
  /** the class predicted most */
  cls: number;
  count: number;
  n: number;
}

/** The collapse of a run from its per-class prediction counts; undefined when it is not collapsed (or not counted). */
export function collapseOf(predCounts: readonly number[] | undefined): Collapse | undefined {
  if (!predCounts || predCounts.length < 2) return undefined;
  const n = predCounts.reduce((a, b) => a + b, 0);
  let cls = 0;
  for (let c = 1; c < predCounts.length; c++) if (predCounts[c]! > predCounts[cls]!) cls = c;
  const count = predCounts[cls]!;
  return n > 0 && count >= COLLAPSE_SHARE * n ? { cls, count, n } : undefined;
}

/** "all 872 predictions are class 1 (positive)", "99.4% of predictions (867 of 872) are class 0 (negative)". */
export function collapseText(c: Collapse, labels?: readonly string[]): string {
  const name = labels?.[c.cls] !== undefined ? ` (${labels[c.cls]})` : '';
  const n = c.n.toLocaleString('en-US');
  return c.count === c.n
    ? `all ${n} predictions are class ${c.cls}${name}`
    : `${((100 * c.count) / c.n).toFixed(1)}% of predictions (${c.count.toLocaleString('en-US')} of ${n}) are ` +
        `class ${c.cls}${name}`;
}
