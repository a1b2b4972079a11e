// The selection methods: one file each, one row here. The app's phase2.methods list, the docs tables (checked by
// methods.test.ts) and the scores.csv columns come from this table; its order is the order of both.
import { aum } from './aum.ts';
import { ambiguous } from './ambiguous.ts';
import { ccs } from './ccs.ts';
import { d2 } from './d2.ts';
import { DATA_MAP_COLUMNS } from './data-map.ts';
import { easy } from './easy.ts';
import { el2n } from './el2n.ts';
import { external } from './external.ts';
import { forgetting } from './forgetting.ts';
import { grand } from './grand.ts';
import { hard } from './hard.ts';
import { setScoreColumns } from './hardness.ts';
import type { ScoreColumn, SelectionMethod } from './method.ts';
import { moderate } from './moderate.ts';
import { random } from './random.ts';
import { randomBalanced } from './random-balanced.ts';
import { semdedup } from './semdedup.ts';
import { tdds } from './tdds.ts';

// the newer methods after the first eight, so existing scores.csv columns keep their places
const TABLE = [
  random,
  randomBalanced,
  ambiguous,
  easy,
  hard,
  forgetting,
  el2n,
  aum,
  ccs,
  tdds,
  d2,
  moderate,
  semdedup,
  grand,
  external,
] as const;

setScoreColumns(() => scoreColumns());

export type SelectionMethodName = (typeof TABLE)[number]['name'];
export const SELECTION_METHODS: readonly SelectionMethod<SelectionMethodName>[] = TABLE;
export const SELECTION_METHOD_NAMES: SelectionMethodName[] = SELECTION_METHODS.map((m) => m.name);

/** The method of that name; an unknown name is an error that lists the known ones. */
export function selectionMethod(name: string): SelectionMethod {
  const m = SELECTION_METHODS.find((x) => x.name === name);
  if (!m) throw new Error(`selection method "${name}" is unknown; choose one of ${SELECTION_METHOD_NAMES.join(', ')}`);
  return m;
}

/**
 * The score columns of scores.csv after id, label and h: the data map's, then each method's new ones in table
 * order. A name may stand for one column only.
 */
export function scoreColumns(methods: readonly SelectionMethod[] = SELECTION_METHODS): ScoreColumn[] {
  const out = [...DATA_MAP_COLUMNS];
  for (const m of methods) {
    for (const c of m.columns) {
      const same = out.find((o) => o.name === c.name);
      if (same && same !== c) {
        throw new Error(
          `selection method ${m.name}: its score column "${c.name}" is not the one another method ` +
            'declares under that name; rename it or import that one',
        );
      }
      if (!same) out.push(c);
    }
  }
  return out;
}
