// The scores a difficulty-driven method (ccs, d2) can wrap: the H-score and every registered column that says which
// end is hard (ScoreColumn.hard). Direction: H counts the runs that got the example right at every epoch, so LOW H
// is hard (H = 0: never stably learned); el2n, forgetting, variability, grand: high is hard; aum, confidence,
// correctness: low is hard.
import { hScore } from '@prunelab/dynamics';
import { type ScoreColumn, type SelectionContext, scoreOf } from './method.ts';

// The registered columns, handed over by index.ts when the table is built (importing index.ts from here would be a
// cycle through the methods that import this file).
let registered: () => readonly ScoreColumn[] = () => {
  throw new Error('internal: the score columns are read before methods/index.ts built the table');
};
export function setScoreColumns(source: () => readonly ScoreColumn[]): void {
  registered = source;
}

export const H_COLUMN: ScoreColumn = {
  name: 'h',
  doc: 'H-score: runs correct at every used epoch',
  hard: 'low',
  compute: (rec) => hScore(rec.runs.slice(0, rec.runsUsed).map((r) => r.correct.slice(0, rec.epochsUsed))),
};

/** The names a `score` option may take: h and the columns with a hard end. */
export function hardScoreNames(): string[] {
  return [
    'h',
    ...registered()
      .filter((c) => c.hard && !c.costly)
      .map((c) => c.name),
  ];
}

export function hardColumn(name: string): ScoreColumn {
  if (name === 'h') return H_COLUMN;
  const c = registered().find((x) => x.name === name && x.hard && !x.costly);
  if (!c) throw new Error(`score "${name}" has no hard end; choose one of ${hardScoreNames().join(', ')}`);
  return c;
}

/** The column's values with hard = high (a low-is-hard score negated); a NaN is refused with the method's name. */
export function hardness(ctx: SelectionContext, method: string, name: string): Float64Array {
  const c = hardColumn(name);
  const v = scoreOf(ctx, c, `selection method ${method}`);
  const out = new Float64Array(v.length);
  const sign = c.hard === 'low' ? -1 : 1;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (Number.isNaN(x))
      throw new Error(
        `selection method ${method}: its score "${name}" is NaN for id "${ctx.pool.ids[i]}" (the records cannot give ` +
          `it); choose another score under pruning.method_options.${method}.score or record what it needs`,
      );
    out[i] = sign * x;
  }
  return out;
}
