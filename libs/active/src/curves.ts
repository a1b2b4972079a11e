// Summaries of a learning curve (metric vs labelled examples), as Jukić & Šnajder (2023) report them: the area
// under the curve normalised by the range of sizes - the curve's mean height, trapezoids between its points - and
// the relative improvement over passive learning, RIPL = (AUC(strategy) - AUC(random)) / (1 - AUC(random)): the
// share of what passive learning leaves below a perfect score that the strategy gains.

export interface CurvePoint {
  x: number;
  y: number;
}

/** Trapezoid area divided by the x range (one point: its y); points in any order, at distinct x. */
export function curveAuc(points: readonly CurvePoint[]): number {
  if (!points.length) return NaN;
  const p = [...points].sort((a, b) => a.x - b.x);
  if (p.length === 1) return p[0]!.y;
  let area = 0;
  for (let i = 1; i < p.length; i++) {
    if (p[i]!.x === p[i - 1]!.x) throw new Error(`curveAuc: two points at x = ${p[i]!.x}`);
    area += ((p[i]!.y + p[i - 1]!.y) / 2) * (p[i]!.x - p[i - 1]!.x);
  }
  return area / (p.at(-1)!.x - p[0]!.x);
}

/** Relative improvement over passive learning; metrics as fractions (1 = perfect). */
export function ripl(auc: number, passive: number): number {
  return passive >= 1 ? NaN : (auc - passive) / (1 - passive);
}
