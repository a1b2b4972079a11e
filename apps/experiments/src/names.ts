// One display name per method and per subset, for the report's tables, the plot legend and the console, so a
// reader never has to match "hscore" in one place with "winning ticket" in another. Baselines take their title
// from libs/pruning's table of selection methods; subsets are named in words beside their digits ('06').
import { selectionMethod, subsetName, winningTicketRemoved } from '@prunelab/pruning';
import type { SubsetRef } from './grid.ts';

/** The two methods that are not selection methods. */
const OWN_TITLES: Record<string, string> = { full: 'full data', hscore: 'H-score subset' };

/** Display name: 'full data', 'H-score subset', or the selection method's title ('class-balanced random'). */
export function methodTitle(method: string): string {
  return OWN_TITLES[method] ?? selectionMethod(method).title;
}

/** Whether removing these H values from R runs is the winning ticket (drop the never and always learned). */
export const isWinningTicket = (removed: number[], R: number) =>
  R >= 1 && removed.join() === winningTicketRemoved(R).join();

/** An H subset in words with its name: "winning ticket (drop H=0,6)", "H-score subset 016 (drop H=0,1,6)". */
export function subsetTitle(removed: number[], R: number): string {
  const drop = `drop H=${removed.join(',')}`;
  return isWinningTicket(removed, R)
    ? `winning ticket (${drop})`
    : `H-score subset ${subsetName(removed, R)} (${drop})`;
}

export interface RunWhat {
  method: string;
  /** removed H values and the runs they were counted over; absent for full data */
  subset?: { removed: number[]; R: number; variantKey?: string; scoredBy?: string } | null;
  /** the model trained (a subset scored by another model is named so) */
  model?: string;
}

/**
 * What a phase-2 run trains on, in words: "full data", "winning ticket (drop H=0,3)", "random at the size of
 * winning ticket (drop H=0,3)"; a variant ('r4': H from the first 4 runs) and a transfer source are added.
 */
export function runTitle(w: RunWhat): string {
  const s = w.subset;
  if (!s) return methodTitle(w.method);
  const v = s.variantKey && s.variantKey !== 'all' ? ` [${s.variantKey}]` : '';
  const subset = `${subsetTitle(s.removed, s.R)}${v}`;
  if (w.method !== 'hscore') return `${methodTitle(w.method)} at the size of ${subset}`;
  return s.scoredBy && w.model && s.scoredBy !== w.model ? `${subset}, scored by ${s.scoredBy}` : subset;
}

/** runTitle of a phase-2 job's method and subset reference. */
export function phase2Title(method: string, subset: SubsetRef | null, model: string): string {
  if (!subset) return runTitle({ method });
  const { removed, variant, scoredBy } = subset;
  return runTitle({ method, model, subset: { removed, R: variant.runsUsed, variantKey: variant.key, scoredBy } });
}
